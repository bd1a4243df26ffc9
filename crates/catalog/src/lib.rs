//! The fleet catalog: every backup of one or more storage locations as Parquet tables
//! (`backups`, `items`, `volumes`, `findings`), Hive-partitioned by location and backup, so
//! Spark, Trino, Athena, DuckDB or `veloscope sql` answer questions across thousands of
//! backups. Incremental (a backup whose stored objects are unchanged is skipped), sharded (N
//! writers, as the pods of a Kubernetes Indexed Job, take disjoint, complete shares) and atomic
//! per file (a crash leaves the old file or none, never half of one).
//!
//! Like the engine it never prints or exits: it returns a [`CatalogReport`].
//!
//! ```
//! use veloscope_catalog::Shard;
//!
//! // Four pods of an Indexed Job: each backup is written by exactly one of them.
//! let shards: Vec<Shard> = (0..4)
//!     .map(|i| Shard::parse(&format!("{i}/4"), None))
//!     .collect::<Result<_, _>>()?;
//! for backup in ["nightly-1", "nightly-2", "weekly-1"] {
//!     assert_eq!(shards.iter().filter(|s| s.takes("prod", backup)).count(), 1);
//! }
//! # Ok::<(), veloscope_core::Error>(())
//! ```

mod folder;
mod item;
pub mod schema;
mod shard;
#[cfg(feature = "sql")]
pub mod sql;
mod table;

pub use folder::escape as partition_value;
pub use shard::{JOB_COMPLETION_INDEX, Shard};

use folder::{CatalogFolder, Part};
use item::{Chunk, ObjectColumn, micros};
use schema::{BACKUPS, FINDINGS, ITEMS, VOLUMES};
use serde::Serialize;
use serde_json::Value;
use std::path::Path;
use table::{Cell, Rows};
use veloscope_core::audit::{Audit, audit};
use veloscope_core::location::{BackupRow, Location};
use veloscope_core::verify::Severity;
use veloscope_core::{Error, Result, Session};

/// What to catalogue and how.
#[derive(Debug, Clone, Copy)]
pub struct CatalogRequest<'a> {
    /// Storage locations (folders, `s3://…` URLs) or single backups of one (`LOC/backups/NAME`).
    pub sources: &'a [String],
    /// A folder, or an object-storage URL (`s3://bucket/prefix`).
    pub out: &'a str,
    /// The `location` partition value for the one location given (default: derived from its
    /// path or URL).
    pub location_name: Option<&'a str>,
    /// Add each item's stored object as JSON (managedFields left out, Secrets redacted).
    pub with_objects: bool,
    /// With `with_objects`: keep Secret values.
    pub show_secrets: bool,
    pub shard: Option<Shard>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Catalogued now (new or changed).
    Written,
    /// Already in the catalog with the same fingerprint.
    Unchanged,
    /// In the catalog but no longer in its location.
    Removed,
    /// Could not be read (or only in part): recorded with its error, retried by the next run.
    Failed,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub location: String,
    pub backup: String,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CatalogReport {
    pub catalog: String,
    pub backups: Vec<Outcome>,
}

impl CatalogReport {
    pub fn failed(&self) -> usize {
        self.backups
            .iter()
            .filter(|o| o.action == Action::Failed)
            .count()
    }
}

/// A source resolved: its location, the partition name, and the one backup it names, if any.
struct Source {
    location: Location,
    /// The location's URL, or a local folder's absolute path (the `location_url` column).
    url: String,
    name: String,
    only: Option<String>,
}

fn resolve(spec: &str, name: Option<&str>) -> Result<Source> {
    let trimmed = spec.trim_end_matches('/');
    let (root, only) = match trimmed.rsplit_once("/backups/") {
        Some((root, backup)) if !backup.contains('/') && !backup.is_empty() => {
            (root.to_string(), Some(backup.to_string()))
        }
        _ => (trimmed.to_string(), None),
    };
    let root = if root.is_empty() { "/".into() } else { root };
    let location = Location::open(&root)?;
    let url = match root.split_once("://") {
        Some(_) if !root.starts_with("file://") => root.clone(),
        _ => {
            let local = Path::new(root.strip_prefix("file://").unwrap_or(&root));
            local
                .canonicalize()
                .map_err(|e| Error::input_from(&root, e))?
                .display()
                .to_string()
        }
    };
    let name = match name {
        Some(n) => n.to_string(),
        None => derived_name(&url),
    };
    Ok(Source {
        location,
        url,
        name,
        only,
    })
}

