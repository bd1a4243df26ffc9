//! `inspect --details`: the sections of `velero backup describe --details` that a backup folder's
//! own files answer (`pkg/cmd/util/output/backup_describer.go`): the Backup's labels and
//! annotations, errors and warnings with their messages from `-results.gz`, the volumes (volume
//! info, native snapshots, pod volume backups with uploader and size, CSI snapshots), and the
//! resource list.

use crate::{Backup, Result};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
pub use veloscope_model::sidefiles::ResultMessages as Messages;
use veloscope_model::sidefiles::{
    BackupResults, BackupVolumeInfo, NativeSnapshot, ObjectList, ResourceList, SideFile,
};

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupDetails {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// None when the backup has no `-results.gz`.
    pub errors: Option<Messages>,
    pub warnings: Option<Messages>,
    pub volumes: Vec<VolumeDetail>,
    pub native_snapshots: Vec<SnapshotDetail>,
    pub pod_volume_backups: Vec<PodVolumeDetail>,
    pub csi_snapshots: Vec<String>,
    /// The Backup's `status.hookStatus`: hooks attempted and failed (None: not recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hooks: Option<HookCounts>,
    /// The asynchronous operations of backup item actions (`-itemoperations.json.gz`): CSI
    /// snapshots, data uploads.
    pub item_operations: Vec<OperationDetail>,
    /// `group/version/Kind` → `namespace/name` (Velero's resource list).
    pub resource_list: Option<ResourceList>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeDetail {
    pub pvc: Option<String>,
    pub pv: Option<String>,
    pub method: Option<String>,
    pub skipped: Option<String>,
    pub result: Option<String>,
    /// The snapshot's handle or repository id (CSI, data mover, native or pod volume backup).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// The size the method recorded, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotDetail {
    pub pv: String,
    pub snapshot_id: Option<String>,
    pub volume_type: String,
    pub phase: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodVolumeDetail {
    pub pod: String,
    pub volume: String,
    pub uploader: String,
    pub phase: String,
    pub bytes: Option<u64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookCounts {
    pub attempted: u64,
    pub failed: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationDetail {
    /// `resource.group namespace/name` of the item the operation is for.
    pub item: String,
    pub action: String,
    pub operation_id: String,
    pub phase: String,
    /// `completed/total units`, when the plugin reports progress.
    pub progress: Option<String>,
    pub error: Option<String>,
}

fn text(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// How much of `velero backup describe` to read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Describe {
    /// What it shows by default: labels, annotations, errors and warnings with their messages
    /// (`velero-backup.json` and `-results.gz` only; the other sections stay empty).
    Default,
    /// `--details`: every section, each side file read.
    Details,
}

impl Backup {
    /// The sections of `velero backup describe` the backup folder holds, as much as `describe`
    /// asks for; None for a bare tarball. A side file that cannot be read leaves its section
    /// empty (`inspect`'s warnings say why).
    pub fn details(&self, describe: Describe) -> Result<Option<BackupDetails>> {
        let Some(folder) = self.source.folder() else {
            return Ok(None);
        };
        let mut d = BackupDetails::default();
        if let Some(stored) = folder.backup()? {
            d.labels = string_map(stored.raw.pointer("/metadata/labels"));
            d.annotations = string_map(stored.raw.pointer("/metadata/annotations"));
            let count = |k: &str| {
                stored
                    .raw
                    .pointer(&format!("/status/hookStatus/{k}"))
                    .and_then(Value::as_u64)
            };
            if stored.raw.pointer("/status/hookStatus").is_some() {
                d.hooks = Some(HookCounts {
                    attempted: count("hooksAttempted").unwrap_or(0),
                    failed: count("hooksFailed").unwrap_or(0),
                });
            }
        }
        let side = |kind| folder.side_file::<Value>(kind).ok().flatten();
        let results: Option<BackupResults> =
            side(SideFile::Results).and_then(|v| serde_json::from_value(v).ok());
        (d.errors, d.warnings) = match results {
            Some(r) => (Some(r.errors), Some(r.warnings)),
            None => (None, None),
        };
        if describe == Describe::Default {
            return Ok(Some(d));
        }
        let info: Vec<BackupVolumeInfo> = side(SideFile::VolumeInfo)
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        d.volumes = info
            .into_iter()
            .map(|v| {
                // Each method records its snapshot under its own key (Velero's BackupVolumeInfo).
                let method_info = [
                    "csiSnapshotInfo",
                    "snapshotDataMovementInfo",
                    "nativeSnapshotInfo",
                    "pvbInfo",
                ]
                .iter()
                .find_map(|k| v.other.get(*k).filter(|i| i.is_object()));
                let snapshot = method_info
                    .and_then(|i| i.get("snapshotHandle"))
                    .and_then(Value::as_str)
                    .filter(|h| !h.is_empty())
                    .map(str::to_string);
                let bytes = method_info
                    .and_then(|i| i.get("size"))
                    .and_then(Value::as_i64);
                VolumeDetail {
                    pvc: v
                        .pvc_name
                        .map(|n| format!("{}/{n}", v.pvc_namespace.unwrap_or_default())),
                    pv: v.pv_name,
                    method: v.backup_method,
                    skipped: v.skipped.then(|| v.skipped_reason.unwrap_or_default()),
                    result: v.result,
                    snapshot,
                    bytes,
                }
            })
            .collect();
        let snapshots: Vec<NativeSnapshot> = side(SideFile::VolumeSnapshots)
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        d.native_snapshots = snapshots
            .into_iter()
            .map(|s| SnapshotDetail {
                pv: s.spec.persistent_volume_name,
                snapshot_id: s.status.provider_snapshot_id,
                volume_type: s.spec.volume_type,
                phase: s.status.phase,
            })
            .collect();
        let objects = |kind| -> ObjectList {
            side(kind)
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default()
        };
        d.pod_volume_backups = objects(SideFile::PodVolumeBackups)
            .iter()
            .map(|p| PodVolumeDetail {
                pod: format!(
                    "{}/{}",
                    text(p, "/spec/pod/namespace"),
                    text(p, "/spec/pod/name")
                ),
                volume: text(p, "/spec/volume"),
                uploader: text(p, "/spec/uploaderType"),
                phase: text(p, "/status/phase"),
                bytes: p
                    .pointer("/status/progress/totalBytes")
                    .and_then(Value::as_u64),
            })
            .collect();
        d.csi_snapshots = objects(SideFile::CsiVolumeSnapshots)
            .iter()
            .map(|s| {
                format!(
                    "{}/{} (content {})",
                    text(s, "/metadata/namespace"),
                    text(s, "/metadata/name"),
                    text(s, "/status/boundVolumeSnapshotContentName")
                )
            })
            .collect();
        d.item_operations = objects(SideFile::ItemOperations)
            .iter()
            .map(|o| {
                let id = |k: &str| text(o, &format!("/spec/resourceIdentifier/{k}"));
                let gr = match id("Group").as_str() {
                    "" => id("Resource"),
                    g => format!("{}.{g}", id("Resource")),
                };
                let ns = id("Namespace");
                let item = match ns.as_str() {
                    "" => format!("{gr} {}", id("Name")),
                    ns => format!("{gr} {ns}/{}", id("Name")),
                };
                let n = |k: &str| o.pointer(&format!("/status/{k}")).and_then(Value::as_i64);
                let progress = n("nTotal").filter(|t| *t > 0).map(|t| {
                    format!(
                        "{}/{t} {}",
                        n("nCompleted").unwrap_or(0),
                        text(o, "/status/operationUnits")
                    )
                    .trim_end()
                    .to_string()
                });
                OperationDetail {
                    item,
                    action: text(o, "/spec/backupItemAction"),
                    operation_id: text(o, "/spec/operationID"),
                    phase: text(o, "/status/phase"),
                    progress,
                    error: Some(text(o, "/status/error")).filter(|e| !e.is_empty()),
                }
            })
            .collect();
        d.resource_list = side(SideFile::ResourceList).and_then(|v| serde_json::from_value(v).ok());
        Ok(Some(d))
    }
}
