//! Checks Velero `Backup`, `Restore` and `Schedule` manifests before they reach a cluster: the
//! CRDs' OpenAPI schemas (with the API server's messages), unknown and duplicate fields under a
//! field-validation mode, Velero's own admission rules, and optionally what each Backup would
//! select from an archive.
//!
//! ```
//! // A Schedule's cron expression as Velero's robfig/cron parser reads it.
//! assert!(veloscope_validate::cron::check("0 3 * * 1-5").is_ok());
//! assert!(veloscope_validate::cron::check("@every 6h").is_ok());
//! assert!(veloscope_validate::cron::check("61 * * * *").is_err());
//! ```

pub mod cron;
pub mod rules;
pub mod schema;

use schema::Problem;
use serde::Serialize;
use serde_json::Value;
use veloscope_index::Index;
use veloscope_select::VeleroVersion;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Field path (`spec.hooks.resources[0].name`); empty for the whole document.
    pub path: String,
    pub message: String,
}

/// `--field-validation`: what unknown and duplicate fields are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    Strict,
    Warn,
    Ignore,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentReport {
    /// 1-based position in the file; `N.M` for item M of a List document N.
    pub document: String,
    pub line: usize,
    pub kind: String,
    pub name: String,
    pub findings: Vec<Finding>,
}

/// The embedded CRD schemas, by kind.
pub struct Schemas {
    kinds: Vec<(String, Value)>,
}

const CRDS: [&str; 3] = [
    include_str!("../crds/velero.io_backups.yaml"),
    include_str!("../crds/velero.io_restores.yaml"),
    include_str!("../crds/velero.io_schedules.yaml"),
];

impl Schemas {
    pub fn embedded() -> Schemas {
        let kinds = CRDS
            .iter()
            .filter_map(|text| {
                let crd = veloscope_model::manifest::first_document(text).ok()?;
                let kind = crd.pointer("/spec/names/kind")?.as_str()?.to_string();
                let version = crd
                    .pointer("/spec/versions")?
                    .as_array()?
                    .iter()
                    .find(|v| v.get("name").and_then(Value::as_str) == Some("v1"))?;
                let mut schema = version.pointer("/schema/openAPIV3Schema")?.clone();
                // ObjectMeta is validated by the API server itself, not by the CRD schema.
                schema["properties"]["metadata"] = serde_json::json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
                Some((kind, schema))
            })
            .collect();
        Schemas { kinds }
    }

    /// The `openAPIV3Schema` of a Velero kind (`Backup`, `Restore`, `Schedule`).
    pub fn get(&self, kind: &str) -> Option<&Value> {
        self.kinds.iter().find(|(k, _)| k == kind).map(|(_, s)| s)
    }
}

pub struct Options<'a> {
    pub mode: FieldValidation,
    pub version: VeleroVersion,
    /// An archive to evaluate Backup and Schedule specs against, and its name.
    pub against: Option<(&'a Index, &'a str)>,
}

/// Checks one object. None when it is not a velero.io/v1 Backup, Restore or Schedule.
pub fn check_object(
    obj: &Value,
    duplicates: &[String],
    schemas: &Schemas,
    opts: &Options<'_>,
) -> Option<(String, String, Vec<Finding>)> {
    let api = obj.get("apiVersion").and_then(Value::as_str)?;
    let kind = obj.get("kind").and_then(Value::as_str)?.to_string();
    if !api.starts_with("velero.io/") || !matches!(kind.as_str(), "Backup" | "Restore" | "Schedule")
    {
        return None;
    }
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut out = Vec::new();
    if api != "velero.io/v1" {
        out.push(Finding {
            severity: Severity::Error,
            path: "apiVersion".into(),
            message: format!("Unsupported value: {api:?}: supported values: \"velero.io/v1\""),
        });
    }
    if name.is_empty() && obj.pointer("/metadata/generateName").is_none() {
        out.push(Finding {
            severity: Severity::Error,
            path: "metadata.name".into(),
            message: "Required value: name or generateName is required".into(),
        });
    }
    let field = |path: String, message: String| match opts.mode {
        FieldValidation::Strict => Some(Finding {
            severity: Severity::Error,
            path,
            message,
        }),
        FieldValidation::Warn => Some(Finding {
            severity: Severity::Warning,
            path,
            message,
        }),
        FieldValidation::Ignore => None,
    };
    for d in duplicates {
        out.extend(field(d.clone(), format!("duplicate field {d:?}")));
    }
    if let Some(schema) = schemas.get(&kind) {
        let mut problems = Vec::new();
        schema::validate(schema, obj, "", &mut problems);
        for p in problems {
            match p {
                Problem::Invalid { path, message } => out.push(Finding {
                    severity: Severity::Error,
                    path,
                    message,
                }),
                Problem::Unknown { path, nearest } => {
                    let hint = nearest.map_or(String::new(), |n| format!(" (did you mean {n:?}?)"));
                    out.extend(field(path.clone(), format!("unknown field {path:?}{hint}")))
                }
                Problem::Deprecated { path, note } => out.push(Finding {
                    severity: Severity::Warning,
                    path,
                    message: note,
                }),
            }
        }
    }
    let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
    let empty = rules::no_archive();
    let index = opts.against.map_or(&empty, |a| a.0);
    match kind.as_str() {
        "Backup" => {
            out.extend(rules::backup_spec(&spec, "spec", opts.version, index));
            if let Some((idx, src)) = opts.against {
                out.extend(rules::against(&spec, "spec", opts.version, idx, src));
            }
        }
        "Restore" => out.extend(rules::restore_spec(&spec, "spec")),
        _ => {
            out.extend(rules::schedule(&spec, opts.version, index));
            if let (Some((idx, src)), Some(t)) = (opts.against, spec.get("template")) {
                out.extend(rules::against(t, "spec.template", opts.version, idx, src));
            }
        }
    }
    out.sort_by(|a, b| (a.severity, &a.path).cmp(&(b.severity, &b.path)));
    out.dedup();
    Some((kind, name, out))
}

/// Checks every Velero object of a YAML/JSON text (multi-document, Lists expanded).
pub fn check_text(
    text: &str,
    schemas: &Schemas,
    opts: &Options<'_>,
) -> Result<Vec<DocumentReport>, veloscope_model::manifest::ManifestError> {
    let mut reports = Vec::new();
    for (i, doc) in veloscope_model::manifest::documents(text)?
        .into_iter()
        .enumerate()
    {
        let items: Vec<(String, &Value)> = match doc.value.get("items").and_then(Value::as_array) {
            Some(items)
                if doc
                    .value
                    .get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k.ends_with("List")) =>
            {
                items
                    .iter()
                    .enumerate()
                    .map(|(j, v)| (format!("{}.{}", i + 1, j + 1), v))
                    .collect()
            }
            _ => vec![((i + 1).to_string(), &doc.value)],
        };
        for (position, obj) in items {
            let dups: &[String] = if position.contains('.') {
                &[]
            } else {
                &doc.duplicates
            };
            if let Some((kind, name, findings)) = check_object(obj, dups, schemas, opts) {
                reports.push(DocumentReport {
                    document: position,
                    line: doc.line,
                    kind,
                    name,
                    findings,
                });
            }
        }
    }
    Ok(reports)
}
