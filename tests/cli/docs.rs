//! The documentation the binary carries: `--help` names every command, and each command has a
//! man page with an EXIT STATUS section.

use crate::common::*;

fn commands() -> Vec<String> {
    let out = veloscope(&["--help"]);
    let help = String::from_utf8(out.stdout).unwrap();
    help.split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn help_names_every_command_and_each_has_a_man_page() {
    let names = commands();
    for want in [
        "inspect", "ls", "show", "preview", "plan", "diff", "verify", "validate", "backups",
        "find", "restores", "index", "logs", "extract", "serve", "man", "catalog",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    // A link planted at a page's name: replaced, never written through.
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("veloscope-ls.1")).unwrap();
    let out = veloscope(&["man", "--out", path_str(dir.path())]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    for name in &names {
        let page = std::fs::read_to_string(dir.path().join(format!("veloscope-{name}.1")))
            .unwrap_or_else(|e| panic!("veloscope-{name}.1: {e}"));
        assert!(page.contains(&format!(".TH veloscope-{name} 1")), "{page}");
        assert!(page.contains(".SH \"EXIT STATUS\""), "{name}");
    }
    let diff = veloscope(&["man", "diff"]);
    let diff = String::from_utf8(diff.stdout).unwrap();
    assert!(diff.contains(".B 1\nDifferences."), "{diff}");
    refused(&["man", "nope"], "the commands are");
}
