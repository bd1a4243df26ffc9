//! No quiet wrong answers: where a user would get "none" or an empty table for a slip of theirs or
//! a gap of the backup, they get the answer, or a refusal that says what to do (exit 2).

use crate::common::*;
use fixture_gen::{Codec, Folder};
use serde_json::json;

/// A location of two backups; the older one lost its resource list (as older Velero releases
/// wrote none).
fn location() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (name, started) in [
        ("old", "2024-01-01T00:00:00Z"),
        ("new", "2024-01-02T00:00:00Z"),
    ] {
        write_backup(
            tmp.path(),
            name,
            started,
            vec![
                obj("namespaces", "shop", json!({})),
                obj(
                    "deployments.apps",
                    &format!("shop/web-{name}"),
                    json!({"metadata": {"labels": {"app": "web"}}}),
                ),
            ],
        );
    }
    std::fs::remove_file(tmp.path().join("backups/old/old-resource-list.json.gz"))
        .expect("remove the resource list");
    tmp
}

/// `find` searches a backup without a resource list from its archive, with or without labels.
#[test]
fn find_searches_backups_without_a_resource_list() {
    let loc = location();
    let l = path_str(loc.path());
    for extra in [&[][..], &["-l", "app=web"][..]] {
        let args = [
            &["find", l, "--kind", "Deployment", "-o", "json"][..],
            extra,
        ]
        .concat();
        let found = json(&args);
        let backups: Vec<&str> = found
            .as_array()
            .expect("rows")
            .iter()
            .filter_map(|r| r["backup"].as_str())
            .collect();
        assert_eq!(backups, ["new", "old"], "{args:?}: {found}");
    }
}

