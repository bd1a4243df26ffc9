//! The filter flags of `velero backup create` and `velero restore create`, and diff's options,
//! as plain values: the CLI derives its flags from them (feature `clap`), a server fills them
//! from a request.

use std::path::PathBuf;
use veloscope_select::VeleroVersion;

/// The filter flags of `velero backup create`, with Velero's names and meanings.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct BackupFilters {
    /// Namespaces to include (globs; default all). `-n`/`--namespace` as kubectl spells it.
    #[cfg_attr(
        feature = "clap",
        arg(
            long,
            short = 'n',
            visible_alias = "namespace",
            value_delimiter = ',',
            value_name = "NS"
        )
    )]
    pub include_namespaces: Vec<String>,
    /// Every namespace (the default; kubectl's `-A`).
    #[cfg_attr(
        feature = "clap",
        arg(long, short = 'A', conflicts_with = "include_namespaces")
    )]
    pub all_namespaces: bool,
    /// Namespaces to exclude (globs).
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ',', value_name = "NS"))]
    pub exclude_namespaces: Vec<String>,
    /// Resources to include: plural, plural.group, kind, short name, or a glob (default all).
    #[cfg_attr(
        feature = "clap",
        arg(long, value_delimiter = ',', value_name = "RESOURCE")
    )]
    pub include_resources: Vec<String>,
    /// Resources to exclude.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_delimiter = ',', value_name = "RESOURCE")
    )]
    pub exclude_resources: Vec<String>,
    /// Include cluster-scoped items: true, false, or unset (only when no namespace filter is set).
    #[cfg_attr(feature = "clap", arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL"))]
    pub include_cluster_resources: Option<bool>,
    /// Cluster-scoped resources to include (new-style filter; `*` for all).
    #[cfg_attr(
        feature = "clap",
        arg(long, value_delimiter = ',', value_name = "RESOURCE")
    )]
    pub include_cluster_scoped_resources: Vec<String>,
    /// Cluster-scoped resources to exclude (new-style filter; `*` for all).
    #[cfg_attr(
        feature = "clap",
        arg(long, value_delimiter = ',', value_name = "RESOURCE")
    )]
    pub exclude_cluster_scoped_resources: Vec<String>,
    /// Namespaced resources to include (new-style filter; `*` for all).
    #[cfg_attr(
        feature = "clap",
        arg(long, value_delimiter = ',', value_name = "RESOURCE")
    )]
    pub include_namespace_scoped_resources: Vec<String>,
    /// Namespaced resources to exclude (new-style filter; `*` for all).
    #[cfg_attr(
        feature = "clap",
        arg(long, value_delimiter = ',', value_name = "RESOURCE")
    )]
    pub exclude_namespace_scoped_resources: Vec<String>,
    /// Label selector (`a=b,c!=d,e in (f,g),!h`).
    #[cfg_attr(feature = "clap", arg(short = 'l', long))]
    pub selector: Option<String>,
    /// OR of label selectors: "a=b or c=d".
    #[cfg_attr(feature = "clap", arg(long))]
    pub or_selector: Option<String>,
    /// Items first in their resource's processing order: 'pods=ns1/pod1,ns1/pod2;pvs=pv1'.
    #[cfg_attr(feature = "clap", arg(long, value_name = "MAP"))]
    pub ordered_resources: Option<String>,
    /// A resource-policy ConfigMap manifest, or its policy document (volume policies,
    /// includeExcludePolicy).
    #[cfg_attr(feature = "clap", arg(long, value_name = "FILE"))]
    pub resource_policy_file: Option<PathBuf>,
}

/// What `diff` compares and how.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct DiffOptions {
    /// Also ignore this field (dotted path like `metadata.annotations` or JSON pointer like
    /// `/spec/replicas`; `*` matches any key or index). Repeatable.
    #[cfg_attr(feature = "clap", arg(long, value_name = "PATH"))]
    pub ignore: Vec<String>,
    /// Compare `status` too (ignored by default).
    #[cfg_attr(feature = "clap", arg(long))]
    pub include_status: bool,
    /// Ignore nothing, not even resourceVersion, managedFields, generation or status.
    #[cfg_attr(feature = "clap", arg(long, conflicts_with = "include_status"))]
    pub all_fields: bool,
    /// Print Secret data values instead of a short hash of each side.
    #[cfg_attr(feature = "clap", arg(long))]
    pub show_secrets: bool,
    /// Only the list of added/removed/changed items, no field changes.
    #[cfg_attr(feature = "clap", arg(long))]
    pub stat: bool,
}

