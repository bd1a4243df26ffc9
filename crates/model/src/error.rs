//! What goes wrong turning text into the model's values.

/// A value that does not parse or is not valid; the message says what and why, in the words of
/// the Kubernetes or Velero code whose rule it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("{0}")]
    Quantity(String),
    #[error("{0}")]
    Duration(String),
    /// A Backup or Restore manifest whose spec does not decode.
    #[error("{0}")]
    Spec(String),
    /// A label key, value or selector requirement apimachinery rejects.
    #[error("{0}")]
    Label(String),
}

/// Every message a validation produced (Velero reports them all, not only the first).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("; "))]
pub struct ValidationErrors(pub Vec<String>);

impl std::ops::Deref for ValidationErrors {
    type Target = [String];

    fn deref(&self) -> &[String] {
        &self.0
    }
}