/// A backup folder where a location is expected, and a resource typo, are refused with the fix.
#[test]
fn wrong_folder_levels_and_typos_are_refused() {
    let loc = location();
    let backup = loc.path().join("backups/new");
    for cmd in ["backups", "find", "restores"] {
        let err = refused(&[cmd, path_str(&backup)], "this is one backup");
        assert!(err.contains(path_str(loc.path())), "{err}");
    }
    let err = refused(
        &["find", path_str(loc.path()), "--kind", "deploymnets"],
        "no backup holds a resource or kind named \"deploymnets\"",
    );
    assert!(err.contains("deployment"), "the nearest name: {err}");
    refused(
        &[
            "find",
            path_str(loc.path()),
            "--include-resources",
            "deploymnets",
        ],
        "deploymnets",
    );
    // A real kind that matches nothing is an answer, not an error.
    let out = veloscope(&["find", path_str(loc.path()), "--kind", "ConfigMap"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// `ls` with filter flags leaves out what Velero's backup rules leave out, and says so with the
/// count per rule; without filter flags it lists everything the archive holds.
#[test]
fn ls_says_what_the_backup_rules_leave_out() {
    let b = backup("edge-cases");
    let out = veloscope(&["ls", path_str(&b), "-n", "edge", "-o", "name"]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("2 archive items left out by Velero's backup rules")
            && err.contains("1 being deleted")
            && err.contains("1 exclude-from-backup label")
            && err.contains("preview --explain"),
        "{err}"
    );
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    let all = String::from_utf8_lossy(&veloscope(&["ls", path_str(&b), "-o", "name"]).stdout)
        .into_owned();
    assert!(
        all.contains("pod/leaving") && all.contains("pod/skip-me"),
        "{all}"
    );
    assert!(!listed.contains("pod/leaving"), "{listed}");
}

/// `validate` is strict by default, as kubectl is: a typo that would make a Restore restore
/// everything fails CI, with the field it meant; `--field-validation Warn` relaxes it.
#[test]
fn validate_refuses_typos_by_default_and_names_the_field_meant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("restore.yaml");
    std::fs::write(
        &file,
        "apiVersion: velero.io/v1\nkind: Restore\nmetadata:\n  name: r\n  namespace: velero\nspec:\n  backupName: b\n  includedNamespace: [shop]\n",
    )
    .expect("write");
    let out = veloscope(&["validate", path_str(&file)]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains(
            "unknown field \"spec.includedNamespace\" (did you mean \"includedNamespaces\"?)"
        ) && text.contains("1 document, 1 error, 0 warnings"),
        "{text}"
    );
    let relaxed = veloscope(&["validate", path_str(&file), "--field-validation", "Warn"]);
    assert_eq!(relaxed.status.code(), Some(0));
}

/// `extract -q` prints nothing: the files are the answer.
#[test]
fn extract_quiet_is_quiet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("out");
    let out = veloscope(&[
        "-q",
        "extract",
        path_str(&backup("edge-cases")),
        path_str(&out_dir),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    assert!(
        std::fs::read_dir(&out_dir)
            .expect("written")
            .next()
            .is_some()
    );
}

/// kubectl's habits: a resource type as `kubectl get` takes it, `-o name` in kubectl's spelling
/// everywhere, logrus's `warn`, `serve --listen localhost:PORT`, and a hint that names the
/// command whose flag was wrong.
#[test]
fn kubectl_habits_work() {
    let k3s = backup("k3s-124");
    let src = path_str(&k3s);
    let names = |args: &[&str]| -> Vec<String> {
        let out = veloscope(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    };
    let typed = names(&["ls", src, "deploy,svc", "-n", "kube-system", "-o", "name"]);
    let flagged = names(&[
        "ls",
        src,
        "--include-resources",
        "deploy,svc",
        "-n",
        "kube-system",
        "-o",
        "name",
    ]);
    assert_eq!(typed, flagged);
    assert!(
        typed.contains(&"deployment.apps/coredns".to_string()),
        "{typed:?}"
    );
    assert!(typed.contains(&"service/kube-dns".to_string()), "{typed:?}");
    // The same spelling in every command that prints names.
    for command in ["preview", "plan"] {
        let named = names(&[
            command,
            src,
            "-n",
            "kube-system",
            "--include-resources",
            "deploy",
            "-o",
            "name",
        ]);
        assert!(
            named.contains(&"deployment.apps/coredns".to_string()),
            "{command}: {named:?}"
        );
    }
    // logrus's ParseLevel takes warn for warning.
    let loc = location();
    let folder = loc.path().join("backups/new");
    let lines = "time=\"2022-11-29T08:15:40Z\" level=info msg=\"fine\"\ntime=\"2022-11-29T08:15:41Z\" level=warning msg=\"careful\"\n";
    std::fs::write(
        folder.join("new-logs.gz"),
        fixture_gen::gzip(lines.as_bytes()).expect("gzip"),
    )
    .expect("write");
    let warned = names(&["logs", path_str(&folder), "--level", "warn"]);
    assert!(warned.iter().any(|l| l.contains("careful")), "{warned:?}");
    assert!(!warned.iter().any(|l| l.contains("fine")), "{warned:?}");
    // serve: localhost:PORT is an address; a bad one names `veloscope serve --help`.
    let err = refused(
        &["serve", src, "--listen", "localhost:x"],
        "not a port number",
    );
    assert!(err.contains("'veloscope serve --help'"), "{err}");
}

/// `inspect` shows what `velero backup describe` shows without `--details`: the Backup's labels
/// and annotations, and the errors and warnings with their messages, in the table and in JSON.
#[test]
fn inspect_shows_messages_by_default() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = Folder {
        name: "b",
        codec: Codec::Gzip,
        objects: vec![obj("configmaps", "app/c", json!({}))],
        extra_entries: vec![],
        backup: Some(json!({"apiVersion": "velero.io/v1", "kind": "Backup",
            "metadata": {"name": "b", "labels": {"velero.io/schedule-name": "nightly"},
                "annotations": {"note": "quarterly"}},
            "spec": {}, "status": {"phase": "PartiallyFailed", "errors": 1, "warnings": 0}})),
        results: json!({"errors": {"namespaces": {"app": ["error backing up pod web: timed out"]}},
                        "warnings": {}}),
        volume_info: json!([]),
    }
    .write(tmp.path())
    .expect("folder");
    let src = path_str(&dir);
    let out = veloscope(&["inspect", src]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for want in [
        "velero.io/schedule-name=nightly",
        "note=quarterly",
        "app: error backing up pod web: timed out",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    assert!(!text.contains("Resource List"), "that is --details: {text}");
    let v = json(&["inspect", src, "-o", "json"]);
    assert_eq!(
        v["details"]["errors"]["namespaces"]["app"][0],
        "error backing up pod web: timed out"
    );
    assert_eq!(v["details"]["labels"]["velero.io/schedule-name"], "nightly");
    assert!(v["details"].get("resourceList").is_none(), "{v}");
}

/// A flood of reader warnings is capped in the table, with a count of the rest; JSON lists all.
#[test]
fn inspect_caps_a_flood_of_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("stray.tar");
    let mut builder = tar::Builder::new(Vec::new());
    for i in 0..500 {
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        h.set_mode(0o644);
        h.set_cksum();
        builder
            .append_data(&mut h, format!("stray/file-{i}.txt"), &b"{}"[..])
            .expect("entry");
    }
    std::fs::write(&path, builder.into_inner().expect("tar")).expect("write");
    let out = veloscope(&["inspect", path_str(&path)]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.lines().count() < 60, "{text}");
    assert!(text.contains("… and 490 more of this kind"), "{text}");
    let v = json(&["inspect", path_str(&path), "-o", "json"]);
    assert_eq!(v["warnings"].as_array().map(Vec::len), Some(500));
}

/// `backups` marks a backup whose expiration has passed, as the UI does.
#[test]
fn backups_marks_expired_ones() {
    let out = veloscope(&["backups", path_str(&fixture("bsl"))]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.lines()
            .any(|l| l.starts_with("k3s-124") && l.contains("2022-12-29T07:29:44Z (expired)")),
        "{text}"
    );
}

/// `logs` reads long lines whole (a 2 MiB line is grepped at its end) up to 16 MiB, and says
/// when it cut one.
#[test]
fn logs_read_long_lines_and_say_when_one_is_cut() {
    let loc = location();
    let folder = loc.path().join("backups/new");
    let long = format!("level=info msg=\"{}needle\"", "x".repeat(2 << 20));
    let huge = format!("level=error msg=\"{}\"", "y".repeat(17 << 20));
    let text = format!("{long}\n{huge}\nlevel=info msg=short\n");
    std::fs::write(
        folder.join("new-logs.gz"),
        fixture_gen::gzip(text.as_bytes()).expect("gzip"),
    )
    .expect("write");
    let found = veloscope(&["logs", path_str(&folder), "--grep", "needle"]);
    assert!(found.status.success(), "{}", stderr(&found));
    assert_eq!(String::from_utf8_lossy(&found.stdout).lines().count(), 1);
    let cut = veloscope(&["logs", path_str(&folder), "--level", "error"]);
    let err = stderr(&cut);
    assert!(
        err.contains("longer than 16 MiB") && err.contains("bytes were not read"),
        "{err}"
    );
    assert_eq!(String::from_utf8_lossy(&cut.stdout).lines().count(), 1);
}

/// `-` reads the archive from standard input (sniffed like any file), and a pipe reports the
/// bytes it read, not 0 B.
#[test]
fn standard_input_is_an_archive() {
    let file = fixture("tarballs/edge.tar.zst");
    let size = std::fs::metadata(&file).expect("fixture").len();
    for arg in ["-", "/dev/stdin"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_veloscope"))
            .args(["inspect", arg, "-o", "json"])
            .stdin(std::fs::File::open(&file).expect("open"))
            .output()
            .expect("run");
        assert!(out.status.success(), "{arg}: {}", stderr(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(v["items"], 13, "{arg}: {v}");
        // Piped, not a file: what was read is its size.
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_veloscope"))
            .args(["inspect", arg, "-o", "json"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let bytes = std::fs::read(&file).expect("read");
        let mut stdin = child.stdin.take().expect("stdin");
        std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &bytes));
        let out = child.wait_with_output().expect("wait");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(v["archiveBytes"], size, "{arg}: {v}");
    }
}