/// The flags of `velero restore create`, and the planner's own.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct RestoreFilters {
    /// Namespaces to restore (globs over the backup's namespace names; default all).
    /// `-n`/`--namespace` as kubectl spells it.
    #[cfg_attr(
        feature = "clap",
        arg(
            long,
            short = 'n',
            visible_alias = "namespace",
            value_delimiter = ',',
            value_name = "NS"
        )
    )]
    pub include_namespaces: Vec<String>,
    /// Every namespace (the default; kubectl's `-A`).
    #[cfg_attr(
        feature = "clap",
        arg(long, short = 'A', conflicts_with = "include_namespaces")
    )]
    pub all_namespaces: bool,
    /// Namespaces not to restore.
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ',', value_name = "NS"))]
    pub exclude_namespaces: Vec<String>,
    /// Resources to restore (default all).
    #[cfg_attr(
        feature = "clap",
        arg(long, value_delimiter = ',', value_name = "RESOURCE")
    )]
    pub include_resources: Vec<String>,
    /// Resources not to restore.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_delimiter = ',', value_name = "RESOURCE")
    )]
    pub exclude_resources: Vec<String>,
    /// Restore into other namespaces: src1:dst1,src2:dst2.
    #[cfg_attr(feature = "clap", arg(long, value_name = "MAP"))]
    pub namespace_mappings: Option<String>,
    /// Label selector.
    #[cfg_attr(feature = "clap", arg(short = 'l', long))]
    pub selector: Option<String>,
    /// OR of label selectors: "a=b or c=d".
    #[cfg_attr(feature = "clap", arg(long))]
    pub or_selector: Option<String>,
    /// Restore cluster-scoped resources: true, false, or unset (only without a namespace filter).
    #[cfg_attr(feature = "clap", arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL"))]
    pub include_cluster_resources: Option<bool>,
    /// Restore volumes from native snapshots (unset behaves like true).
    #[cfg_attr(feature = "clap", arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL"))]
    pub restore_volumes: Option<bool>,
    /// Keep Service nodePorts.
    #[cfg_attr(feature = "clap", arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL"))]
    pub preserve_nodeports: Option<bool>,
    /// What to do with objects that already exist: none or update.
    #[cfg_attr(feature = "clap", arg(long, value_name = "POLICY"))]
    pub existing_resource_policy: Option<String>,
    /// Resources whose status is restored.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_delimiter = ',', value_name = "RESOURCE")
    )]
    pub status_include_resources: Vec<String>,
    /// Resources whose status is not restored.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_delimiter = ',', value_name = "RESOURCE")
    )]
    pub status_exclude_resources: Vec<String>,
    /// A velero.io/v1 Restore manifest, or only its spec, YAML or JSON.
    #[cfg_attr(feature = "clap", arg(long, value_name = "FILE"))]
    pub spec: Option<PathBuf>,
    /// Velero release whose rules apply (MAJOR.MINOR).
    #[cfg_attr(
        feature = "clap",
        arg(long, default_value_t = VeleroVersion::LATEST, value_name = "X.Y")
    )]
    pub velero_version: VeleroVersion,
    /// The server's --restore-resource-priorities: high,...,-,low,... (default: the release's).
    #[cfg_attr(feature = "clap", arg(long, value_name = "LIST"))]
    pub restore_resource_priorities: Option<String>,
    /// Write every object as Velero would create it, one YAML file per step in apply order.
    #[cfg_attr(feature = "clap", arg(long, value_name = "DIR"))]
    pub render: Option<PathBuf>,
    /// The target cluster's current objects (`kubectl get -A -o json` output, a folder of
    /// manifests, or another backup) to find conflicts.
    #[cfg_attr(feature = "clap", arg(long, value_name = "FILE|DIR"))]
    pub existing: Option<PathBuf>,
    /// The Restore's name, for the velero.io/restore-name label (default BACKUP-restore).
    #[cfg_attr(feature = "clap", arg(long, value_name = "NAME"))]
    pub restore_name: Option<String>,
}
