use crate::args::{FieldValidationArg, Format, Global};
use crate::output::emit;
use anyhow::Result;
use std::io::Write;
use std::path::{Path, PathBuf};
use veloscope_core::Session;
use veloscope_core::validate::{FieldValidation, Severity, ValidateRequest};

pub struct Args<'a> {
    pub files: &'a [PathBuf],
    pub mode: FieldValidationArg,
    pub against: Option<&'a Path>,
    pub velero_version: &'a str,
    pub junit: Option<&'a Path>,
}

/// Returns the exit code: 0 no error, 1 errors.
pub fn run(a: &Args<'_>, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let request = ValidateRequest {
        files: a.files,
        mode: match a.mode {
            FieldValidationArg::Strict => FieldValidation::Strict,
            FieldValidationArg::Warn => FieldValidation::Warn,
            FieldValidationArg::Ignore => FieldValidation::Ignore,
        },
        against: a.against,
        velero_version: veloscope_core::velero_version(a.velero_version)?,
        junit: a.junit,
    };
    let report = veloscope_core::validate::validate(&request, s)?;
    let (reports, errors, warnings) = (&report.files, report.errors, report.warnings);
    match g.output {
        Format::Table => {
            for r in reports {
                if r.documents.is_empty() {
                    writeln!(out, "{}: no Velero Backup, Restore or Schedule", r.file)?;
                }
                for d in &r.documents {
                    let status = if d.findings.is_empty() { ": OK" } else { "" };
                    writeln!(
                        out,
                        "{}: document {} (line {}, {} {}){status}",
                        r.file, d.document, d.line, d.kind, d.name
                    )?;
                    for f in &d.findings {
                        let sev = match f.severity {
                            Severity::Error => "error",
                            Severity::Warning => "warning",
                        };
                        let at = if f.path.is_empty() {
                            String::new()
                        } else {
                            format!("{}: ", f.path)
                        };
                        writeln!(out, "  {sev:<8} {at}{}", f.message)?;
                    }
                }
            }
            let docs: usize = reports.iter().map(|r| r.documents.len()).sum();
            writeln!(
                out,
                "{docs} documents, {errors} errors, {warnings} warnings"
            )?;
        }
        f => emit(out, f, reports)?,
    }
    Ok(u8::from(errors > 0))
}
