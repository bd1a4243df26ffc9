use clap::{Args, Parser, Subcommand, ValueEnum};
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
    /// Output format: table, wide, json, yaml, name, jsonpath=TEMPLATE, jsonpath-file=FILE,
    /// custom-columns=SPEC or custom-columns-file=FILE (kubectl's spellings and meaning).
    #[arg(short, long, default_value = "table", value_parser = crate::output::parse_output, global = true, value_name = "FORMAT")]
    pub output: crate::output::Output,
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
    /// Leave out the header row of tables (kubectl's `--no-headers`).
    #[arg(long, global = true)]
    pub no_headers: bool,
    /// Colour: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, default_value_t = ColourMode::Auto, global = true, value_name = "WHEN")]
    pub color: ColourMode,
    /// Read the archive even when a valid index sidecar (NAME.tar.gz.vsidx) is beside it.
    #[arg(long, global = true)]
    pub no_index: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColourMode {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    /// The table with more columns, where a command has more to say.
    Wide,
    Json,
    Yaml,
    /// `TYPE/NAME` per line, as kubectl's `-o name`.
    Name,
    /// Comma-separated values with a header line (`sql`'s rows).
    Csv,
    /// kubectl's `-o jsonpath=…` and `-o custom-columns=…`: the template is in `Output`.
    Template,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Summarise a backup: format, Backup status, items per resource and namespace, warnings.
    Inspect(crate::inspect::Args),
    /// List the items of a backup; with filter flags, exactly what `preview` would include.
    Ls(crate::ls::Args),
    /// What a Backup with this spec would have captured from the archive, and why.
    Preview(crate::preview::Args),
    /// Print one item as stored in the backup.
    Show(crate::show::Args),
    /// What changed between two backups, or a backup and a live-cluster dump (`kubectl get -A -o
    /// json` output or a folder of manifests). Exit 0: no differences, 1: differences, 2: error.
    Diff(crate::diff::Args),
    /// Check that a backup is sound: compression, tar stream, every item, the backup's own
    /// records, an optional policy and digest manifest. Exit 0: no error, 1: errors, 2: could not run.
    Verify(crate::verify::Args),
    /// What a Velero restore would do with the archive: steps in order, target namespaces, what
    /// it skips and why; optionally the objects as Velero would create them.
    Plan(crate::plan::Args),
    /// Check Backup, Restore and Schedule manifests before they reach a cluster: CRD schemas,
    /// unknown and duplicate fields, Velero's admission rules. Exit 0: no error, 1: errors,
    /// 2: a file cannot be read or parsed.
    Validate(crate::validate::Args),
    /// Every backup of a storage location (`s3://bucket/prefix`, `gs://…`, `az://…`, or a local
    /// BSL folder) with phase, times, items, errors and size, newest first: `velero backup get`
    /// without a cluster.
    Backups(crate::location::BackupsArgs),
    /// Which backups of a location hold matching items, newest first. Exit 1 when none does.
    Find(crate::location::FindArgs),
    /// The restores recorded in a location, with their result counts.
    Restores(crate::location::RestoresArgs),
    /// Write every backup of one or more locations into a catalog of Parquet tables (backups,
    /// items, volumes, findings) for SQL across backups: DuckDB, Spark, Trino. Incremental and
    /// shardable. Exit 0: all catalogued, 1: some backup failed.
    Catalog(crate::catalog::Args),
    /// Query a catalog with SQL (Apache DataFusion): the tables backups, items, volumes and
    /// findings, printed as a table, JSON or CSV. Built with `--features sql`.
    Sql(crate::sql::Args),
    /// Write a persisted index (NAME.tar.gz.vsidx beside the tarball) that later commands read
    /// instead of the archive, with seek points for reading single items.
    Index(crate::index::Args),
    /// A backup's log (or a restore's), filtered by level, text, namespace and resource:
    /// `velero backup logs` without a cluster.
    Logs(crate::logs::Args),
    /// Write the objects as stored, one YAML each, to DIR/NAMESPACE/RESOURCE/NAME.yaml: a backup
    /// as a folder a person reads (and, with --clean, `kubectl apply -f DIR -R` takes).
    Extract(crate::extract::Args),
    /// Serve a backup, or a storage location's backups, as a read-only Kubernetes API that kubectl
    /// and k9s browse as a cluster (loopback only, unless given a token and TLS).
    Serve(crate::serve::Args),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff): veloscope(1), or a command's (`man inspect`: veloscope-inspect(1));
    /// `--out DIR` writes them all.
    Man(crate::man::Args),
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
