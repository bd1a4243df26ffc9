use crate::args::{Format, Global};
use crate::output::{Colour, Esc, Table, emit, paint};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::Session;
use veloscope_core::verify::{Severity, VerifyReport, VerifyRequest, grouped};

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
    /// List at most N findings of each code; the rest are counted (0: every one). Default: 10
    /// in the table, every one in JSON and YAML.
    #[arg(long, value_name = "N")]
    pub max_findings: Option<usize>,
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
    let mut report = veloscope_core::verify::verify(&request, s)?;
    let table_format = matches!(g.output.format, Format::Table | Format::Wide);
    let count = |sev| report.problems.iter().filter(|f| f.severity == sev).count();
    let totals = (count(Severity::Error), count(Severity::Warning));
    match a.max_findings.unwrap_or(if table_format { 10 } else { 0 }) {
        0 => {}
        n => report.cap(n),
    }
    if table_format {
        table(&report, totals, out)?;
    } else {
        emit(out, &g.output, &report)?;
    }
    Ok(u8::from(!report.ok))
}

/// Findings grouped by code with counts, errors first and the root cause first in each.
fn table(r: &VerifyReport, (errors, warnings): (usize, usize), out: &mut impl Write) -> Result<()> {
    let groups = grouped(&r.problems);
    for (severity, title, total, colour) in [
        (Severity::Error, "ERRORS", errors, Colour::Red),
        (Severity::Warning, "WARNINGS", warnings, Colour::Yellow),
    ] {
        if total == 0 {
            continue;
        }
        writeln!(out, "{}", paint(colour, &format!("{title} ({total})")))?;
        let mut t = Table::new(&["CODE", "COUNT", "ENTRY", "MESSAGE"]);
        for g in groups.iter().filter(|g| g.severity == severity) {
            let more = r.omitted.get(g.code).copied().unwrap_or(0);
            for (i, f) in g.findings.iter().enumerate() {
                let (code, count) = if i == 0 {
                    (g.code.to_string(), (g.findings.len() + more).to_string())
                } else {
                    (String::new(), String::new())
                };
                t.row(vec![code, count, f.entry.clone(), f.message.clone()]);
            }
            if more > 0 {
                t.row(vec![
                    String::new(),
                    String::new(),
                    format!("… {more} more {}", g.code),
                    "(--max-findings 0 lists every one)".into(),
                ]);
            }
        }
        t.write(out)?;
        writeln!(out)?;
    }
    if let Some(m) = &r.manifest {
        writeln!(out, "Manifest: {}", Esc(m))?;
    }
    let verdict = if r.ok {
        paint(Colour::Green, "OK")
    } else {
        paint(Colour::Red, "FAILED")
    };
    writeln!(
        out,
        "{}: {}, {}, {}: {verdict}",
        Esc(&r.file),
        crate::output::count(r.items as u64, "item"),
        crate::output::count(errors as u64, "error"),
        crate::output::count(warnings as u64, "warning"),
    )?;
    Ok(())
}
