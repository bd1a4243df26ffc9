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

/// Filters from a query string (`include-namespaces=a,b&selector=app%3Dweb`), keyed by the
/// flags' own names and parsed by the same definitions as the command line, so that a URL means
/// exactly what the flags mean. Keys that are not flags of `T` are left to the caller (a page
/// number); a flag that names a file or folder (`spec`, `render`, `existing`,
/// `resource-policy-file`) is refused: a request must not make the server read or write its
/// files. Empty values count as not given.
#[cfg(feature = "clap")]
pub fn filters_from_query<'a, T>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> crate::Result<T>
where
    T: clap::Args + clap::FromArgMatches,
{
    let command = T::augment_args(clap::Command::new("query").no_binary_name(true));
    let mut argv = Vec::new();
    for (key, value) in pairs {
        let Some(arg) = command.get_arguments().find(|a| a.get_long() == Some(key)) else {
            continue;
        };
        let names_a_path = arg
            .get_value_names()
            .is_some_and(|n| n.iter().any(|n| n.contains("FILE") || n.contains("DIR")));
        if names_a_path {
            return Err(crate::Error::usage(format!(
                "{key}: names a file or folder on the server, which a request cannot do"
            )));
        }
        if !value.is_empty() {
            argv.push(format!("--{key}={value}"));
        }
    }
    let matches = command
        .try_get_matches_from(argv)
        .map_err(|e| crate::Error::usage(query_error(&e)))?;
    T::from_arg_matches(&matches).map_err(|e| crate::Error::usage(query_error(&e)))
}

/// clap's message as one line, without its usage and help lines.
#[cfg(feature = "clap")]
fn query_error(e: &clap::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("invalid query");
    first.strip_prefix("error: ").unwrap_or(first).to_string()
}

#[cfg(all(test, feature = "clap"))]
mod tests {
    use super::*;

    #[test]
    fn a_query_means_what_the_flags_mean() {
        let f: RestoreFilters = filters_from_query([
            ("include-namespaces", "a,b"),
            ("namespace-mappings", "a:c"),
            ("include-cluster-resources", "false"),
            ("page", "3"),
            ("selector", ""),
        ])
        .expect("parses");
        assert_eq!(f.include_namespaces, ["a", "b"]);
        assert_eq!(f.namespace_mappings.as_deref(), Some("a:c"));
        assert_eq!(f.include_cluster_resources, Some(false));
        assert_eq!(f.selector, None);
        assert_eq!(f.velero_version, VeleroVersion::LATEST);

        let b: BackupFilters =
            filters_from_query([("include-resources", "secrets"), ("selector", "app=web")])
                .expect("parses");
        assert_eq!(b.include_resources, ["secrets"]);
        assert_eq!(b.selector.as_deref(), Some("app=web"));
    }

    #[test]
    fn a_query_cannot_name_the_servers_files_or_break_the_rules() {
        for key in ["spec", "render", "existing"] {
            let e =
                filters_from_query::<RestoreFilters>([(key, "/etc/passwd")]).expect_err("refused");
            assert_eq!(e.kind(), crate::ErrorKind::Usage, "{key}: {e}");
        }
        let e = filters_from_query::<BackupFilters>([("resource-policy-file", "/etc/passwd")])
            .expect_err("refused");
        assert_eq!(e.kind(), crate::ErrorKind::Usage, "{e}");
        let e =
            filters_from_query::<RestoreFilters>([("velero-version", "9.9")]).expect_err("refused");
        assert!(e.to_string().contains("newer than"), "{e}");
        assert!(!e.to_string().contains('\n'), "{e}");
    }
}
