use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
pub use veloscope_core::{BackupFilters, DiffOptions, RestoreFilters};

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
        filters: BackupFilters,
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
        filters: BackupFilters,
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
        filters: BackupFilters,
        #[command(flatten)]
        diff: DiffOptions,
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
        restore: RestoreFilters,
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
        filters: BackupFilters,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FieldValidationArg {
    #[value(name = "Strict", alias = "strict")]
    Strict,
    #[value(name = "Warn", alias = "warn")]
    Warn,
    #[value(name = "Ignore", alias = "ignore")]
    Ignore,
}
