//! The veloscope binary: parses the command line, runs one command, renders its result, and maps
//! failures to exit codes (0 ok, 1 a finding, 2 usage error or unreadable input, 3 a bug). The only crate
//! of the workspace that prints or exits.

// The Unix file APIs this crate uses are listed in docs/architecture.md ("Platform").
#[cfg(not(unix))]
compile_error!("veloscope builds on Unix (Linux, macOS): see docs/architecture.md, \"Platform\"");

mod allocator;
mod args;
mod catalog;
mod diff;
mod extract;
mod index;
mod inspect;
mod location;
mod logs;
mod ls;
mod man;
mod output;
mod plan;
mod preview;
mod serve;
mod show;
mod sql;
mod terminal;
mod validate;
mod verify;

use args::{Cli, Command};
use clap::{CommandFactory, Parser};
use std::cell::Cell;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

/// The stack of the thread that runs a command, and of the engine's worker threads: objects
/// nested 10,000 levels deep (as Go and so Velero read them) are trees that deep, and building,
/// printing and dropping them recurses. Only the pages used are ever committed.
const STACK: usize = 512 << 20;
const WORKER_STACK: usize = veloscope_core::json::TREE_STACK;

fn main() -> ExitCode {
    allocator::tune();
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(WORKER_STACK)
        .build_global();
    match std::thread::Builder::new()
        .name("veloscope".into())
        .stack_size(STACK)
        .spawn(command)
    {
        // A command that panics (a bug) has printed its message: exit as an internal error.
        Ok(t) => t.join().unwrap_or(ExitCode::from(INTERNAL)),
        // No room for the large stack (a tight address-space limit): run here, as deep items
        // then may not fit, rather than not at all.
        Err(_) => command(),
    }
}

fn command() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(2);
        }
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprint!(
                "{}",
                usage_error(&e.render().to_string(), &subcommand_given())
            );
            return ExitCode::from(2);
        }
    };
    let broken = Cell::new(false);
    let mut out = BufWriter::with_capacity(
        64 << 10,
        PipeAware {
            inner: std::io::stdout().lock(),
            broken: &broken,
        },
    );
    let result = run(&cli, &mut out).and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => ExitCode::from(code),
        // A closed pipe (`veloscope ls … | head`) ends quietly, as ripgrep does.
        Err(_) if broken.get() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", output::escape(&one_line(&e)));
            ExitCode::from(exit_status(&e))
        }
    }
}

/// An internal error (a bug): exit 3; every other error (a usage error, an input that cannot be
/// read, a name that is not there, object storage failing): exit 2.
const INTERNAL: u8 = 3;

fn exit_status(e: &anyhow::Error) -> u8 {
    let internal = e
        .chain()
        .filter_map(|c| c.downcast_ref::<veloscope_core::Error>())
        .any(|c| c.kind() == veloscope_core::ErrorKind::Internal);
    if internal { INTERNAL } else { 2 }
}

/// A command-line mistake as one line, then a hint: clap's message with its lists folded in,
/// its tip if it has one, and the command whose `--help` shows the flags.
fn usage_error(rendered: &str, given: &str) -> String {
    let (message, rest) = rendered.split_once("\n\nUsage:").unwrap_or((rendered, ""));
    let message = message
        .split("\n\nFor more information")
        .next()
        .unwrap_or(message);
    let (mut said, mut tips) = (Vec::new(), Vec::new());
    for line in message.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.strip_prefix("tip:") {
            Some(tip) => tips.push(tip.trim()),
            None => said.push(line.strip_prefix("error:").unwrap_or(line).trim()),
        }
    }
    let command: Vec<&str> = rest
        .split_whitespace()
        .take_while(|w| !w.starts_with(['<', '[', '-']))
        .collect();
    let command = if !command.is_empty() {
        command.join(" ")
    } else if !given.is_empty() {
        format!("veloscope {given}")
    } else {
        "veloscope".to_string()
    };
    let mut out = format!("error: {}\n", output::escape(&said.join(" ")));
    for tip in tips {
        out += &format!("hint: {}\n", output::escape(tip));
    }
    out + &format!("hint: '{command} --help' lists its arguments and flags\n")
}

/// The subcommand named on the command line, when clap's message does not say (a bad value).
fn subcommand_given() -> String {
    use clap::CommandFactory;
    let cli = Cli::command();
    std::env::args()
        .skip(1)
        .find(|a| cli.find_subcommand(a).is_some())
        .unwrap_or_default()
}

fn run(cli: &Cli, out: &mut impl Write) -> anyhow::Result<u8> {
    let g = &cli.global;
    output::set_no_headers(g.no_headers);
    output::set_colour(g.color);
    let terminal = terminal::Terminal::new(g);
    let s = &terminal.session(g);
    match &cli.command {
        Command::Inspect(a) => inspect::run(a, g, s, out),
        Command::Ls(a) => ls::run(a, g, s, out),
        Command::Preview(a) => preview::run(a, g, s, out),
        Command::Show(a) => show::run(a, g, s, out),
        Command::Diff(a) => diff::run(a, g, s, out),
        Command::Verify(a) => verify::run(a, g, s, out),
        Command::Plan(a) => plan::run(a, g, s, out),
        Command::Validate(a) => validate::run(a, g, s, out),
        Command::Index(a) => index::run(a, g, s, out),
        Command::Serve(a) => serve::run(a, g, s),
        Command::Extract(a) => extract::run(a, g, s, out),
        Command::Logs(a) => logs::run(a, g, out),
        Command::Backups(a) => location::backups(a, g, out),
        Command::Find(a) => location::find(a, g, s, out),
        Command::Restores(a) => location::restores(a, g, out),
        Command::Catalog(a) => catalog::run(a, g, s, out),
        Command::Sql(a) => sql::run(a, g, out),
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "veloscope", out);
            Ok(0)
        }
        Command::Man(a) => man::run(a, out),
    }
}

/// Stdout that remembers a broken pipe, whichever serializer hit it and however it wrapped it.
struct PipeAware<'a, W> {
    inner: W,
    broken: &'a Cell<bool>,
}

impl<W: Write> PipeAware<'_, W> {
    fn note<T>(&self, r: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &r
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            self.broken.set(true);
        }
        r
    }
}

impl<W: Write> Write for PipeAware<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.note(r)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.note(r)
    }
}

/// Errors print as one line: the chain joined with ": ", newlines folded.
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        // The engine's message is the whole line; its sources are kept for programs.
        if cause.downcast_ref::<veloscope_core::Error>().is_some() {
            break;
        }
    }
    parts.join(": ").replace('\n', " ")
}

#[cfg(test)]
mod exit_tests {
    use super::*;

    #[test]
    fn internal_errors_are_three_and_the_rest_two() {
        let bug = anyhow::Error::new(veloscope_core::Error::internal("a bug"));
        assert_eq!(exit_status(&bug), 3);
        let usage = anyhow::Error::new(veloscope_core::Error::usage("bad flag"));
        assert_eq!(exit_status(&usage), 2);
        assert_eq!(exit_status(&anyhow::anyhow!("anything else")), 2);
    }
}
