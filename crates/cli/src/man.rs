//! `veloscope man`: a man page for the tool and one per command (`veloscope-inspect(1)` …), each
//! with an EXIT STATUS section, printed or written to a folder.

use crate::args::Cli;
use anyhow::{Context, Result};
use clap::CommandFactory;
use std::io::Write;
use std::path::PathBuf;

/// The arguments of `veloscope man`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The command whose page to print (`inspect` prints veloscope-inspect(1)); none: veloscope(1).
    pub command: Option<String>,
    /// Write every page (veloscope.1, veloscope-inspect.1, …) into this folder instead.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub out: Option<PathBuf>,
}

/// What each command's exit status means.
fn exit_status(command: &str) -> &'static [(&'static str, &'static str)] {
    const ERROR: (&str, &str) = (
        "2",
        "A usage error, or an input that cannot be read (the message names the file and entry).",
    );
    const BUG: (&str, &str) = (
        "3",
        "An internal error: a bug in veloscope, not a problem of the input (please report it).",
    );
    match command {
        "diff" => &[("0", "No differences."), ("1", "Differences."), ERROR, BUG],
        "verify" => &[
            (
                "0",
                "The backup is sound: no error finding (warnings allowed).",
            ),
            ("1", "At least one error finding."),
            (
                "2",
                "Verify could not run (usage error, unreadable source).",
            ),
            BUG,
        ],
        "validate" => &[
            ("0", "Every document is valid."),
            ("1", "At least one document has errors."),
            ("2", "A file cannot be read or parsed."),
            BUG,
        ],
        "find" => &[
            ("0", "Some backup holds a matching item."),
            ("1", "No backup does, or a backup could not be read."),
            ERROR,
            BUG,
        ],
        "catalog" => &[
            ("0", "Every backup was catalogued or found unchanged."),
            (
                "1",
                "Some backup could not be read (it is recorded with its error; the others are catalogued).",
            ),
            ERROR,
            BUG,
        ],
        "backups" | "restores" => &[
            ("0", "Every record was read."),
            ("1", "Some could not be read (the others are still listed)."),
            ERROR,
            BUG,
        ],
        "veloscope" => &[
            (
                "0",
                "Success; for diff, verify, validate and find, see their pages.",
            ),
            (
                "1",
                "A finding: differences (diff), errors (verify, validate), no match (find).",
            ),
            ERROR,
            BUG,
        ],
        _ => &[("0", "Success."), ERROR, BUG],
    }
}

fn page(cmd: clap::Command, name: &str, out: &mut dyn Write) -> Result<()> {
    let man = clap_mangen::Man::new(cmd.clone()).date(env!("CARGO_PKG_VERSION"));
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(out)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(out)?;
    }
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for (code, meaning) in exit_status(name) {
        writeln!(out, ".TP\n.B {code}\n{}", roff_text(meaning))?;
    }
    if name == "veloscope" {
        man.render_version_section(out)?;
    } else {
        writeln!(out, ".SH \"SEE ALSO\"\n.BR veloscope (1)")?;
    }
    Ok(())
}

/// Text safe as a roff line: no leading dot or quote, backslashes doubled.
fn roff_text(text: &str) -> String {
    let t = text.replace('\\', "\\\\");
    if t.starts_with(['.', '\'']) {
        format!("\\&{t}")
    } else {
        t
    }
}

pub fn run(a: &Args, out: &mut impl Write) -> Result<u8> {
    let mut cli = Cli::command().disable_help_subcommand(true);
    cli.build();
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
        let mut pages = vec![(cli.clone(), "veloscope".to_string())];
        pages.extend(
            cli.get_subcommands()
                .map(|c| (c.clone(), c.get_name().to_string())),
        );
        for (cmd, name) in pages {
            let file = if name == "veloscope" {
                dir.join("veloscope.1")
            } else {
                dir.join(format!("veloscope-{name}.1"))
            };
            let mut text = Vec::new();
            page(cmd, &name, &mut text)?;
            // Whole, and never through a link already at that name.
            veloscope_core::atomic::write(&file, 0o644, &text)
                .with_context(|| file.display().to_string())?;
        }
        return Ok(0);
    }
    match &a.command {
        None => page(cli, "veloscope", out)?,
        Some(name) => {
            let cmd = cli.find_subcommand(name).cloned().ok_or_else(|| {
                let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
                anyhow::anyhow!("no command {name:?}; the commands are {}", names.join(", "))
            })?;
            page(cmd, name, out)?;
        }
    }
    Ok(0)
}
