use crate::args::{Format, Global};
use crate::output::{Table, emit, human_bytes};
use anyhow::Result;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use veloscope_archive::BackupFolder;
use veloscope_core::Session;
use veloscope_core::backup::{self, Backup};
use veloscope_index::{NamespaceStats, ResourceStats};
use veloscope_model::sidefiles::{
    BackupResults, BackupVolumeInfo, ItemOperation, NativeSnapshot, ObjectList, ResourceList,
    SideFile,
};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    source: String,
    format_version: Option<&'a str>,
    compression: String,
    backup: Option<BackupSummary>,
    items: u64,
    entries: u64,
    bytes: u64,
    archive_bytes: u64,
    cluster_scoped_items: u64,
    resources: &'a [ResourceStats],
    namespaces: &'a [NamespaceStats],
    side_files: Option<SideFiles>,
    warnings: Vec<Warning>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BackupSummary {
    name: String,
    namespace: Option<String>,
    phase: Option<String>,
    started: Option<String>,
    completed: Option<String>,
    expires: Option<String>,
    storage_location: Option<String>,
    ttl: Option<String>,
    errors: i64,
    warnings: i64,
    total_items: Option<i64>,
    items_backed_up: Option<i64>,
    format_version: Option<String>,
    spec: Value,
}

/// Record counts of the side files present (None = file absent, which Velero reads as none).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SideFiles {
    resource_list: Option<usize>,
    result_errors: Option<usize>,
    result_warnings: Option<usize>,
    volume_info: Option<usize>,
    volume_snapshots: Option<usize>,
    pod_volume_backups: Option<usize>,
    item_operations: Option<usize>,
    csi_volume_snapshots: Option<usize>,
    csi_volume_snapshot_contents: Option<usize>,
    csi_volume_snapshot_classes: Option<usize>,
}

#[derive(Serialize)]
struct Warning {
    entry: String,
    message: String,
}

