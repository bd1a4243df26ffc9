//! Velero's restore, offline: which items of a backup a Restore would create, in what order,
//! under which namespace, and how each object is rewritten first.
//!
//! - [`planner`]: validation, filters, priorities and order, namespace mapping, skips, PV
//!   decisions (`pkg/restore/restore.go`);
//! - [`render`]: the generic rewrite every object gets (metadata reset, labels, status);
//! - [`existing`]: the target cluster's own objects: `shouldRenamePV` and
//!   `existingResourcePolicy` (`pkg/restore/restore.go`);
//! - [`actions`]: one module per restore item action Velero registers
//!   (`pkg/restore/actions/`).
//!
//! ```
//! use veloscope_restore::{default_priorities, parse_priorities};
//! use veloscope_select::VeleroVersion;
//!
//! // The server's --restore-resource-priorities: before `-` first and in order, after it last.
//! let (high, low) = parse_priorities("customresourcedefinitions,namespaces,-,pods")?;
//! assert_eq!(high, ["customresourcedefinitions", "namespaces"]);
//! assert_eq!(low, ["pods"]);
//! let (high, _) = default_priorities(VeleroVersion::LATEST);
//! assert_eq!(&high[..2], ["customresourcedefinitions", "namespaces"]);
//! # Ok::<(), veloscope_select::SelectError>(())
//! ```

pub mod actions;
pub mod checks;
pub mod existing;
pub mod hooks;
pub mod merge_service_account;
pub mod planner;
pub mod render;

pub use planner::{
    Action, Plan, Skip, Step, VolumeFacts, default_priorities, invalid_mapping_targets,
    parse_priorities, plan, prepare,
};
pub use render::{RenderContext, render};