/// A path made absolute and cleaned of `.` and `..` without touching the disk (the catalog
/// folder may not exist yet); a URL as it is, less trailing slashes.
fn absolute(spec: &str) -> String {
    if veloscope_store::is_url(spec) && !spec.starts_with("file://") {
        return spec.trim_end_matches('/').to_string();
    }
    let path = Path::new(spec.strip_prefix("file://").unwrap_or(spec));
    let joined = std::env::current_dir()
        .map(|d| d.join(path))
        .unwrap_or_else(|_| path.to_path_buf());
    let mut clean = std::path::PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::ParentDir => {
                clean.pop();
            }
            std::path::Component::CurDir => {}
            other => clean.push(other),
        }
    }
    // Resolve links in the part that exists, as the sources' paths are.
    let mut existing = clean.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (
            existing.file_name().map(|n| n.to_owned()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut resolved = existing.canonicalize().unwrap_or(existing);
    for name in rest.into_iter().rev() {
        resolved.push(name);
    }
    resolved.display().to_string()
}

/// A location's default partition name: a URL's bucket and prefix joined with `-`
/// (`s3://velero/prod` → `velero-prod`), a folder's own name.
fn derived_name(root: &str) -> String {
    if let Some((_, rest)) = root.split_once("://")
        && !root.starts_with("file://")
    {
        return rest
            .split('/')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-");
    }
    Path::new(root)
        .file_name()
        .map_or("root".into(), |n| n.to_string_lossy().into_owned())
}

/// Catalogues every backup of the sources into `req.out`, one backup after another; a backup
/// that fails is reported and the others still go in.
pub fn catalog(req: &CatalogRequest<'_>, s: &Session<'_>) -> Result<CatalogReport> {
    if req.location_name.is_some() && req.sources.len() != 1 {
        return Err(Error::usage(
            "--location-name names one location: give one source per run",
        ));
    }
    let mut sources: Vec<Source> = Vec::new();
    for spec in req.sources {
        let source = resolve(spec, req.location_name)?;
        if let Some(other) = sources
            .iter()
            .find(|o| o.name == source.name && o.url != source.url)
        {
            return Err(Error::usage(format!(
                "{spec} and {} would both be catalogued as location {:?}; catalogue them in separate runs with --location-name",
                other.url, source.name
            )));
        }
        sources.push(source);
    }
    let out_at = absolute(req.out);
    if let Some(inside) = sources
        .iter()
        .find(|s| out_at == s.url || out_at.starts_with(&format!("{}/", s.url)))
    {
        return Err(Error::usage(format!(
            "--out {}: inside the source {}; write the catalog elsewhere (a catalog never writes into a location it reads)",
            req.out, inside.url
        )));
    }
    let folder = CatalogFolder::open(req.out)?;
    let objects = ObjectColumn {
        with_objects: req.with_objects,
        show_secrets: req.show_secrets,
    };
    let mut outcomes = Vec::new();
    for source in &sources {
        catalog_location(&folder, source, req.shard, objects, s, &mut outcomes)?;
    }
    Ok(CatalogReport {
        catalog: req.out.to_string(),
        backups: outcomes,
    })
}

fn catalog_location(
    folder: &CatalogFolder,
    source: &Source,
    shard: Option<Shard>,
    objects: ObjectColumn,
    s: &Session<'_>,
    outcomes: &mut Vec<Outcome>,
) -> Result<()> {
    let listing = source.location.each_backup()?;
    let mine = |backup: &str| shard.is_none_or(|sh| sh.takes(&source.name, backup));
    let outcome = |backup: &str, action| Outcome {
        location: source.name.clone(),
        backup: backup.to_string(),
        action,
        items: None,
        findings: None,
        error: None,
    };
    // A folder whose name cannot be read is a backup this run did not catalogue: a failure, not
    // a notice (the exit status must say the catalog is incomplete). No shard can own it.
    if source.only.is_none() && shard.is_none_or(|sh| sh.index == 0) {
        for problem in &listing.problems {
            outcomes.push(Outcome {
                error: Some(problem.to_string()),
                ..outcome("", Action::Failed)
            });
        }
    }
    let wanted: Vec<_> = listing
        .rows
        .into_iter()
        .filter(|(name, _)| source.only.as_ref().is_none_or(|o| o == name) && mine(name))
        .collect();
    if let Some(only) = &source.only
        && wanted.is_empty()
        && shard.is_none()
    {
        return Err(Error::input(
            source.location.url(),
            format!("no backup named {only:?}"),
        ));
    }
    let total = wanted.len() as u64;
    let mut present = std::collections::BTreeSet::new();
    for (done, (name, row)) in wanted.into_iter().enumerate() {
        s.observer.work("cataloguing backups", done as u64, total);
        match row {
            Ok(Some(row)) => {
                present.insert(name.clone());
                outcomes.push(catalog_backup(folder, source, &row, objects, s));
            }
            // Not a backup (no velero-backup.json): gone from the catalog if it was there.
            Ok(None) => {}
            Err(e) => {
                present.insert(name.clone());
                outcomes.push(Outcome {
                    error: Some(e.to_string()),
                    ..outcome(&name, Action::Failed)
                });
            }
        }
    }
    s.observer.work_finished();
    if source.only.is_none() {
        for gone in folder.catalogued(&source.name)? {
            if !present.contains(&gone) && mine(&gone) {
                folder.remove(&source.name, &gone)?;
                outcomes.push(outcome(&gone, Action::Removed));
            }
        }
    }
    Ok(())
}

/// Bodies handed to the row makers at once: enough to keep both cores busy, little memory.
const CHUNK_ITEMS: usize = 8192;
const CHUNK_BYTES: usize = 4 << 20;

/// Reads the backup once: its items become rows of the `items` table on a second thread, so
/// that reading and row making overlap; the rest is the audit. Also the `items` part written
/// and its row count.
fn read_backup(
    path: &Path,
    s: &Session<'_>,
    mut items: Part,
    start: Option<i64>,
    objects: ObjectColumn,
) -> Result<(Audit, Part, u64)> {
    use std::sync::mpsc::{channel, sync_channel};
    // Two chunks travel: one filled by the read while the other's rows are made.
    let (full_tx, full_rx) = sync_channel::<Chunk>(1);
    let (empty_tx, empty_rx) = channel::<Chunk>();
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<(Part, u64)> {
            let mut count = 0u64;
            for mut chunk in full_rx {
                for batch in chunk.batches(start, objects).map_err(internal)? {
                    count += batch.num_rows() as u64;
                    items.write(&batch)?;
                }
                chunk.clear();
                let _ = empty_tx.send(chunk);
            }
            Ok((items, count))
        });
        let mut chunk = Chunk::default();
        let stopped = || Error::internal("the items table's writer stopped");
        let audited = audit(path, s, &mut |b| {
            chunk.push(&b);
            if chunk.len() >= CHUNK_ITEMS || chunk.bytes() >= CHUNK_BYTES {
                let next = empty_rx.try_recv().unwrap_or_default();
                full_tx
                    .send(std::mem::replace(&mut chunk, next))
                    .map_err(|_| stopped())?;
            }
            Ok(())
        });
        let last = full_tx.send(chunk);
        drop(full_tx);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(Error::internal("the items table's writer panicked")));
        // The writer's own error explains a failed hand-over better than the hand-over does.
        let (items, count) = written?;
        last.map_err(|_| stopped())?;
        Ok((audited?, items, count))
    })
}

