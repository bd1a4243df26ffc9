//! Bytes → tar entries → Velero items. Opens a tarball or a backup folder (BSL layout), sniffs the
//! compression from magic bytes, walks the tar stream on one thread with byte budgets on extension
//! headers and entries, classifies each path by the Velero path grammar, and parses item metadata
//! in batches on a rayon pool. Never writes to disk, never prints.

// Maps files and calls zlib: the one crate of the workspace with unsafe code.
#![allow(unsafe_code)]

pub mod access;
mod compression;
pub mod details;
pub mod dump;
mod error;
mod folder;
mod meta;
pub mod path;
mod project;
mod scan;
pub mod zran;

pub use access::{Access, first_byte, map_readonly, read_range, read_zstd_stream, zstd_frames};
pub use compression::Compression;
pub use details::Details;
pub use error::{ArchiveError, Damage};
pub use folder::{
    BackupFolder, ObjectVersion, OpenStream, ReadRange, RemoteBackup, Source, StoredBackup,
};
pub use meta::{ItemMeta, OwnerRef};
pub use path::{EntryPath, ItemPath, VersionDir};
pub use scan::{
    ItemEntry, ScanEvent, ScanOptions, ScanStats, ScanWarning, WarningKind, scan_archive,
    scan_bytes, scan_stream,
};
