//! The veloscope engine: every question a front end asks of a Velero backup or a storage
//! location, answered as a typed, serialisable report. It never prints, never exits and never
//! touches a terminal: progress and notices go to an [`Observer`] the caller implements, and
//! failures are [`Error`]s whose [`ErrorKind`] a front end maps to an exit code or an HTTP status.
//!
//! ```
//! use std::path::Path;
//! use veloscope_core::{Backup, BackupFilters, Options, Quiet, Session, VeleroVersion};
//!
//! # let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bsl/backups");
//! let session = Session::new(Options::default(), &Quiet);
//! let backup = Backup::open(&fixtures.join("k3s-124"), &session)?;
//! let summary = backup.summary()?;
//! assert_eq!(summary.items, 210);
//! let kube_system = BackupFilters {
//!     include_namespaces: vec!["kube-system".into()],
//!     ..BackupFilters::default()
//! };
//! let rows = backup.items(&kube_system, VeleroVersion::LATEST, &session)?;
//! assert!(rows.iter().all(|row| row.namespace.is_none_or(|ns| ns == "kube-system")));
//! assert!(rows.iter().any(|row| row.resource == "deployments.apps" && row.name == "coredns"));
//! # Ok::<(), veloscope_core::Error>(())
//! ```
//!
//! A [`Backup`] owns its source, its index (from a valid sidecar, or from one read of the
//! archive) and its access to single entries (seek points, ranged GETs, or another read). It is
//! `Send + Sync`: a server opens it once and answers many requests at once.

// The Unix file APIs this crate uses are listed in docs/architecture.md ("Platform").
#[cfg(not(unix))]
compile_error!("veloscope builds on Unix (Linux, macOS): see docs/architecture.md, \"Platform\"");

pub mod api;
pub mod audit;
mod backup;
pub mod details;
pub mod diff;
mod error;
pub mod extract;
mod filters;
mod indexed;
pub mod items;
pub mod location;
pub mod logs;
mod output;
pub mod plan;
pub mod preview;
mod scope;
mod selection;
mod spec;
pub mod summary;
pub mod validate;
pub mod verify;

pub use backup::{Backup, Captured, WARNINGS_PER_KIND};
pub use error::{Cause, Error, ErrorKind, InFile, Result};
#[cfg(feature = "clap")]
pub use filters::filters_from_query;
pub use filters::{BackupFilters, DiffOptions, RestoreFilters};
pub use indexed::{IndexReport, index};
pub use scope::Scope;
pub use selection::SpecOrigin;
pub use veloscope_index::atomic;
pub use veloscope_model::quantity::human_bytes;
pub use veloscope_model::{json, redact, timestamp, yaml};
pub use veloscope_restore::Action;
pub use veloscope_select::{VeleroVersion, VersionError};
pub use veloscope_store::runtime;

/// How sources are read: byte budgets that keep a hostile archive from exhausting memory, and
/// whether a sidecar index may answer.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Largest tar entry body read into memory.
    pub max_entry_bytes: u64,
    /// Largest PAX or GNU long-name extension header.
    pub max_header_bytes: u64,
    /// Read the archive even when a valid sidecar is beside it.
    pub no_index: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_entry_bytes: 256 << 20,
            max_header_bytes: 1 << 20,
            no_index: false,
        }
    }
}

/// What the engine tells its caller while it works. Every method has a do-nothing default.
pub trait Observer: Sync {
    /// Bytes of the archive read so far, of `total` (0 when unknown), and the items among them.
    fn progress(&self, _done: u64, _total: u64, _items: u64) {}
    /// A read of the archive ended (whatever its outcome).
    fn read_finished(&self) {}
    /// Items of a long step that is not a read (`what`: planning a restore) done so far, of
    /// `total`; `work_finished` when it ends.
    fn work(&self, _what: &'static str, _done: u64, _total: u64) {}
    fn work_finished(&self) {}
    /// Something the user should know that is not an answer: a stale sidecar rebuilt, a side
    /// file that could not be read, an entry the reader skipped.
    fn notice(&self, _text: &str) {}
    /// The answer comes from this index sidecar, not from a read of the archive.
    fn answered_from(&self, _sidecar: &str) {}
    /// What was read where, for tests and debugging (`VELOSCOPE_TRACE` in the CLI).
    fn trace(&self, _text: &str) {}
}

/// One caller's way of reading: its options and who hears about the work.
#[derive(Clone, Copy)]
pub struct Session<'a> {
    pub options: Options,
    pub observer: &'a dyn Observer,
}

impl<'a> Session<'a> {
    pub fn new(options: Options, observer: &'a dyn Observer) -> Session<'a> {
        Session { options, observer }
    }
}

/// An observer that hears nothing.
pub struct Quiet;

impl Observer for Quiet {}

/// The first document of a YAML or JSON text (a request body, a manifest).
pub fn manifest_value(text: &str) -> Result<serde_json::Value> {
    veloscope_model::manifest::first_document(text).map_err(Error::usage_from)
}

/// The kind of a built-in group-resource (`deployments.apps` → `Deployment`), from the catalogue.
pub fn builtin_kind(group_resource: &str) -> Option<String> {
    veloscope_model::Catalogue::builtin()
        .get(group_resource)
        .map(|i| i.kind.clone())
}

/// A `--velero-version` value (`MAJOR.MINOR`).
pub fn velero_version(text: &str) -> Result<veloscope_select::VeleroVersion> {
    text.parse().map_err(Error::usage_from)
}

#[cfg(test)]
mod tests {
    /// A server opens a backup once and answers requests from many threads.
    #[test]
    fn backups_and_locations_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<crate::Backup>();
        shared::<crate::location::Location>();
    }
}
