use std::path::PathBuf;

/// Every error names the file and, where there is one, the tar entry, on one line.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: empty file, not a backup archive", path.display())]
    Empty { path: PathBuf },
    #[error("{}: not a gzip, zstd or tar archive (starts with {magic})", path.display())]
    UnknownFormat { path: PathBuf, magic: String },
    #[error("{}: {}{message}", path.display(), after(entry))]
    Corrupt {
        path: PathBuf,
        /// The last tar entry read before the damage, if any.
        entry: Option<String>,
        damage: Damage,
        message: String,
        /// Compressed bytes consumed when the damage was met.
        offset: u64,
        /// File entries read before it.
        entries_read: u64,
    },
    #[error("{}: entry {entry}: {what} of {size} bytes exceeds the budget of {limit} bytes", path.display())]
    Budget {
        path: PathBuf,
        entry: String,
        what: &'static str,
        size: u64,
        limit: u64,
    },
    #[error("{}: not a backup: {reason}", path.display())]
    NotABackup { path: PathBuf, reason: String },
    #[error("{}: {message}", path.display())]
    SideFile { path: PathBuf, message: String },
    /// The file shrank while it was read: the answer would describe no archive that exists.
    #[error("{}: the archive changed while it was read", path.display())]
    Changed { path: PathBuf },
}

/// The kind of damage that stopped a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Damage {
    /// The data ends early: a truncated upload or download.
    Truncated,
    /// A gzip CRC/length or zstd checksum does not match: bad bytes.
    Checksum,
    /// The compressed stream itself is corrupt.
    Decompress,
    /// Bytes after the last compressed member that are not another member.
    TrailingGarbage,
    /// A tar header fails its checksum or has malformed fields.
    TarHeader,
    /// Something the reader does not support.
    Unsupported,
    TooManyEntries,
    Budget,
    Io,
}

fn after(entry: &Option<String>) -> String {
    match entry {
        Some(e) => format!("after entry {e}: "),
        None => "at the first entry: ".to_string(),
    }
}
