use serde::Serialize;
use std::fmt;

/// Why an item is not selected: short, stable strings (the `reason` of the JSON contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Reason {
    #[serde(rename = "resource excluded")]
    ResourceExcluded,
    #[serde(rename = "cluster-scoped resources not included")]
    ClusterScopedNotIncluded,
    #[serde(rename = "namespace excluded")]
    NamespaceExcluded,
    #[serde(rename = "label selector")]
    LabelSelector,
    #[serde(rename = "exclude-from-backup label")]
    ExcludeLabel,
    #[serde(rename = "being deleted")]
    BeingDeleted,
    #[serde(rename = "namespace not active")]
    NamespaceNotActive,
    #[serde(rename = "cohabiting resource")]
    Cohabiting,
    // Restore-only reasons.
    #[serde(rename = "non-restorable resource")]
    NonRestorable,
    #[serde(rename = "completed pod")]
    CompletedPod,
    #[serde(rename = "completed job")]
    CompletedJob,
    #[serde(rename = "mirror pod")]
    MirrorPod,
    #[serde(rename = "exists")]
    Exists,
    #[serde(rename = "volume re-provisioned")]
    VolumeReprovisioned,
    #[serde(rename = "error decoding")]
    DecodeError,
    #[serde(rename = "skipped by a restore item action")]
    SkippedByAction,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::ResourceExcluded => "resource excluded",
            Reason::ClusterScopedNotIncluded => "cluster-scoped resources not included",
            Reason::NamespaceExcluded => "namespace excluded",
            Reason::LabelSelector => "label selector",
            Reason::ExcludeLabel => "exclude-from-backup label",
            Reason::BeingDeleted => "being deleted",
            Reason::NamespaceNotActive => "namespace not active",
            Reason::Cohabiting => "cohabiting resource",
            Reason::NonRestorable => "non-restorable resource",
            Reason::CompletedPod => "completed pod",
            Reason::CompletedJob => "completed job",
            Reason::MirrorPod => "mirror pod",
            Reason::Exists => "exists",
            Reason::VolumeReprovisioned => "volume re-provisioned",
            Reason::DecodeError => "error decoding",
            Reason::SkippedByAction => "skipped by a restore item action",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
