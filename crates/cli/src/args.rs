use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Open Velero backups offline: what is in them, what a spec selects, what changed, is it sound.
#[derive(Debug, Parser)]
#[command(name = "veloscope", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Table, global = true)]
    pub output: Format,
    /// Never draw a progress bar.
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// Quiet: no progress bar and no warnings on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Largest tar entry body read into memory, in bytes.
    #[arg(long, global = true, default_value_t = 256 << 20, value_name = "BYTES")]
    pub max_entry_bytes: u64,
    /// Largest PAX or GNU long-name extension header, in bytes.
    #[arg(long, global = true, default_value_t = 1 << 20, value_name = "BYTES")]
    pub max_header_bytes: u64,
    /// Read the archive even when a valid index sidecar (NAME.tar.gz.vsidx) is beside it.
    #[arg(long, global = true)]
    pub no_index: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Yaml,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Summarise a backup: format, Backup status, items per resource and namespace, warnings.
    Inspect {
        /// A backup tarball (.tar.gz, .tar.zst, .tar) or a backup folder (…/backups/NAME/).
        source: PathBuf,
    },
    /// List the items of a backup; with filter flags, exactly what `preview` would include.
    Ls {
        source: PathBuf,
        #[command(flatten)]
        filters: FilterArgs,
        /// Velero release whose rules apply (MAJOR.MINOR).
        #[arg(long, default_value = "1.18", value_name = "X.Y")]
        velero_version: String,
        /// Add a LABELS column to the table.
        #[arg(long)]
        show_labels: bool,
    },
    /// What a Backup with this spec would have captured from the archive, and why.
    Preview {
        source: PathBuf,
        #[command(flatten)]
        filters: FilterArgs,
        /// A velero.io/v1 Backup (or Schedule) manifest, or only its spec, YAML or JSON.
        #[arg(long, value_name = "FILE", conflicts_with_all = FILTER_FLAGS)]
        spec: Option<PathBuf>,
        /// Apply the --spec file as it is, like a stored spec: no normalisation, no validation
        /// (for a velero-backup.json, or to mirror Velero's backupper tests).
        #[arg(long, requires = "spec")]
        as_stored: bool,
        /// Velero release whose rules apply (MAJOR.MINOR).
        #[arg(long, default_value = "1.18", value_name = "X.Y")]
        velero_version: String,
        /// List every item with the rule that decided it.
        #[arg(long)]
        explain: bool,
    },
    /// Print one item as stored in the backup.
    Show {
        source: PathBuf,
        /// Resource: plural, singular, kind, short name or plural.group (e.g. deploy, pods, crd).
        resource: String,
        name: String,
        /// Namespace of the item (namespaced resources).
        #[arg(short = 'n', long)]
        namespace: Option<String>,
        /// Print the copy stored under this version directory (e.g. v1, v2beta2).
        #[arg(long)]
        api_version: Option<String>,
    },
    /// What changed between two backups, or a backup and a live-cluster dump (`kubectl get -A -o
    /// json` output or a folder of manifests). Exit 0: no differences, 1: differences, 2: error.
    Diff {
        /// The older side: a backup tarball or folder.
        a: PathBuf,
        /// The newer side: a backup tarball or folder, a List file, or a folder of manifests.
        b: PathBuf,
        #[command(flatten)]
        filters: FilterArgs,
        #[command(flatten)]
        diff: DiffArgs,
        /// Velero release whose filter rules apply (MAJOR.MINOR).
        #[arg(long, default_value = "1.18", value_name = "X.Y")]
        velero_version: String,
    },
    /// Check that a backup is sound: compression, tar stream, every item, the backup's own
    /// records, an optional policy and digest manifest. Exit 0: no error, 1: errors, 2: could not run.
    Verify {
        source: PathBuf,
        /// A policy for CI gates (required/forbidden namespaces and resources, maximum age, phases,
        /// warnings, severity overrides); see the README.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Also write the findings as JUnit XML.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Write a digest manifest (SHA-256 of every item and side file) beside the backup; a later
        /// verify reports every item added, removed or altered since.
        #[arg(long)]
        write_manifest: bool,
        /// The manifest's path (default: veloscope-manifest.json in the backup folder, or
        /// TARBALL.veloscope-manifest.json beside a tarball).
        #[arg(long, value_name = "FILE")]
        manifest: Option<PathBuf>,
    },
    /// What a Velero restore would do with the archive: steps in order, target namespaces, what
    /// it skips and why; optionally the objects as Velero would create them.
    Plan {
        source: PathBuf,
        #[command(flatten)]
        restore: RestoreArgs,
    },
    /// Check Backup, Restore and Schedule manifests before they reach a cluster: CRD schemas,
    /// unknown and duplicate fields, Velero's admission rules. Exit 0: no error, 1: errors,
    /// 2: a file cannot be read or parsed.
    Validate {
        /// YAML (several documents allowed) or JSON files, Lists too; `-` reads stdin.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// What unknown and duplicate fields are: errors (Strict), warnings (Warn), nothing (Ignore).
        #[arg(long, value_enum, default_value_t = FieldValidationArg::Warn)]
        field_validation: FieldValidationArg,
        /// Evaluate each Backup and Schedule against this backup (or a storage location's newest
        /// backup) and warn about filters that select nothing there.
        #[arg(long, value_name = "SRC")]
        against: Option<PathBuf>,
        /// Velero release whose rules apply (MAJOR.MINOR).
        #[arg(long, default_value = "1.18", value_name = "X.Y")]
        velero_version: String,
        /// Also write the findings as JUnit XML.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Every backup of a storage location (`s3://bucket/prefix`, `gs://…`, `az://…`, or a local
    /// BSL folder) with phase, times, items, errors and size, newest first: `velero backup get`
    /// without a cluster.
    Backups {
        location: String,
        /// Only backups made by this Schedule (label velero.io/schedule-name).
        #[arg(long)]
        schedule: Option<String>,
        /// Label selector on the Backup objects.
        #[arg(short = 'l', long)]
        selector: Option<String>,
    },
    /// Which backups of a location hold matching items, newest first. Exit 1 when none does.
    Find {
        location: String,
        #[command(flatten)]
        filters: FilterArgs,
        /// Item name (glob).
        #[arg(long, value_name = "GLOB")]
        name: Option<String>,
        /// Kind or resource (Deployment, deploy, pods, …).
        #[arg(long)]
        kind: Option<String>,
    },
    /// The restores recorded in a location, with their result counts.
    Restores { location: String },
    /// Write a persisted index (NAME.tar.gz.vsidx beside the tarball) that later commands read
    /// instead of the archive, with seek points for reading single items.
    Index {
        source: PathBuf,
        /// Write the index here instead of beside the tarball (commands then ignore it).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Decompressed bytes between gzip seek points (each costs up to 32 KiB of index).
        #[arg(long, default_value_t = 4 << 20, value_name = "BYTES")]
        span: u64,
    },
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

/// Flags that describe a Backup spec (`--spec` cannot be combined with them).
pub const FILTER_FLAGS: [&str; 13] = [
    "include_namespaces",
    "exclude_namespaces",
    "include_resources",
    "exclude_resources",
    "include_cluster_resources",
    "include_cluster_scoped_resources",
    "exclude_cluster_scoped_resources",
    "include_namespace_scoped_resources",
    "exclude_namespace_scoped_resources",
    "selector",
    "or_selector",
    "ordered_resources",
    "resource_policy_file",
];

/// The filter flags of `velero backup create`, with Velero's names and meanings.
#[derive(Debug, Args, Clone, Default)]
pub struct FilterArgs {
    /// Namespaces to include (globs; default all).
    #[arg(long, value_delimiter = ',', value_name = "NS")]
    pub include_namespaces: Vec<String>,
    /// Namespaces to exclude (globs).
    #[arg(long, value_delimiter = ',', value_name = "NS")]
    pub exclude_namespaces: Vec<String>,
    /// Resources to include: plural, plural.group, kind, short name, or a glob (default all).
    #[arg(long, value_delimiter = ',', value_name = "RESOURCE")]
    pub include_resources: Vec<String>,
    /// Resources to exclude.
    #[arg(long, value_delimiter = ',', value_name = "RESOURCE")]
    pub exclude_resources: Vec<String>,
    /// Include cluster-scoped items: true, false, or unset (only when no namespace filter is set).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub include_cluster_resources: Option<bool>,
    /// Cluster-scoped resources to include (new-style filter; `*` for all).
    #[arg(long, value_delimiter = ',', value_name = "RESOURCE")]
    pub include_cluster_scoped_resources: Vec<String>,
    /// Cluster-scoped resources to exclude (new-style filter; `*` for all).
    #[arg(long, value_delimiter = ',', value_name = "RESOURCE")]
    pub exclude_cluster_scoped_resources: Vec<String>,
    /// Namespaced resources to include (new-style filter; `*` for all).
    #[arg(long, value_delimiter = ',', value_name = "RESOURCE")]
    pub include_namespace_scoped_resources: Vec<String>,
    /// Namespaced resources to exclude (new-style filter; `*` for all).
    #[arg(long, value_delimiter = ',', value_name = "RESOURCE")]
    pub exclude_namespace_scoped_resources: Vec<String>,
    /// Label selector (`a=b,c!=d,e in (f,g),!h`).
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// OR of label selectors: "a=b or c=d".
    #[arg(long)]
    pub or_selector: Option<String>,
    /// Items first in their resource's processing order: 'pods=ns1/pod1,ns1/pod2;pvs=pv1'.
    #[arg(long, value_name = "MAP")]
    pub ordered_resources: Option<String>,
    /// A resource-policy ConfigMap manifest, or its policy document (volume policies,
    /// includeExcludePolicy).
    #[arg(long, value_name = "FILE")]
    pub resource_policy_file: Option<PathBuf>,
}

/// What `diff` compares and how.
#[derive(Debug, Args, Clone, Default)]
pub struct DiffArgs {
    /// Also ignore this field (dotted path like `metadata.annotations` or JSON pointer like
    /// `/spec/replicas`; `*` matches any key or index). Repeatable.
    #[arg(long, value_name = "PATH")]
    pub ignore: Vec<String>,
    /// Compare `status` too (ignored by default).
    #[arg(long)]
    pub include_status: bool,
    /// Ignore nothing, not even resourceVersion, managedFields, generation or status.
    #[arg(long, conflicts_with = "include_status")]
    pub all_fields: bool,
    /// Print Secret data values instead of a short hash of each side.
    #[arg(long)]
    pub show_secrets: bool,
    /// Only the list of added/removed/changed items, no field changes.
    #[arg(long)]
    pub stat: bool,
}

/// The flags of `velero restore create`, and the planner's own.
#[derive(Debug, Args, Clone, Default)]
pub struct RestoreArgs {
    /// Namespaces to restore (globs over the backup's namespace names; default all).
    #[arg(long, value_delimiter = ',', value_name = "NS")]
    pub include_namespaces: Vec<String>,
    /// Namespaces not to restore.
    #[arg(long, value_delimiter = ',', value_name = "NS")]
    pub exclude_namespaces: Vec<String>,
    /// Resources to restore (default all).
    #[arg(long, value_delimiter = ',', value_name = "RESOURCE")]
    pub include_resources: Vec<String>,
    /// Resources not to restore.
    #[arg(long, value_delimiter = ',', value_name = "RESOURCE")]
    pub exclude_resources: Vec<String>,
    /// Restore into other namespaces: src1:dst1,src2:dst2.
    #[arg(long, value_name = "MAP")]
    pub namespace_mappings: Option<String>,
    /// Label selector.
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// OR of label selectors: "a=b or c=d".
    #[arg(long)]
    pub or_selector: Option<String>,
    /// Restore cluster-scoped resources: true, false, or unset (only without a namespace filter).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub include_cluster_resources: Option<bool>,
    /// Restore volumes from native snapshots (unset behaves like true).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub restore_volumes: Option<bool>,
    /// Keep Service nodePorts.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub preserve_nodeports: Option<bool>,
    /// What to do with objects that already exist: none or update.
    #[arg(long, value_name = "POLICY")]
    pub existing_resource_policy: Option<String>,
    /// Resources whose status is restored.
    #[arg(long, value_delimiter = ',', value_name = "RESOURCE")]
    pub status_include_resources: Vec<String>,
    /// Resources whose status is not restored.
    #[arg(long, value_delimiter = ',', value_name = "RESOURCE")]
    pub status_exclude_resources: Vec<String>,
    /// A velero.io/v1 Restore manifest, or only its spec, YAML or JSON.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Velero release whose rules apply (MAJOR.MINOR).
    #[arg(long, default_value = "1.18", value_name = "X.Y")]
    pub velero_version: String,
    /// The server's --restore-resource-priorities: high,...,-,low,... (default: the release's).
    #[arg(long, value_name = "LIST")]
    pub restore_resource_priorities: Option<String>,
    /// Write every object as Velero would create it, one YAML file per step in apply order.
    #[arg(long, value_name = "DIR")]
    pub render: Option<PathBuf>,
    /// The target cluster's current objects (`kubectl get -A -o json` output, a folder of
    /// manifests, or another backup) to find conflicts.
    #[arg(long, value_name = "FILE|DIR")]
    pub existing: Option<PathBuf>,
    /// The Restore's name, for the velero.io/restore-name label (default BACKUP-restore).
    #[arg(long, value_name = "NAME")]
    pub restore_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FieldValidationArg {
    #[value(name = "Strict", alias = "strict")]
    Strict,
    #[value(name = "Warn", alias = "warn")]
    Warn,
    #[value(name = "Ignore", alias = "ignore")]
    Ignore,
}
