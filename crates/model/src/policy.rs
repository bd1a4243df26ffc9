//! The resource-policy document of a Backup's `spec.resourcePolicy` ConfigMap (format reference
//! §7). Unknown keys are errors, as Velero decodes with `KnownFields(true)`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourcePolicies {
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub volume_policies: Vec<VolumePolicy>,
    #[serde(default)]
    pub include_exclude_policy: Option<IncludeExcludePolicy>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumePolicy {
    #[serde(default)]
    pub conditions: VolumeConditions,
    pub action: VolumeAction,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeAction {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeConditions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub storage_class: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nfs: Option<NfsSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csi: Option<CsiSource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_types: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pvc_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pvc_phase: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NfsSource {
    #[serde(default)]
    pub server: String,
    #[serde(default)]
    pub path: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CsiSource {
    #[serde(default)]
    pub driver: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_attributes: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncludeExcludePolicy {
    #[serde(default)]
    pub included_cluster_scoped_resources: Vec<String>,
    #[serde(default)]
    pub excluded_cluster_scoped_resources: Vec<String>,
    #[serde(default)]
    pub included_namespace_scoped_resources: Vec<String>,
    #[serde(default)]
    pub excluded_namespace_scoped_resources: Vec<String>,
}

/// The volume source types a `volumeTypes` condition may name.
pub const VOLUME_TYPES: &[&str] = &[
    "awsAzureDisk",
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cinder",
    "cephfs",
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "fc",
    "flocker",
    "flexVolume",
    "gitRepo",
    "glusterfs",
    "gcePersistentDisk",
    "hostPath",
    "iscsi",
    "local",
    "nfs",
    "photonPersistentDisk",
    "portworxVolume",
    "projected",
    "quobyte",
    "rbd",
    "scaleIO",
    "secret",
    "storageOS",
    "vsphereVolume",
];

/// PV source fields in the order Velero's `getVolumeTypeFromPV` checks them, with the type name
/// each one reports.
pub const PV_SOURCES: &[(&str, &str)] = &[
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("azureDisk", "azureDisk"),
    ("azureFile", "azureFile"),
    ("cephfs", "cephfs"),
    ("cinder", "cinder"),
    ("csi", "csi"),
    ("fc", "fc"),
    ("flocker", "flocker"),
    ("flexVolume", "flexVolume"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("glusterfs", "glusterfs"),
    ("hostPath", "hostPath"),
    ("iscsi", "iscsi"),
    ("local", "local"),
    ("nfs", "nfs"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("quobyte", "quobyte"),
    ("rbd", "rbd"),
    ("scaleIO", "scaleIO"),
    ("storageos", "storageOS"),
    ("vsphereVolume", "vsphereVolume"),
];