fn catalog_backup(
    folder: &CatalogFolder,
    source: &Source,
    row: &BackupRow,
    objects: ObjectColumn,
    s: &Session<'_>,
) -> Outcome {
    let mut outcome = Outcome {
        location: source.name.clone(),
        backup: row.name.clone(),
        action: Action::Written,
        items: None,
        findings: None,
        error: None,
    };
    let result = (|| -> Result<Action> {
        let fingerprint = source.location.fingerprint(&row.name)?;
        if folder.fingerprint(&source.name, &row.name).as_deref() == Some(fingerprint.as_str()) {
            return Ok(Action::Unchanged);
        }
        let start = micros(row.started.as_deref());
        let items = folder.part("items", &ITEMS, None)?;
        let path = source.location.backup_path(&row.name);
        let (audited, items, count) = match read_backup(&path, s, items, start, objects) {
            Ok(read) => read,
            Err(e) => {
                write_failed_row(folder, source, row, &e.to_string())?;
                return Err(e);
            }
        };
        if audited.versioned_only > 0 {
            s.observer.notice(&format!(
                "{}/{}: {} items are stored only under version directories (a restore reads the unversioned tree); they are not in the items table",
                source.name, row.name, audited.versioned_only
            ));
        }
        outcome.items = Some(count);
        outcome.findings = Some(audited.report.problems.len() as u64);
        let findings = findings_part(folder, &audited)?;
        let volumes = volumes_part(folder, &audited)?;
        if !audited.report.complete {
            // Half an archive's items would read as the whole backup: keep its findings only.
            let damage = audited
                .report
                .problems
                .iter()
                .find(|f| f.severity == Severity::Error)
                .map_or("the archive is damaged".to_string(), |f| f.message.clone());
            let message = format!("the archive could not be read to its end: {damage}");
            folder.remove(&source.name, &row.name)?;
            let recorded = Recorded {
                audited: Some(&audited),
                fingerprint: None,
                items: 0,
                error: Some(&message),
            };
            let backups = backups_part(folder, source, row, recorded)?;
            folder.commit(&source.name, &row.name, vec![findings, volumes, backups])?;
            outcome.items = None;
            outcome.error = Some(message.clone());
            return Err(Error::input(
                source.location.backup_path(&row.name).display(),
                message,
            ));
        }
        let recorded = Recorded {
            audited: Some(&audited),
            fingerprint: Some(&fingerprint),
            items: count,
            error: None,
        };
        let backups = backups_part(folder, source, row, recorded)?;
        folder.commit(
            &source.name,
            &row.name,
            vec![items, findings, volumes, backups],
        )?;
        Ok(Action::Written)
    })();
    match result {
        Ok(action) => outcome.action = action,
        Err(e) => {
            outcome.action = Action::Failed;
            outcome.error.get_or_insert(e.to_string());
        }
    }
    outcome
}

