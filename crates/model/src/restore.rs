//! `velero.io/v1` Restore spec (format reference §5.1): the fields the restore planner uses.

use crate::selector::LabelSelector;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreSpec {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub backup_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub schedule_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_namespaces: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_namespaces: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_resources: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub namespace_mapping: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub or_label_selectors: Option<Vec<Option<LabelSelector>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_cluster_resources: Option<bool>,
    #[serde(
        default,
        rename = "restorePVs",
        skip_serializing_if = "Option::is_none"
    )]
    pub restore_pvs: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preserve_node_ports: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_resource_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_status: Option<RestoreStatusSpec>,
    #[serde(default, skip_serializing_if = "RestoreHooks::is_empty")]
    pub hooks: RestoreHooks,
    /// A ConfigMap of resource modifier rules, applied by Velero from the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_modifier: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreStatusSpec {
    #[serde(default)]
    pub included_resources: Vec<String>,
    #[serde(default)]
    pub excluded_resources: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RestoreHooks {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<RestoreResourceHookSpec>,
}

impl RestoreHooks {
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreResourceHookSpec {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub included_namespaces: Vec<String>,
    #[serde(default)]
    pub excluded_namespaces: Vec<String>,
    #[serde(default)]
    pub included_resources: Vec<String>,
    #[serde(default)]
    pub excluded_resources: Vec<String>,
    #[serde(default)]
    pub label_selector: Option<LabelSelector>,
    #[serde(default)]
    pub post_hooks: Vec<RestoreResourceHook>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RestoreResourceHook {
    #[serde(default)]
    pub exec: Option<RestoreExecHook>,
    #[serde(default)]
    pub init: Option<InitRestoreHook>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreExecHook {
    #[serde(default)]
    pub container: String,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub on_error: Option<String>,
    #[serde(default)]
    pub exec_timeout: Option<String>,
    #[serde(default)]
    pub wait_timeout: Option<String>,
    #[serde(default)]
    pub wait_for_ready: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitRestoreHook {
    #[serde(default)]
    pub init_containers: Vec<serde_json::Value>,
    #[serde(default)]
    pub timeout: Option<String>,
}

/// The fields of Velero's `RestoreSpec` (`pkg/apis/velero/v1/restore_types.go`). Those this
/// struct does not model (`itemOperationTimeout`, `resourceModifier`, `uploaderConfig`) do not
/// change which objects a restore creates, except `resourceModifier`, which the plan warns about.
const FIELDS: &[&str] = &[
    "backupName",
    "scheduleName",
    "includedNamespaces",
    "excludedNamespaces",
    "includedResources",
    "excludedResources",
    "namespaceMapping",
    "labelSelector",
    "orLabelSelectors",
    "restorePVs",
    "restoreStatus",
    "preserveNodePorts",
    "includeClusterResources",
    "hooks",
    "existingResourcePolicy",
    "itemOperationTimeout",
    "resourceModifier",
    "uploaderConfig",
];

impl RestoreSpec {
    /// A spec from a whole `velero.io/v1` Restore, a bare `{"spec": …}`, or only its `spec`.
    pub fn from_document(doc: &serde_json::Value) -> Result<RestoreSpec, crate::ValueError> {
        let spec = crate::spec_document::spec_of(doc, "Restore", doc.get("spec"), FIELDS)?;
        serde_json::from_value(spec)
            .map_err(|e| crate::ValueError::Spec(format!("invalid Restore spec: {e}")))
    }
}
