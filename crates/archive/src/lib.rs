//! Bytes → tar entries → Velero items. Opens a tarball or a backup folder (BSL layout), sniffs the
//! compression from magic bytes, walks the tar stream on one thread with byte budgets on extension
//! headers and entries, classifies each path by the Velero path grammar, and parses item metadata
//! in batches on a rayon pool. Never writes to disk, never prints.
//!
//! ```
//! use veloscope_archive::path::{EntryPath, classify};
//!
//! let entry = "resources/deployments.apps/v1-preferredversion/namespaces/shop/web.json";
//! let Ok(EntryPath::Item(item)) = classify(entry) else {
//!     panic!("not an item");
//! };
//! assert_eq!((item.gr, item.namespace, item.name), ("deployments.apps", Some("shop"), "web"));
//! assert_eq!(item.to_string(), entry);
//! ```

// Calls zlib (gzip seek points): the one crate of the workspace with unsafe code.
#![allow(unsafe_code)]

// The Unix file APIs this crate uses are listed in docs/architecture.md ("Platform").
#[cfg(not(unix))]
compile_error!("veloscope builds on Unix (Linux, macOS): see docs/architecture.md, \"Platform\"");

use std::path::Path;

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

/// Reads a text input that is not the archive (a manifest, a spec, a policy, a dump) whole, up to
/// `limit` bytes: a larger file, or `/dev/zero`, is an error at once, not gigabytes read. A
/// pipe (`--spec <(…)`) is read up to the limit; a device or socket is refused.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ArchiveError> {
    use std::io::Read;
    use std::os::unix::fs::FileTypeExt;
    let io = |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    let kind = meta.file_type();
    if !(kind.is_file() || kind.is_fifo()) {
        return Err(ArchiveError::NotABackup {
            path: path.to_path_buf(),
            reason: "not a regular file or a pipe".into(),
        });
    }
    let too_big = |size: u64| ArchiveError::SideFile {
        path: path.to_path_buf(),
        message: format!(
            "{size} bytes or more is over the input budget of {limit} bytes (--max-entry-bytes)"
        ),
    };
    if meta.len() > limit {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| ArchiveError::SideFile {
        path: path.to_path_buf(),
        message: format!("not UTF-8 text: {e}"),
    })
}

pub use access::{
    Access, DIGEST_BLOCK, Span, block_digest, check_blocks, first_byte, last_byte, read_range,
    read_spans, read_zstd_stream, read_zstd_stream_spans, zstd_frames,
};
pub use compression::Compression;
pub use details::Details;
pub use error::{ArchiveError, Damage};
pub use folder::{
    BackupFolder, ObjectVersion, OpenStream, ReadRange, RemoteBackup, Source, StoredBackup,
};
pub use meta::{ItemMeta, OwnerRef};
pub use path::{EntryPath, ItemPath, VersionDir};
pub use project::{Keep, LastWins};
pub use scan::{
    ItemEntry, ScanEvent, ScanOptions, ScanStats, ScanWarning, WarningKind, scan_archive,
    scan_bytes, scan_stream,
};
