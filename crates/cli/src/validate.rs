use crate::args::{FieldValidationArg, Format, Global};
use crate::output::emit;
use anyhow::{Context, Result, anyhow, bail};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use veloscope_core::Session;
use veloscope_core::backup;
use veloscope_select::VeleroVersion;
use veloscope_validate::{DocumentReport, FieldValidation, Options, Schemas, Severity, check_text};

pub struct Args<'a> {
    pub files: &'a [PathBuf],
    pub mode: FieldValidationArg,
    pub against: Option<&'a Path>,
    pub velero_version: &'a str,
    pub junit: Option<&'a Path>,
}

#[derive(Serialize)]
struct FileReport {
    file: String,
    documents: Vec<DocumentReport>,
}

/// A storage location's newest backup (by `status.startTimestamp`), or the source itself.
fn backup_source(path: &Path) -> Result<PathBuf> {
    let backups = path.join("backups");
    if !backups.is_dir() {
        return Ok(path.to_path_buf());
    }
    let mut newest: Option<(String, PathBuf)> = None;
    for e in std::fs::read_dir(&backups).with_context(|| backups.display().to_string())? {
        let dir = e?.path();
        let Ok(folder) = veloscope_archive::BackupFolder::open(&dir) else {
            continue;
        };
        let started = folder
            .backup()
            .ok()
            .flatten()
            .and_then(|b| b.backup.status.start_timestamp)
            .unwrap_or_default();
        if newest.as_ref().is_none_or(|(s, _)| started > *s) {
            newest = Some((started, dir));
        }
    }
    newest
        .map(|n| n.1)
        .ok_or_else(|| anyhow!("{}: no backups in the location", path.display()))
}

/// Returns the exit code: 0 no error, 1 errors.
pub fn run(a: &Args<'_>, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let version: VeleroVersion = a.velero_version.parse().map_err(|e: String| anyhow!(e))?;
    let loaded = match a.against {
        Some(p) => {
            let src = backup_source(p)?;
            let l = backup::load(&src, s, None)?;
            backup::require_valid(&l)?;
            Some((l, src.display().to_string()))
        }
        None => None,
    };
    let opts = Options {
        mode: match a.mode {
            FieldValidationArg::Strict => FieldValidation::Strict,
            FieldValidationArg::Warn => FieldValidation::Warn,
            FieldValidationArg::Ignore => FieldValidation::Ignore,
        },
        version,
        against: loaded.as_ref().map(|(l, s)| (&l.index, s.as_str())),
    };
    let schemas = Schemas::embedded();
    let mut reports = Vec::new();
    for f in a.files {
        let (name, text) = if f.as_os_str() == "-" {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).context("stdin")?;
            ("<stdin>".to_string(), s)
        } else {
            (
                f.display().to_string(),
                std::fs::read_to_string(f).with_context(|| f.display().to_string())?,
            )
        };
        let documents = check_text(&text, &schemas, &opts)
            .map_err(|e| anyhow!("{name}: not YAML or JSON: {e}"))?;
        reports.push(FileReport {
            file: name,
            documents,
        });
    }
    let all = || {
        reports
            .iter()
            .flat_map(|r| &r.documents)
            .flat_map(|d| &d.findings)
    };
    let errors = all().filter(|f| f.severity == Severity::Error).count();
    let warnings = all().count() - errors;
    if let Some(j) = a.junit {
        std::fs::write(j, junit(&reports)?).with_context(|| j.display().to_string())?;
    }
    match g.output {
        Format::Table => {
            for r in &reports {
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
        f => emit(out, f, &reports)?,
    }
    if errors > 0 && reports.is_empty() {
        bail!("nothing validated");
    }
    Ok(u8::from(errors > 0))
}

fn junit(reports: &[FileReport]) -> Result<String> {
    let mut report = Report::new("veloscope validate");
    for r in reports {
        let mut suite = TestSuite::new(r.file.clone());
        for d in &r.documents {
            let errors: Vec<String> = d
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| format!("{}: {}", f.path, f.message))
                .collect();
            let status = if errors.is_empty() {
                TestCaseStatus::success()
            } else {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(errors[0].clone());
                s.set_description(errors.join("\n"));
                s
            };
            let mut case = TestCase::new(
                format!("document {} {} {}", d.document, d.kind, d.name),
                status,
            );
            case.set_classname(r.file.clone());
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string().map_err(|e| anyhow!(e.to_string()))
}
