use crate::args::{FieldValidationArg, Format, Global};
use crate::output::{Esc, emit};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::Session;
use veloscope_core::VeleroVersion;
use veloscope_core::validate::{FieldValidation, Severity, ValidateRequest};

/// The arguments of `veloscope validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// YAML (several documents allowed) or JSON files, Lists too; `-` reads stdin.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// What unknown and duplicate fields are: errors (Strict), warnings (Warn), nothing (Ignore).
    #[arg(long, value_enum, default_value_t = FieldValidationArg::Strict)]
    pub field_validation: FieldValidationArg,
    /// Evaluate each Backup and Schedule against this backup (or a storage location's newest
    /// backup) and warn about filters that select nothing there.
    #[arg(long, value_name = "SRC")]
    pub against: Option<PathBuf>,
    /// Velero release whose rules apply (MAJOR.MINOR).
    #[arg(long, default_value_t = VeleroVersion::LATEST, value_name = "X.Y")]
    pub velero_version: VeleroVersion,
    /// Also write the findings as JUnit XML.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// Returns the exit code: 0 no error, 1 errors.
pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let request = ValidateRequest {
        files: &a.files,
        mode: match a.field_validation {
            FieldValidationArg::Strict => FieldValidation::Strict,
            FieldValidationArg::Warn => FieldValidation::Warn,
            FieldValidationArg::Ignore => FieldValidation::Ignore,
        },
        against: a.against.as_deref(),
        velero_version: a.velero_version,
        junit: a.junit.as_deref(),
    };
    let report = veloscope_core::validate::validate(&request, s)?;
    let (reports, errors, warnings) = (&report.files, report.errors, report.warnings);
    match g.output.format {
        Format::Table | Format::Wide => {
            for r in reports {
                if r.documents.is_empty() {
                    writeln!(
                        out,
                        "{}: no Velero Backup, Restore or Schedule",
                        Esc(&r.file)
                    )?;
                }
                for d in &r.documents {
                    let status = if d.findings.is_empty() { ": OK" } else { "" };
                    writeln!(
                        out,
                        "{}: document {} (line {}, {} {}){status}",
                        Esc(&r.file),
                        d.document,
                        d.line,
                        Esc(&d.kind),
                        Esc(&d.name)
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
                        writeln!(out, "  {sev:<8} {}{}", Esc(&at), Esc(&f.message))?;
                    }
                }
            }
            let docs: usize = reports.iter().map(|r| r.documents.len()).sum();
            writeln!(
                out,
                "{}, {}, {}",
                crate::output::count(docs as u64, "document"),
                crate::output::count(errors as u64, "error"),
                crate::output::count(warnings as u64, "warning")
            )?;
        }
        _ => emit(out, &g.output, reports)?,
    }
    Ok(u8::from(errors > 0))
}
