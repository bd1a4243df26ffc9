//! `validate`: Backup, Restore and Schedule manifests against Velero's CRD schemas, unknown and
//! duplicate fields, and Velero's admission rules; optionally evaluated against a backup.

use crate::{Backup, Error, InFile, Result, Session};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};
use veloscope_select::VeleroVersion;
pub use veloscope_validate::{DocumentReport, FieldValidation, Severity};
use veloscope_validate::{Options, Schemas, check_text};

#[derive(Debug, Clone, Copy)]
pub struct ValidateRequest<'a> {
    pub files: &'a [PathBuf],
    pub mode: FieldValidation,
    /// Evaluate Backups and Schedules against this backup (or a location's newest backup).
    pub against: Option<&'a Path>,
    pub velero_version: VeleroVersion,
    pub junit: Option<&'a Path>,
}

/// Every file's documents and findings, with the totals.
#[derive(Debug)]
pub struct ValidateReport {
    pub files: Vec<FileReport>,
    pub errors: usize,
    pub warnings: usize,
}

#[derive(Debug, Serialize)]
pub struct FileReport {
    pub file: String,
    pub documents: Vec<DocumentReport>,
}

/// A storage location's newest backup (by `status.startTimestamp`), or the source itself.
fn backup_source(path: &Path) -> Result<PathBuf> {
    let backups = path.join("backups");
    if !backups.is_dir() {
        return Ok(path.to_path_buf());
    }
    let mut newest: Option<(String, PathBuf)> = None;
    for e in std::fs::read_dir(&backups).in_file(backups.display())? {
        let dir = e.in_file(backups.display())?.path();
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
    newest.map(|n| n.1).ok_or_else(|| Error::NotFound {
        file: path.display().to_string(),
        message: "no backups in the location".into(),
        nearest: Vec::new(),
    })
}

/// Checks Backup, Restore and Schedule manifests; `-` reads stdin.
pub fn validate(a: &ValidateRequest<'_>, session: &Session<'_>) -> Result<ValidateReport> {
    let version = a.velero_version;
    let loaded = match a.against {
        Some(p) => {
            let src = backup_source(p)?;
            let l = Backup::open(&src, session)?;
            crate::backup::require_valid(&l)?;
            Some((l, src.display().to_string()))
        }
        None => None,
    };
    let opts = Options {
        mode: a.mode,
        version,
        against: loaded.as_ref().map(|(l, s)| (&l.index, s.as_str())),
    };
    let schemas = schemas();
    let mut reports = Vec::new();
    for f in a.files {
        let (name, text) = if f.as_os_str() == "-" {
            let mut s = String::new();
            let limit = session.options.max_entry_bytes;
            std::io::stdin()
                .take(limit.saturating_add(1))
                .read_to_string(&mut s)
                .in_file("<stdin>")?;
            if s.len() as u64 > limit {
                return Err(Error::input(
                    "<stdin>",
                    format!("more than the input budget of {limit} bytes (--max-entry-bytes)"),
                ));
            }
            ("<stdin>".to_string(), s)
        } else {
            (
                f.display().to_string(),
                veloscope_archive::read_text(f, session.options.max_entry_bytes)?,
            )
        };
        let documents =
            check_text(&text, schemas, &opts).map_err(|e| Error::input_from(&name, e))?;
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
        let mut inputs: Vec<PathBuf> = a.files.to_vec();
        inputs.extend(a.against.map(Path::to_path_buf));
        crate::output::refuse_input(j, &inputs, "--junit")?;
        crate::output::write_atomically(j, junit(&reports)?.as_bytes())?;
    }
    Ok(ValidateReport {
        files: reports,
        errors,
        warnings,
    })
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
    report
        .to_string()
        .map_err(|e| Error::internal_from("rendering JUnit XML", e))
}

/// The embedded CRD schemas, parsed once per process (a server checks many manifests).
fn schemas() -> &'static Schemas {
    static SCHEMAS: std::sync::OnceLock<Schemas> = std::sync::OnceLock::new();
    SCHEMAS.get_or_init(Schemas::embedded)
}

/// The findings on one Velero object given as text (a `--dry-run=server` request's body): its
/// kind and name, and the findings in `mode`. Not a Backup, Restore or Schedule: an error.
pub fn check_document(
    text: &str,
    mode: FieldValidation,
) -> Result<(String, String, Vec<veloscope_validate::Finding>)> {
    let opts = Options {
        mode,
        version: VeleroVersion::LATEST,
        against: None,
    };
    let report = check_text(text, schemas(), &opts)
        .map_err(Error::usage_from)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::usage("not a velero.io/v1 Backup, Restore or Schedule"))?;
    Ok((report.kind, report.name, report.findings))
}

/// The embedded `openAPIV3Schema` of a Velero kind, for a server's OpenAPI.
pub fn crd_schema(kind: &str) -> Option<serde_json::Value> {
    schemas().get(kind).cloned()
}
