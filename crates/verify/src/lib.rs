//! Integrity and consistency checks of a Velero backup for CI: every finding has a stable code,
//! a severity, the file and entry it concerns, and a message. Checks cover the compression, the
//! tar stream, every item, the backup's own records, an optional policy, and a digest manifest.

pub mod archive;
pub mod backup;
pub mod finding;
pub mod junit;
pub mod manifest;
pub mod policy;

pub use finding::{CHECKS, Family, Finding, Severity, family_of, finding};
pub use policy::Policy;
