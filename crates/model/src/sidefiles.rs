//! The side files Velero writes beside a backup's tarball (`backups/<n>/<n>-*.gz`), typed as
//! stored. Untagged Go fields keep their capitalised names (`ReadyToUse`, `Phase`, `Group`, ...).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which side file: its name suffix after `<backup-name>` in the BSL folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SideFile {
    ResourceList,
    Results,
    VolumeInfo,
    VolumeSnapshots,
    PodVolumeBackups,
    ItemOperations,
    CsiVolumeSnapshots,
    CsiVolumeSnapshotContents,
    CsiVolumeSnapshotClasses,
}

impl SideFile {
    pub const ALL: [SideFile; 9] = [
        SideFile::ResourceList,
        SideFile::Results,
        SideFile::VolumeInfo,
        SideFile::VolumeSnapshots,
        SideFile::PodVolumeBackups,
        SideFile::ItemOperations,
        SideFile::CsiVolumeSnapshots,
        SideFile::CsiVolumeSnapshotContents,
        SideFile::CsiVolumeSnapshotClasses,
    ];

    pub fn suffix(self) -> &'static str {
        match self {
            SideFile::ResourceList => "-resource-list.json.gz",
            SideFile::Results => "-results.gz",
            SideFile::VolumeInfo => "-volumeinfo.json.gz",
            SideFile::VolumeSnapshots => "-volumesnapshots.json.gz",
            SideFile::PodVolumeBackups => "-podvolumebackups.json.gz",
            SideFile::ItemOperations => "-itemoperations.json.gz",
            SideFile::CsiVolumeSnapshots => "-csi-volumesnapshots.json.gz",
            SideFile::CsiVolumeSnapshotContents => "-csi-volumesnapshotcontents.json.gz",
            SideFile::CsiVolumeSnapshotClasses => "-csi-volumesnapshotclasses.json.gz",
        }
    }

    pub fn file_name(self, backup: &str) -> String {
        format!("{backup}{}", self.suffix())
    }
}

/// `-resource-list.json.gz`: `"<apiVersion>/<Kind>"` → sorted `"<ns>/<name>"` or `"<name>"`.
pub type ResourceList = BTreeMap<String, Vec<String>>;

/// `-results.gz`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BackupResults {
    #[serde(default)]
    pub errors: ResultMessages,
    #[serde(default)]
    pub warnings: ResultMessages,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ResultMessages {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub velero: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub namespaces: BTreeMap<String, Vec<String>>,
}

impl ResultMessages {
    pub fn count(&self) -> usize {
        self.velero.len()
            + self.cluster.len()
            + self.namespaces.values().map(Vec::len).sum::<usize>()
    }
}

/// One entry of `-volumeinfo.json.gz` (`BackupVolumeInfo`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupVolumeInfo {
    #[serde(default)]
    pub pvc_name: Option<String>,
    #[serde(default)]
    pub pvc_namespace: Option<String>,
    #[serde(default)]
    pub pv_name: Option<String>,
    #[serde(default)]
    pub backup_method: Option<String>,
    #[serde(default)]
    pub snapshot_data_moved: bool,
    #[serde(default)]
    pub preserve_local_snapshot: bool,
    #[serde(default)]
    pub skipped: bool,
    #[serde(default)]
    pub skipped_reason: Option<String>,
    #[serde(default)]
    pub result: Option<String>,
    #[serde(default)]
    pub pv_info: Option<PvInfo>,
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PvInfo {
    #[serde(default)]
    pub reclaim_policy: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// One native snapshot record of `-volumesnapshots.json.gz`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NativeSnapshot {
    #[serde(default)]
    pub spec: NativeSnapshotSpec,
    #[serde(default)]
    pub status: NativeSnapshotStatus,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NativeSnapshotSpec {
    #[serde(default)]
    pub backup_name: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub persistent_volume_name: String,
    #[serde(default)]
    pub provider_volume_id: String,
    #[serde(default)]
    pub volume_type: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NativeSnapshotStatus {
    #[serde(default)]
    pub provider_snapshot_id: Option<String>,
    #[serde(default)]
    pub phase: Option<String>,
}

/// One entry of `-itemoperations.json.gz`; the resource identifier has Go's capitalised keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ItemOperation {
    #[serde(default)]
    pub spec: ItemOperationSpec,
    #[serde(default)]
    pub status: serde_json::Value,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemOperationSpec {
    #[serde(default)]
    pub backup_name: String,
    #[serde(default)]
    pub backup_item_action: String,
    #[serde(default)]
    pub resource_identifier: ResourceIdentifier,
    #[serde(default)]
    pub operation_id: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ResourceIdentifier {
    #[serde(rename = "Group", default)]
    pub group: String,
    #[serde(rename = "Resource", default)]
    pub resource: String,
    #[serde(rename = "Namespace", default)]
    pub namespace: String,
    #[serde(rename = "Name", default)]
    pub name: String,
}

/// Side files whose records veloscope only counts or passes through (PodVolumeBackups, the
/// legacy CSI lists) are kept as JSON values.
pub type ObjectList = Vec<serde_json::Value>;
