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

/// The typed error an [`Error`] was made from, kept as its `source()` so a caller can inspect it
/// (downcast) rather than parse the message.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The message (`Display`) is the whole one line a user reads, the cause's text included, so a
/// front end that shows one string shows all of it; `source()` keeps the typed cause. (The CLI
/// walks the chain and leaves out a cause whose text the line already holds.)
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    Usage {
        message: String,
        #[source]
        cause: Option<Cause>,
    },
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// An unreadable input other than the archive's own stream (a spec, a dump, a side file, a
    /// sidecar), or an entry that cannot be used.
    #[error("{file}: {}{message}", entry.as_ref().map(|e| format!("entry {e}: ")).unwrap_or_default())]
    Input {
        file: String,
        entry: Option<String>,
        message: String,
        #[source]
        cause: Option<Cause>,
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
    /// A bug or an impossible state (exit 3 in the CLI, 500 over HTTP).
    #[error("{message}")]
    Internal {
        message: String,
        #[source]
        cause: Option<Cause>,
    },
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
            Error::Usage { .. } => ErrorKind::Usage,
            Error::Archive(_) | Error::Input { .. } | Error::Diff(_) => ErrorKind::Input,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Store(StoreError::BackupNotFound { .. }) => ErrorKind::NotFound,
            Error::Store(_) => ErrorKind::Store,
            Error::Internal { .. } => ErrorKind::Internal,
        }
    }

    pub fn usage(message: impl std::fmt::Display) -> Error {
        Error::Usage {
            message: message.to_string(),
            cause: None,
        }
    }

    /// A request that is wrong because of what this file says (a spec, a policy): the file and
    /// the typed cause.
    pub fn usage_in<E>(file: impl std::fmt::Display, cause: E) -> Error
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Error::Usage {
            message: format!("{file}: {cause}"),
            cause: Some(Box::new(cause)),
        }
    }

    /// A wrong request whose reason is a typed error (a selector, a version, a filter).
    pub fn usage_from<E>(cause: E) -> Error
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Error::Usage {
            message: cause.to_string(),
            cause: Some(Box::new(cause)),
        }
    }

    /// An unreadable or unusable input file, said in our own words.
    pub fn input(file: impl std::fmt::Display, message: impl std::fmt::Display) -> Error {
        Error::Input {
            file: file.to_string(),
            entry: None,
            message: message.to_string(),
            cause: None,
        }
    }

    /// An unreadable or unusable input file: the file and the typed cause.
    pub fn input_from<E>(file: impl std::fmt::Display, cause: E) -> Error
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Error::Input {
            file: file.to_string(),
            entry: None,
            message: cause.to_string(),
            cause: Some(Box::new(cause)),
        }
    }

    /// An unreadable part of an input file: what it is (`restore r1: results`), and the typed
    /// cause.
    pub fn input_part(
        file: impl std::fmt::Display,
        part: impl std::fmt::Display,
        cause: impl Into<Cause>,
    ) -> Error {
        let cause = cause.into();
        Error::Input {
            file: file.to_string(),
            entry: None,
            message: format!("{part}: {cause}"),
            cause: Some(cause),
        }
    }

    /// A bug or an impossible state, said in our own words.
    pub fn internal(message: impl std::fmt::Display) -> Error {
        Error::Internal {
            message: message.to_string(),
            cause: None,
        }
    }

    /// A bug or an impossible state reached through a typed error (a writer, a thread): what
    /// failed and the cause.
    pub fn internal_from(what: impl std::fmt::Display, cause: impl Into<Cause>) -> Error {
        let cause = cause.into();
        Error::Internal {
            message: format!("{what}: {cause}"),
            cause: Some(cause),
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
            cause: None,
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

impl<T, E> InFile<T> for std::result::Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn in_file(self, file: impl std::fmt::Display) -> Result<T> {
        self.map_err(|e| Error::input_from(file, e))
    }
}
