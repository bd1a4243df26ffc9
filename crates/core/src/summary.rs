//! `inspect`: a backup's summary: format, the stored Backup's status and spec, counts per resource
//! and namespace, side-file record counts, and the reader's warnings.

use crate::{Backup, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use veloscope_archive::BackupFolder;
use veloscope_index::{NamespaceStats, ResourceStats};
use veloscope_model::sidefiles::{
    BackupResults, BackupVolumeInfo, ItemOperation, NativeSnapshot, ObjectList, ResourceList,
    SideFile,
};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary<'a> {
    /// The source as the caller named it.
    pub source: String,
    /// The tarball's path or URL.
    #[serde(skip)]
    pub archive: String,
    pub format_version: Option<&'a str>,
    pub compression: String,
    pub backup: Option<BackupSummary>,
    pub items: u64,
    pub entries: u64,
    pub bytes: u64,
    pub archive_bytes: u64,
    pub cluster_scoped_items: u64,
    pub resources: &'a [ResourceStats],
    pub namespaces: &'a [NamespaceStats],
    pub side_files: Option<SideFiles>,
    pub warnings: Vec<Warning>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupSummary {
    pub name: String,
    pub namespace: Option<String>,
    pub phase: Option<String>,
    pub started: Option<String>,
    pub completed: Option<String>,
    pub expires: Option<String>,
    pub storage_location: Option<String>,
    pub ttl: Option<String>,
    pub errors: i64,
    pub warnings: i64,
    pub total_items: Option<i64>,
    pub items_backed_up: Option<i64>,
    pub format_version: Option<String>,
    pub spec: Value,
}

/// Record counts of the side files present (None = file absent, which Velero reads as none).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SideFiles {
    pub resource_list: Option<usize>,
    pub result_errors: Option<usize>,
    pub result_warnings: Option<usize>,
    pub volume_info: Option<usize>,
    pub volume_snapshots: Option<usize>,
    pub pod_volume_backups: Option<usize>,
    pub item_operations: Option<usize>,
    pub csi_volume_snapshots: Option<usize>,
    pub csi_volume_snapshot_contents: Option<usize>,
    pub csi_volume_snapshot_classes: Option<usize>,
}

#[derive(Serialize)]
pub struct Warning {
    pub entry: String,
    pub message: String,
    /// What kind of warning (the reader's kind, or a side file's): tables show a few of each.
    #[serde(skip)]
    pub kind: String,
}

impl Backup {
    /// The summary `inspect` prints; from a sidecar it needs only the head.
    pub fn summary(&self) -> Result<Summary<'_>> {
        crate::backup::require_valid(self)?;
        let mut warnings: Vec<Warning> = self
            .index
            .warnings
            .iter()
            .map(|w| Warning {
                entry: w.entry.clone(),
                message: w.message.clone(),
                kind: format!("{:?}", w.kind),
            })
            .collect();
        let (backup, side_files) = match self.source.folder() {
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
        let idx = &self.index;
        Ok(Summary {
            source: self.named_as.clone(),
            archive: self.source.tarball().display().to_string(),
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
        })
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
            kind: "side file".into(),
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
