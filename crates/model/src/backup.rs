//! `velero.io/v1` Backup as stored in `velero-backup.json`. Only the fields veloscope reasons about
//! are typed; the raw JSON is kept by callers that echo the spec.

use crate::selector::LabelSelector;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Backup {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: BackupSpec,
    #[serde(default)]
    pub status: BackupStatus,
}

/// The filter part of a Backup spec (section 3 of the format reference) plus the fields shown by
/// `inspect`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_namespaces: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_namespaces: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_cluster_scoped_resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_cluster_scoped_resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_namespace_scoped_resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_namespace_scoped_resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_cluster_resources: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub or_label_selectors: Option<Vec<Option<LabelSelector>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_volumes: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_volumes_to_fs_backup: Option<bool>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ordered_resources: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BackupHooks::is_empty")]
    pub hooks: BackupHooks,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<TypedLocalObjectReference>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypedLocalObjectReference {
    #[serde(default)]
    pub api_group: Option<String>,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BackupHooks {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<BackupResourceHookSpec>,
}

impl BackupHooks {
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
}

/// `spec.hooks.resources[]`: which pods, and the exec hooks to run before and after backing
/// each of them up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupResourceHookSpec {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_namespaces: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_namespaces: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pre: Vec<BackupResourceHook>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post: Vec<BackupResourceHook>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BackupResourceHook {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecHook>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecHook {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub container: String,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
    #[serde(default)]
    pub errors: i64,
    #[serde(default)]
    pub warnings: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<BackupProgress>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation_errors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupProgress {
    #[serde(default)]
    pub total_items: i64,
    #[serde(default)]
    pub items_backed_up: i64,
}

/// The fields of Velero's `BackupSpec` (`pkg/apis/velero/v1/backup_types.go`).
const BACKUP_FIELDS: &[&str] = &[
    "metadata",
    "includedNamespaces",
    "excludedNamespaces",
    "includedResources",
    "excludedResources",
    "includedClusterScopedResources",
    "excludedClusterScopedResources",
    "includedNamespaceScopedResources",
    "excludedNamespaceScopedResources",
    "labelSelector",
    "orLabelSelectors",
    "snapshotVolumes",
    "ttl",
    "volumeGroupSnapshotLabelKey",
    "includeClusterResources",
    "hooks",
    "storageLocation",
    "volumeSnapshotLocations",
    "defaultVolumesToRestic",
    "defaultVolumesToFsBackup",
    "orderedResources",
    "csiSnapshotTimeout",
    "itemOperationTimeout",
    "resourcePolicy",
    "snapshotMoveData",
    "datamover",
    "uploaderConfig",
];

impl BackupSpec {
    /// A spec from a document that is either a whole `velero.io/v1` Backup (or Schedule, whose
    /// `spec.template` is a Backup spec) or only its `spec`.
    pub fn from_document(doc: &serde_json::Value) -> Result<BackupSpec, crate::ValueError> {
        let spec = match doc.get("kind").and_then(|k| k.as_str()) {
            Some("Schedule") => {
                let template = doc.pointer("/spec/template");
                crate::spec_document::spec_of(doc, "Schedule", template, BACKUP_FIELDS)?
            }
            _ => crate::spec_document::spec_of(doc, "Backup", doc.get("spec"), BACKUP_FIELDS)?,
        };
        serde_json::from_value(spec)
            .map_err(|e| crate::ValueError::Spec(format!("invalid Backup spec: {e}")))
    }
}
