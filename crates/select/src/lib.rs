//! Velero's selection semantics over an [`Index`](veloscope_index::Index): include/exclude lists
//! with gobwas-style globs, resource-name resolution against the offline discovery, label
//! selectors, backup previews (with hooks and volume policies). `ls` filters with the same engine.
//!
//! ```
//! use veloscope_select::IncludesExcludes;
//!
//! // `velero backup create --include-namespaces 'kube-*' --exclude-namespaces kube-public`
//! let namespaces = IncludesExcludes::new(&["kube-*"], &["kube-public"]);
//! assert!(namespaces.should_include("kube-system"));
//! assert!(!namespaces.should_include("kube-public"));
//! assert!(!namespaces.should_include("default"));
//! ```

pub mod backup;
mod filter;
mod glob;
pub mod hooks;
mod includes;
pub mod namespaces;
pub mod preview;
mod reason;
mod resolve;
pub mod resources;
pub mod validate;
pub mod version;
pub mod volumes;

pub use filter::{FilterSpec, ItemFilter};
pub use glob::GlobPattern;
pub use includes::{GlobSet, IncludesExcludes};
pub use preview::{Decision, Preview, Via, preview};
pub use reason::Reason;
pub use resolve::{Resolution, Resolver};
pub use version::{Feature, VeleroVersion, VersionError};

#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error(transparent)]
    Selector(#[from] veloscope_model::SelectorError),
    #[error(
        "unknown resource {0:?}: not a Kubernetes built-in, not defined by a CRD in the archive, and no resources/{0}/ directory in it"
    )]
    UnknownResource(String),
    #[error("{0}")]
    Invalid(String),
    /// A resource policy that does not parse or that Velero would reject.
    #[error("{0}")]
    Policy(String),
}