/// What a backup's row records of how it was catalogued.
#[derive(Clone, Copy)]
struct Recorded<'a> {
    audited: Option<&'a Audit>,
    /// Only for a backup catalogued whole: a failed one is tried again by the next run.
    fingerprint: Option<&'a str>,
    items: u64,
    error: Option<&'a str>,
}

/// Records a backup that could not be read at all: its row with the error, no other table.
fn write_failed_row(
    folder: &CatalogFolder,
    source: &Source,
    row: &BackupRow,
    error: &str,
) -> Result<()> {
    folder.remove(&source.name, &row.name)?;
    let recorded = Recorded {
        audited: None,
        fingerprint: None,
        items: 0,
        error: Some(error),
    };
    let part = backups_part(folder, source, row, recorded)?;
    folder.commit(&source.name, &row.name, vec![part])
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::internal_from("building a table", e)
}

fn one_batch<'a>(
    folder: &CatalogFolder,
    table: &'static str,
    schema: &arrow_schema::SchemaRef,
    fingerprint: Option<&str>,
    rows: impl IntoIterator<Item = Vec<Cell<'a>>>,
) -> Result<Part> {
    let mut part = folder.part(table, schema, fingerprint)?;
    let mut batch = Rows::new(schema);
    for r in rows {
        batch.push(r).map_err(internal)?;
    }
    part.write(&batch.take().map_err(internal)?)?;
    Ok(part)
}

fn findings_part(folder: &CatalogFolder, audited: &Audit) -> Result<Part> {
    let rows = audited.report.problems.iter().map(|f| {
        vec![
            Cell::Text(Some(f.severity.name().to_string())),
            Cell::Text(Some(f.code.to_string())),
            Cell::Text(Some(f.entry.clone())),
            Cell::Text(Some(f.message.clone())),
        ]
    });
    one_batch(folder, "findings", &FINDINGS, None, rows)
}

