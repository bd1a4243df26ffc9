//! One error type for every front end: its kind says how to answer (exit code, HTTP status), its
//! message is one line naming the file and, where there is one, the entry.

use veloscope_archive::ArchiveError;
use veloscope_store::StoreError;

/// How a front end should treat an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad flags, an invalid spec or policy: the request is wrong, not the input.
    Usage,
    /// An input that cannot be read or is damaged.
    Input,
    /// A named thing (backup, item, resource) that is not there.
    NotFound,
    /// Object storage refused or failed.
    Store,
    /// A bug or an impossible state.
    Internal,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// An unreadable input other than the archive's own stream (a spec, a dump, a side file, a
    /// sidecar), or an entry that cannot be used.
    #[error("{file}: {}{message}", entry.as_ref().map(|e| format!("entry {e}: ")).unwrap_or_default())]
    Input {
        file: String,
        entry: Option<String>,
        message: String,
    },
    #[error("{file}: {message}{}", nearest_text(nearest))]
    NotFound {
        file: String,
        message: String,
        nearest: Vec<String>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An item body that could not be compared.
    #[error(transparent)]
    Diff(#[from] veloscope_diff::DiffError),
    #[error("{0}")]
    Internal(String),
}

fn nearest_text(nearest: &[String]) -> String {
    if nearest.is_empty() {
        String::new()
    } else {
        format!(" (nearest: {})", nearest.join(", "))
    }
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Usage(_) => ErrorKind::Usage,
            Error::Archive(_) | Error::Input { .. } | Error::Diff(_) => ErrorKind::Input,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Store(StoreError::BackupNotFound { .. }) => ErrorKind::NotFound,
            Error::Store(_) => ErrorKind::Store,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    pub fn usage(message: impl std::fmt::Display) -> Error {
        Error::Usage(message.to_string())
    }

    /// An unreadable or unusable input file.
    pub fn input(file: impl std::fmt::Display, message: impl std::fmt::Display) -> Error {
        Error::Input {
            file: file.to_string(),
            entry: None,
            message: message.to_string(),
        }
    }

    /// An unusable entry of an input file.
    pub fn entry(
        file: impl std::fmt::Display,
        entry: impl std::fmt::Display,
        message: impl std::fmt::Display,
    ) -> Error {
        Error::Input {
            file: file.to_string(),
            entry: Some(entry.to_string()),
            message: message.to_string(),
        }
    }
}

/// An item body as JSON, nested up to 10,000 levels as Go reads it, or an error naming the file
/// and the entry.
pub fn parse_body(
    file: impl std::fmt::Display,
    entry: impl std::fmt::Display,
    body: &[u8],
) -> Result<serde_json::Value> {
    veloscope_model::json::from_slice(body)
        .map_err(|e| Error::entry(file, entry, format!("invalid JSON: {e}")))
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attaches the file an error is about.
pub trait InFile<T> {
    fn in_file(self, file: impl std::fmt::Display) -> Result<T>;
}

impl<T, E: std::fmt::Display> InFile<T> for std::result::Result<T, E> {
    fn in_file(self, file: impl std::fmt::Display) -> Result<T> {
        self.map_err(|e| Error::input(file, e))
    }
}
