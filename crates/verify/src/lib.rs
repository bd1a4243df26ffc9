//! Integrity and consistency checks of a Velero backup for CI: every finding has a stable code,
//! a severity, the file and entry it concerns, and a message. Checks cover the compression, the
//! tar stream, every item, the backup's own records, an optional policy, and a digest manifest.
//!
//! ```
//! use veloscope_verify::Policy;
//!
//! // `verify --policy FILE`: a CI gate on what a nightly backup must hold.
//! let policy = Policy::parse("requiredNamespaces: {shop: 10}\nmaxAge: 26h\n")?;
//! assert_eq!(policy.required_namespaces.get("shop"), Some(&10));
//! assert_eq!(policy.max_age.as_deref(), Some("26h"));
//! assert!(Policy::parse("maxAge: [not, a, duration]").is_err());
//! # Ok::<(), veloscope_verify::VerifyError>(())
//! ```

pub mod archive;
pub mod backup;
pub mod finding;
pub mod junit;
pub mod manifest;
pub mod policy;

/// Why verify could not run a check at all (as opposed to a finding about the backup).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A policy file that does not parse or names unknown codes.
    #[error("{0}")]
    Policy(String),
    /// A digest manifest that cannot be read.
    #[error("{0}")]
    Manifest(String),
    /// The JUnit report could not be written.
    #[error("{0}")]
    Junit(String),
}

pub use finding::{CHECKS, Family, Finding, FindingGroup, Severity, family_of, finding, grouped};
pub use policy::Policy;
