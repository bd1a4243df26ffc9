use crate::args::{Format, Global};
use crate::output::{Table, emit};
use anyhow::Result;
use std::io::Write;
use veloscope_core::Session;
use veloscope_core::verify::{Finding, Severity, VerifyReport, VerifyRequest};

/// Returns the exit code: 0 no error finding, 1 errors.
pub fn run(a: &VerifyRequest<'_>, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let report = veloscope_core::verify::verify(a, s)?;
    match g.output {
        Format::Table => table(&report, &report.file, out)?,
        f => emit(out, f, &report)?,
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
        writeln!(out, "Manifest: {m}")?;
    }
    let errors = r
        .problems
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = r.problems.len() - errors;
    writeln!(
        out,
        "{file}: {} items, {errors} errors, {warnings} warnings: {}",
        r.items,
        if r.ok { "OK" } else { "FAILED" }
    )?;
    Ok(())
}
