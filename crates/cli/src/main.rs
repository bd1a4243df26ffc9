//! The veloscope binary: parses the command line, runs one command, renders its result, and maps
//! failures to exit codes (0 ok, 1 a finding, 2 usage error or unreadable input). The only crate
//! of the workspace that prints or exits.

mod args;
mod inspect;
mod load;
mod ls;
mod output;
mod show;

use args::{Cli, Command};
use clap::{CommandFactory, Parser};
use std::io::{BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(64 << 10, stdout.lock());
    let result = run(&cli, &mut out).and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli, out: &mut impl Write) -> anyhow::Result<u8> {
    let g = &cli.global;
    match &cli.command {
        Command::Inspect { source } => inspect::run(source, g, out)?,
        Command::Ls {
            source,
            filters,
            show_labels,
        } => ls::run(source, filters, *show_labels, g, out)?,
        Command::Show {
            source,
            resource,
            name,
            namespace,
            api_version,
        } => {
            let a = show::ShowArgs {
                resource,
                name,
                namespace: namespace.as_deref(),
                api_version: api_version.as_deref(),
            };
            show::run(source, &a, g, out)?
        }
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "veloscope", out);
        }
        Command::Man => clap_mangen::Man::new(Cli::command()).render(out)?,
    }
    Ok(0)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

/// Errors print as one line: the chain joined with ": ", newlines folded.
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ").replace('\n', " ")
}
