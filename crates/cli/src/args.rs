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
    /// List the items of a backup, narrowed with Velero's filter flags.
    Ls {
        source: PathBuf,
        #[command(flatten)]
        filters: FilterArgs,
        /// Add a LABELS column to the table.
        #[arg(long)]
        show_labels: bool,
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
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

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
    /// Label selector (`a=b,c!=d,e in (f,g),!h`).
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// OR of label selectors: "a=b or c=d".
    #[arg(long)]
    pub or_selector: Option<String>,
}
