//! Velero's selection semantics over an [`Index`](veloscope_index::Index): include/exclude lists
//! with gobwas-style globs, resource-name resolution against the offline catalogue, label
//! selectors. `ls` filters with the same engine that previews backups.

mod filter;
mod glob;
mod includes;
mod resolve;

pub use filter::{FilterSpec, ItemFilter};
pub use glob::GlobPattern;
pub use includes::IncludesExcludes;
pub use resolve::{Resolution, Resolver};

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
}