fn volumes_part(folder: &CatalogFolder, audited: &Audit) -> Result<Part> {
    let mut rows = Vec::new();
    if let Some(d) = &audited.details {
        for v in &d.volumes {
            let (ns, pvc) = match v.pvc.as_deref().and_then(|p| p.split_once('/')) {
                Some((ns, n)) => (Some(ns.to_string()), Some(n.to_string())),
                None => (None, None),
            };
            rows.push(vec![
                Cell::Text(ns),
                Cell::Text(pvc),
                Cell::Text(v.pv.clone()),
                Cell::Text(v.method.clone()),
                Cell::Text(v.result.clone()),
                Cell::Flag(Some(v.skipped.is_some())),
                Cell::Text(v.skipped.clone()),
                Cell::Text(v.snapshot.clone()),
                Cell::Int(v.bytes),
                Cell::Text(Some("volumeinfo".into())),
            ]);
        }
        // Backups made before volume info (Velero < 1.13) record snapshots and pod volume
        // backups in their own files.
        if d.volumes.is_empty() {
            for n in &d.native_snapshots {
                rows.push(vec![
                    Cell::Text(None),
                    Cell::Text(None),
                    Cell::Text(Some(n.pv.clone())),
                    Cell::Text(Some("NativeSnapshot".into())),
                    Cell::Text(n.phase.clone()),
                    Cell::Flag(Some(false)),
                    Cell::Text(None),
                    Cell::Text(n.snapshot_id.clone()),
                    Cell::Int(None),
                    Cell::Text(Some("volumesnapshots".into())),
                ]);
            }
            for p in &d.pod_volume_backups {
                let ns = p.pod.split_once('/').map(|(ns, _)| ns.to_string());
                rows.push(vec![
                    Cell::Text(ns),
                    Cell::Text(None),
                    Cell::Text(None),
                    Cell::Text(Some("PodVolumeBackup".into())),
                    Cell::Text(Some(p.phase.clone())),
                    Cell::Flag(Some(false)),
                    Cell::Text(None),
                    Cell::Text(None),
                    Cell::Int(p.bytes.and_then(|b| i64::try_from(b).ok())),
                    Cell::Text(Some("podvolumebackups".into())),
                ]);
            }
        }
    }
    one_batch(folder, "volumes", &VOLUMES, None, rows)
}

fn strings(v: &Value, pointer: &str) -> Option<Vec<String>> {
    v.pointer(pointer)?.as_array().map(|a| {
        a.iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    })
}

fn text(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer)?.as_str().map(str::to_string)
}

fn backups_part(
    folder: &CatalogFolder,
    source: &Source,
    row: &BackupRow,
    recorded: Recorded<'_>,
) -> Result<Part> {
    let Recorded {
        audited,
        fingerprint,
        items,
        error,
    } = recorded;
    let o = &row.object;
    let severity = |sev| {
        audited.map(|a| {
            a.report
                .problems
                .iter()
                .filter(|f| f.severity == sev)
                .count() as i64
        })
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    let cells = vec![
        Cell::Text(Some(source.url.clone())),
        Cell::Text(row.phase.clone()),
        Cell::Time(micros(row.started.as_deref())),
        Cell::Time(micros(row.completed.as_deref())),
        Cell::Time(micros(row.expires.as_deref())),
        Cell::Text(row.labels.get("velero.io/schedule-name").cloned()),
        Cell::Text(text(o, "/spec/storageLocation")),
        Cell::Text(text(o, "/spec/ttl")),
        Cell::Int(Some(row.errors)),
        Cell::Int(Some(row.warnings)),
        Cell::Int(row.items),
        Cell::Int(row.bytes.and_then(|b| i64::try_from(b).ok())),
        Cell::Text(text(o, "/status/formatVersion")),
        Cell::Texts(strings(o, "/spec/includedNamespaces")),
        Cell::Texts(strings(o, "/spec/excludedNamespaces")),
        Cell::Texts(strings(o, "/spec/includedResources")),
        Cell::Texts(strings(o, "/spec/excludedResources")),
        Cell::Text(o.pointer("/spec/labelSelector").map(Value::to_string)),
        Cell::Map(Some(
            row.labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )),
        Cell::Int(Some(items as i64)),
        Cell::Flag(audited.map(|a| a.report.complete)),
        Cell::Flag(audited.map(|a| a.report.ok)),
        Cell::Int(severity(Severity::Error)),
        Cell::Int(severity(Severity::Warning)),
        Cell::Text(error.map(str::to_string)),
        Cell::Text(fingerprint.map(str::to_string)),
        Cell::Time(Some(now)),
    ];
    one_batch(folder, "backups", &BACKUPS, fingerprint, [cells])
}