pub fn run(path: &Path, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<()> {
    // A summary needs no item from a sidecar: its head has every count.
    let none = |_: &_, _, _| false;
    let part = veloscope_core::sidecar::Part::Sections(&none);
    let loaded = veloscope_core::sidecar::load_part(backup::open(path)?, s, None, part)?;
    backup::require_valid(&loaded)?;
    let mut warnings: Vec<Warning> = loaded
        .index
        .warnings
        .iter()
        .map(|w| Warning {
            entry: w.entry.clone(),
            message: w.message.clone(),
        })
        .collect();
    let (backup, side_files) = match loaded.source.folder() {
        Some(folder) => {
            let backup = folder.backup()?.map(|stored| {
                let b = stored.backup;
                BackupSummary {
                    name: b.metadata.name,
                    namespace: b.metadata.namespace,
                    phase: b.status.phase,
                    started: b.status.start_timestamp,
                    completed: b.status.completion_timestamp,
                    expires: b.status.expiration,
                    storage_location: b.spec.storage_location,
                    ttl: b.spec.ttl,
                    errors: b.status.errors,
                    warnings: b.status.warnings,
                    total_items: b.status.progress.map(|p| p.total_items),
                    items_backed_up: b.status.progress.map(|p| p.items_backed_up),
                    format_version: b.status.format_version,
                    spec: stored.raw.get("spec").cloned().unwrap_or(Value::Null),
                }
            });
            (backup, Some(side_files(folder, &mut warnings)))
        }
        None => (None, None),
    };
    let idx = &loaded.index;
    let report = Report {
        source: path.display().to_string(),
        format_version: idx.stats.format_version.as_deref(),
        compression: idx
            .stats
            .compression
            .map(|c| c.to_string())
            .unwrap_or_default(),
        backup,
        items: idx.item_count(),
        entries: idx.stats.entries,
        bytes: idx.stats.bytes,
        archive_bytes: idx.stats.archive_bytes,
        cluster_scoped_items: idx.cluster_scoped_items,
        resources: &idx.resources,
        namespaces: &idx.namespaces,
        side_files,
        warnings,
    };
    match g.output {
        Format::Table => table(&report, &loaded, out),
        f => emit(out, f, &report),
    }
}

fn read<T: DeserializeOwned + Default>(
    folder: &BackupFolder,
    kind: SideFile,
    warnings: &mut Vec<Warning>,
) -> Option<T> {
    folder.side_file::<T>(kind).unwrap_or_else(|e| {
        warnings.push(Warning {
            entry: folder.side_file_path(kind).display().to_string(),
            message: e.to_string(),
        });
        None
    })
}

fn side_files(f: &BackupFolder, w: &mut Vec<Warning>) -> SideFiles {
    let results = read::<BackupResults>(f, SideFile::Results, w);
    let len = |v: Option<ObjectList>| v.map(|v| v.len());
    SideFiles {
        resource_list: read::<ResourceList>(f, SideFile::ResourceList, w)
            .map(|l| l.values().map(Vec::len).sum()),
        result_errors: results.as_ref().map(|r| r.errors.count()),
        result_warnings: results.as_ref().map(|r| r.warnings.count()),
        volume_info: read::<Vec<BackupVolumeInfo>>(f, SideFile::VolumeInfo, w).map(|v| v.len()),
        volume_snapshots: read::<Vec<NativeSnapshot>>(f, SideFile::VolumeSnapshots, w)
            .map(|v| v.len()),
        pod_volume_backups: len(read(f, SideFile::PodVolumeBackups, w)),
        item_operations: read::<Vec<ItemOperation>>(f, SideFile::ItemOperations, w)
            .map(|v| v.len()),
        csi_volume_snapshots: len(read(f, SideFile::CsiVolumeSnapshots, w)),
        csi_volume_snapshot_contents: len(read(f, SideFile::CsiVolumeSnapshotContents, w)),
        csi_volume_snapshot_classes: len(read(f, SideFile::CsiVolumeSnapshotClasses, w)),
    }
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("<none>")
}

fn table(r: &Report<'_>, loaded: &Backup, out: &mut impl Write) -> Result<()> {
    let mut head = Table::plain();
    let mut kv = |k: &str, v: String| head.row(vec![format!("{k}:"), v]);
    if let Some(b) = &r.backup {
        kv("Backup", b.name.clone());
        kv("Phase", opt(&b.phase).to_string());
        kv("Started", opt(&b.started).to_string());
        kv("Completed", opt(&b.completed).to_string());
        kv("Expires", opt(&b.expires).to_string());
        kv("Storage location", opt(&b.storage_location).to_string());
        kv("TTL", opt(&b.ttl).to_string());
        kv(
            "Errors / warnings",
            format!("{} / {}", b.errors, b.warnings),
        );
        if let (Some(t), Some(d)) = (b.total_items, b.items_backed_up) {
            kv("Items backed up", format!("{d} of {t}"));
        }
    }
    kv(
        "Archive",
        format!(
            "{} ({}, {})",
            loaded.source.tarball().display(),
            r.compression,
            human_bytes(r.archive_bytes)
        ),
    );
    kv(
        "Format version",
        r.format_version.unwrap_or("<missing>").to_string(),
    );
    kv(
        "Items",
        format!(
            "{} ({} entries, {} uncompressed)",
            r.items,
            r.entries,
            human_bytes(r.bytes)
        ),
    );
    kv("Cluster-scoped items", r.cluster_scoped_items.to_string());
    if let Some(s) = &r.side_files {
        let n = |v: Option<usize>| v.map_or("-".to_string(), |n| n.to_string());
        kv("Volume info", n(s.volume_info));
        kv("Native snapshots", n(s.volume_snapshots));
        kv("Pod volume backups", n(s.pod_volume_backups));
        kv("Item operations", n(s.item_operations));
    }
    head.write(out)?;
    if let Some(b) = &r.backup {
        writeln!(out, "\nSpec:")?;
        let yaml = serde_yaml::to_string(&b.spec)?;
        for line in yaml.lines() {
            writeln!(out, "  {line}")?;
        }
    }
    writeln!(out)?;
    let mut t = Table::new(&["RESOURCE", "NAMESPACED", "ITEMS", "VERSIONS", "PREFERRED"]);
    for res in r.resources {
        t.row(vec![
            res.resource.clone(),
            res.namespaced.to_string(),
            res.items.to_string(),
            res.versions.join(","),
            res.preferred_version.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    t.write(out)?;
    writeln!(out)?;
    let mut t = Table::new(&["NAMESPACE", "ITEMS"]);
    for ns in r.namespaces {
        t.row(vec![ns.namespace.clone(), ns.items.to_string()]);
    }
    t.write(out)?;
    if !r.warnings.is_empty() {
        writeln!(out, "\nWarnings ({}):", r.warnings.len())?;
        for w in &r.warnings {
            writeln!(out, "  {}: {}", w.entry, w.message)?;
        }
    }
    Ok(())
}
