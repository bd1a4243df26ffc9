//! The shared vocabulary of veloscope: group-resources, item keys, label selectors, the resource
//! catalogue and the Velero custom resources and side files as they are stored in a backup.
//! No I/O and no printing: every type here is plain data with serde and typed errors.
//!
//! ```
//! use std::collections::BTreeMap;
//! use veloscope_model::Selector;
//!
//! // `-l` as kubectl and Velero read it.
//! let selector = Selector::parse("app=web,tier notin (db)")?;
//! let labels = BTreeMap::from([("app", "web"), ("tier", "front")]);
//! assert!(selector.matches(|key| labels.get(key).copied()));
//! assert!(Selector::parse("app in (web").is_err());
//! # Ok::<(), veloscope_model::SelectorError>(())
//! ```

pub mod backup;
pub mod catalogue;
pub mod duration;
pub mod error;
pub mod gr;
pub mod json;
pub mod manifest;
pub mod policy;
pub mod quantity;
pub mod redact;
pub mod restore;
pub mod selector;
pub mod sidefiles;
pub mod spec_document;
pub mod timestamp;
pub mod yaml;

pub use backup::{Backup, BackupSpec, BackupStatus};
pub use catalogue::{Catalogue, ResourceInfo};
pub use error::{ValidationErrors, ValueError};
pub use gr::{GroupResource, ItemKey, ItemRef};
pub use restore::RestoreSpec;
pub use selector::{LabelSelector, Selector, SelectorError};
