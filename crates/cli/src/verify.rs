use crate::args::{Format, Global};
use crate::output::{Esc, Table, emit};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::Session;
use veloscope_core::verify::{Finding, Severity, VerifyReport, VerifyRequest};

/// The arguments of `veloscope verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub source: PathBuf,
    /// A policy for CI gates (required/forbidden namespaces and resources, maximum age, phases,
    /// warnings, severity overrides); see the README.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Also write the findings as JUnit XML.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a digest manifest (SHA-256 of every item and side file) beside the backup; a later
    /// verify reports every item added, removed or altered since.
    #[arg(long)]
    pub write_manifest: bool,
    /// The manifest's path (default: veloscope-manifest.json in the backup folder, or
    /// TARBALL.veloscope-manifest.json beside a tarball).
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
}

/// Returns the exit code: 0 no error finding, 1 errors.
pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let request = VerifyRequest {
        source: &a.source,
        policy: a.policy.as_deref(),
        junit: a.junit.as_deref(),
        write_manifest: a.write_manifest,
        manifest: a.manifest.as_deref(),
    };
    let report = veloscope_core::verify::verify(&request, s)?;
    match g.output.format {
        Format::Table | Format::Wide => table(&report, &report.file, out)?,
        _ => emit(out, &g.output, &report)?,
    }
    Ok(u8::from(!report.ok))
}

fn table(r: &VerifyReport, file: &str, out: &mut impl Write) -> Result<()> {
    for (severity, title) in [(Severity::Error, "ERRORS"), (Severity::Warning, "WARNINGS")] {
        let rows: Vec<&Finding> = r
            .problems
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "{title} ({})", rows.len())?;
        let mut t = Table::new(&["CODE", "ENTRY", "MESSAGE"]);
        for f in rows {
            t.row(vec![f.code.to_string(), f.entry.clone(), f.message.clone()]);
        }
        t.write(out)?;
        writeln!(out)?;
    }
    if let Some(m) = &r.manifest {
        writeln!(out, "Manifest: {}", Esc(m))?;
    }
    let errors = r
        .problems
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = r.problems.len() - errors;
    writeln!(
        out,
        "{}: {} items, {errors} errors, {warnings} warnings: {}",
        Esc(file),
        r.items,
        if r.ok { "OK" } else { "FAILED" }
    )?;
    Ok(())
}
