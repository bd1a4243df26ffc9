//! The veloscope binary: parses the command line, runs one command, renders its result, and maps
//! failures to exit codes (0 ok, 1 a finding, 2 usage error or unreadable input). The only crate
//! of the workspace that prints or exits.

mod args;
mod diff;
mod inspect;
mod location;
mod ls;
mod output;
mod plan;
mod preview;
mod show;
mod terminal;
mod validate;
mod verify;

// The index holds millions of small strings built on the parser threads; glibc keeps a
// fragmented arena per thread (≈100 MiB at 1M items), mimalloc does not, and allocates faster.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use args::{Cli, Command};
use clap::{CommandFactory, Parser};
use std::cell::Cell;
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
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli, out: &mut impl Write) -> anyhow::Result<u8> {
    let g = &cli.global;
    let terminal = terminal::Terminal::new(g);
    let s = &terminal.session(g);
    match &cli.command {
        Command::Inspect { source } => inspect::run(source, g, s, out)?,
        Command::Index {
            source,
            out: to,
            span,
        } => index(
            &veloscope_core::index(source, to.as_deref(), *span, s)?,
            g,
            out,
        )?,
        Command::Ls {
            source,
            filters,
            velero_version,
            show_labels,
        } => {
            let a = ls::LsArgs {
                filters,
                velero_version,
                show_labels: *show_labels,
            };
            ls::run(source, &a, g, s, out)?
        }
        Command::Preview {
            source,
            filters,
            spec,
            as_stored,
            velero_version,
            explain,
        } => {
            let a = preview::PreviewArgs {
                filters,
                spec: spec.as_deref(),
                as_stored: *as_stored,
                velero_version,
                explain: *explain,
            };
            preview::run(source, &a, g, s, out)?
        }
        Command::Show {
            source,
            resource,
            name,
            namespace,
            api_version,
        } => {
            let a = veloscope_core::items::ItemQuery {
                resource,
                name,
                namespace: namespace.as_deref(),
                api_version: api_version.as_deref(),
            };
            show::run(source, &a, g, s, out)?
        }
        Command::Diff {
            a,
            b,
            filters,
            diff: d,
            velero_version,
        } => {
            let args = diff::Args {
                a,
                b,
                filters,
                diff: d,
                velero_version,
            };
            return diff::run(&args, g, s, out);
        }
        Command::Verify {
            source,
            policy,
            junit,
            write_manifest,
            manifest,
        } => {
            let args = veloscope_core::verify::VerifyRequest {
                source,
                policy: policy.as_deref(),
                junit: junit.as_deref(),
                write_manifest: *write_manifest,
                manifest: manifest.as_deref(),
            };
            return verify::run(&args, g, s, out);
        }
        Command::Plan { source, restore } => plan::run(source, restore, g, s, out)?,
        Command::Validate {
            files,
            field_validation,
            against,
            velero_version,
            junit,
        } => {
            let args = validate::Args {
                files,
                mode: *field_validation,
                against: against.as_deref(),
                velero_version,
                junit: junit.as_deref(),
            };
            return validate::run(&args, g, s, out);
        }
        Command::Backups {
            location,
            schedule,
            selector,
        } => location::backups(location, schedule.as_deref(), selector.as_deref(), g, out)?,
        Command::Find {
            location,
            filters,
            name,
            kind,
        } => {
            return location::find(
                location,
                filters,
                name.as_deref(),
                kind.as_deref(),
                g,
                s,
                out,
            );
        }
        Command::Restores { location } => location::restores(location, g, out)?,
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "veloscope", out);
        }
        Command::Man => clap_mangen::Man::new(Cli::command()).render(out)?,
    }
    Ok(0)
}

fn index(
    written: &veloscope_core::IndexReport,
    g: &args::Global,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match g.output {
        args::Format::Table => writeln!(
            out,
            "wrote {}: {} items, {} seek points, {} ({} bytes per item)",
            written.sidecar,
            written.items,
            written.seek_points,
            output::human_bytes(written.bytes),
            written.bytes / (written.items.max(1) as u64)
        )?,
        f => output::emit(out, f, written)?,
    }
    Ok(())
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
    }
    parts.join(": ").replace('\n', " ")
}
