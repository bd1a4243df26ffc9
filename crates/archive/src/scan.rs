//! The scan pipeline: one thread inflates and walks the tar stream, handing batches of entries
//! to the calling thread, which parses their metadata on the rayon pool and visits them in
//! archive order. Memory is bounded by the channel depth times the batch size.

use crate::compression::Compression;
use crate::details::Details;
use crate::error::ArchiveError;
use crate::meta::ItemMeta;
use crate::path::{self, EntryPath, ItemPath, PathProblem, VersionDir};
use crossbeam_channel::{Sender, bounded};
use rayon::prelude::*;
use serde::Serialize;
use std::io::{self, Read};
use std::ops::{ControlFlow, Range};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Largest single entry body read into memory.
    pub max_entry_bytes: u64,
    /// Largest PAX or GNU long-name extension header.
    pub max_header_bytes: u64,
    /// Most tar entries walked before giving up (a bound on hostile archives).
    pub max_entries: u64,
    /// Batch size handed to the parser pool.
    pub batch_bytes: usize,
    pub batch_entries: usize,
    /// Parse item metadata (off for callers that only need bytes and hashes).
    pub parse_metadata: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_entry_bytes: 256 << 20,
            max_header_bytes: 1 << 20,
            max_entries: 100_000_000,
            batch_bytes: 4 << 20,
            batch_entries: 8192,
            parse_metadata: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningKind {
    OutsideGrammar,
    AbsolutePath,
    ParentDirPath,
    NonUtf8Path,
    Link,
    Device,
    DuplicateEntry,
    TwinMismatch,
    MissingUnversioned,
    PathMismatch,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanWarning {
    pub kind: WarningKind,
    pub entry: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanStats {
    /// File-like tar entries (extension headers and directories not counted).
    pub entries: u64,
    /// Bytes of entry bodies, uncompressed.
    pub bytes: u64,
    /// Size of the archive file.
    pub archive_bytes: u64,
    pub compression: Option<Compression>,
    /// Trimmed content of `metadata/version`, if present.
    pub format_version: Option<String>,
}

/// One item entry of the archive, in archive order.
pub struct ItemEntry<'a> {
    pub entry: &'a str,
    pub path: ItemPath<'a>,
    pub body: &'a [u8],
    pub hash: u64,
    /// Parsed for unversioned and non-preferred entries; `-preferredversion` twins are only hashed.
    pub meta: Option<Result<ItemMeta<'a>, serde_json::Error>>,
    /// Kind-specific facts, read alongside the metadata.
    pub details: Details,
}

// Events live for one visit; boxing the item would cost an allocation per entry.
#[allow(clippy::large_enum_variant)]
pub enum ScanEvent<'a> {
    Item(ItemEntry<'a>),
    Warning(ScanWarning),
}

enum Raw {
    Item { entry: String, data: Range<usize> },
    Warning(ScanWarning),
}

struct Batch {
    buf: Vec<u8>,
    entries: Vec<Raw>,
}

/// Scans the archive at `path`, calling `visit` for each item entry and warning in archive order
/// and `progress` with the compressed bytes consumed so far. `visit` may stop the scan early by
/// returning `ControlFlow::Break`; the returned stats then cover what was read.
pub fn scan_archive(
    path: &Path,
    opts: &ScanOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
    mut visit: impl FnMut(ScanEvent<'_>) -> ControlFlow<()>,
) -> Result<ScanStats, ArchiveError> {
    let io_err = |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    if len == 0 {
        return Err(ArchiveError::Empty {
            path: path.to_path_buf(),
        });
    }
    // SAFETY: the map is read-only; a file truncated underneath us would fault, the usual mmap caveat.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_err)?;
    let compression = Compression::sniff(&map[..map.len().min(512)]).ok_or_else(|| {
        ArchiveError::UnknownFormat {
            path: path.to_path_buf(),
            magic: hex_prefix(&map),
        }
    })?;
    let consumed = AtomicU64::new(0);
    let mut stats = ScanStats {
        archive_bytes: len,
        compression: Some(compression),
        ..ScanStats::default()
    };

    let outcome = std::thread::scope(|s| {
        let (tx, rx) = bounded::<Batch>(3);
        let reader = s.spawn(|| {
            let input = Counting {
                inner: &map[..],
                consumed: &consumed,
            };
            let decoder: Box<dyn Read + Send + '_> = match compression {
                Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
                Compression::Zstd => match zstd::stream::read::Decoder::new(input) {
                    Ok(d) => Box::new(d),
                    Err(e) => return Err((None, e.to_string())),
                },
                Compression::None => Box::new(input),
            };
            walk_tar(decoder, opts, tx)
        });
        'batches: for batch in rx.iter() {
            progress(consumed.load(Ordering::Relaxed), len);
            let processed: Vec<Option<ScanEvent<'_>>> = batch
                .entries
                .par_iter()
                .map(|raw| process(raw, &batch.buf, opts.parse_metadata))
                .collect();
            for ev in processed.into_iter().flatten() {
                if visit(ev).is_break() {
                    break 'batches;
                }
            }
        }
        drop(rx);
        reader
            .join()
            .unwrap_or_else(|_| Err((None, "reader thread panicked".into())))
    });
    progress(len, len);
    match outcome {
        Ok(walk) => {
            stats.entries = walk.entries;
            stats.bytes = walk.bytes;
            stats.format_version = walk.format_version;
            Ok(stats)
        }
        Err((entry, message)) => Err(classify_error(path, entry, message)),
    }
}

fn classify_error(path: &Path, entry: Option<String>, message: String) -> ArchiveError {
    if let Some(rest) = message.strip_prefix(BUDGET_MARK) {
        let mut it = rest.splitn(3, '\u{1}');
        let what = match it.next() {
            Some("header") => "extension header",
            _ => "entry",
        };
        let size = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        let limit = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        return ArchiveError::Budget {
            path: path.to_path_buf(),
            entry: entry.unwrap_or_default(),
            what,
            size,
            limit,
        };
    }
    ArchiveError::Corrupt {
        path: path.to_path_buf(),
        entry,
        message,
    }
}

const BUDGET_MARK: &str = "\u{0}budget\u{1}";

fn process<'b>(raw: &'b Raw, buf: &'b [u8], parse: bool) -> Option<ScanEvent<'b>> {
    match raw {
        Raw::Warning(w) => Some(ScanEvent::Warning(w.clone())),
        Raw::Item { entry, data } => {
            let body = &buf[data.clone()];
            let Ok(EntryPath::Item(item)) = path::classify(path::normalize(entry)) else {
                return None;
            };
            Some(ScanEvent::Item(ItemEntry::new(entry, item, body, parse)))
        }
    }
}

impl<'a> ItemEntry<'a> {
    /// Hashes the body and, when asked, parses its metadata and kind-specific details
    /// (`-preferredversion` twins are only hashed: their bytes must equal the unversioned copy).
    pub fn new(entry: &'a str, path: ItemPath<'a>, body: &'a [u8], parse: bool) -> Self {
        let meta = (parse && !matches!(path.version, VersionDir::Preferred(_)))
            .then(|| ItemMeta::parse(body));
        let details = match &meta {
            Some(Ok(m)) => Details::read(path.gr, m),
            _ => Details::None,
        };
        ItemEntry {
            entry,
            path,
            body,
            hash: xxhash_rust::xxh3::xxh3_64(body),
            meta,
            details,
        }
    }
}

struct Walk {
    entries: u64,
    bytes: u64,
    format_version: Option<String>,
}

type WalkError = (Option<String>, String);

fn walk_tar(
    decoder: Box<dyn Read + Send + '_>,
    opts: &ScanOptions,
    tx: Sender<Batch>,
) -> Result<Walk, WalkError> {
    let mut archive = tar::Archive::new(decoder);
    let mut walk = Walk {
        entries: 0,
        bytes: 0,
        format_version: None,
    };
    let mut last: Option<String> = None;
    let mut long_path: Option<Vec<u8>> = None;
    let mut batch = Batch {
        buf: Vec::with_capacity(opts.batch_bytes + (64 << 10)),
        entries: Vec::new(),
    };
    let entries = archive
        .entries()
        .map_err(|e| (None, e.to_string()))?
        .raw(true);
    let mut seen: u64 = 0;
    for entry in entries {
        let mut entry = entry.map_err(|e| (last.clone(), describe_io(&e)))?;
        seen += 1;
        if seen > opts.max_entries {
            return Err((last, format!("more than {} tar entries", opts.max_entries)));
        }
        let header = entry.header();
        let kind = header.entry_type();
        let size = entry.size();
        if kind.is_gnu_longname()
            || kind.is_gnu_longlink()
            || kind.is_pax_local_extensions()
            || kind.is_pax_global_extensions()
        {
            if size > opts.max_header_bytes {
                let at = match &last {
                    Some(l) => format!("extension header after {l}"),
                    None => "extension header at the start".to_string(),
                };
                return Err((
                    Some(at),
                    format!(
                        "{BUDGET_MARK}header\u{1}{size}\u{1}{}",
                        opts.max_header_bytes
                    ),
                ));
            }
            let data = read_exact_body(&mut entry, size).map_err(|e| (last.clone(), e))?;
            if kind.is_gnu_longname() {
                let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
                long_path = Some(data[..end].to_vec());
            } else if kind.is_pax_local_extensions() {
                for ext in tar::PaxExtensions::new(&data) {
                    let ext =
                        ext.map_err(|e| (last.clone(), format!("malformed PAX header: {e}")))?;
                    match ext.key() {
                        Ok("path") => long_path = Some(ext.value_bytes().to_vec()),
                        Ok("size") => {
                            return Err((
                                last,
                                "PAX size overrides are not supported (entry over 8 GiB?)".into(),
                            ));
                        }
                        _ => {}
                    }
                }
            }
            continue;
        }
        let raw_path = long_path
            .take()
            .unwrap_or_else(|| entry.path_bytes().into_owned());
        let Ok(name) = String::from_utf8(raw_path) else {
            walk.entries += 1;
            batch.entries.push(Raw::Warning(ScanWarning {
                kind: WarningKind::NonUtf8Path,
                entry: String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
                message: "entry path is not UTF-8; ignored".into(),
            }));
            continue;
        };
        last = Some(name.clone());
        if kind.is_dir() {
            continue;
        }
        walk.entries += 1;
        if !(kind.is_file() || kind.is_contiguous()) {
            let (wk, what) = if kind.is_symlink() || kind.is_hard_link() {
                (WarningKind::Link, "link")
            } else {
                (WarningKind::Device, "special file")
            };
            batch.entries.push(Raw::Warning(ScanWarning {
                kind: wk,
                entry: name,
                message: format!("{what} entry ignored: Velero archives hold only regular files"),
            }));
            continue;
        }
        walk.bytes += size;
        match path::classify(path::normalize(&name)) {
            Ok(EntryPath::FormatVersion) => {
                let limit = size.min(4096);
                let data = read_exact_body(&mut entry, limit).map_err(|e| (last.clone(), e))?;
                walk.format_version = Some(String::from_utf8_lossy(&data).trim().to_string());
            }
            Ok(EntryPath::Item(_)) => {
                if size > opts.max_entry_bytes {
                    return Err((
                        last,
                        format!("{BUDGET_MARK}entry\u{1}{size}\u{1}{}", opts.max_entry_bytes),
                    ));
                }
                let start = batch.buf.len();
                read_body_into(&mut entry, size, &mut batch.buf).map_err(|e| (last.clone(), e))?;
                batch.entries.push(Raw::Item {
                    entry: name,
                    data: start..batch.buf.len(),
                });
            }
            Err(problem) => {
                let (kind, message) = match problem {
                    PathProblem::Absolute => (
                        WarningKind::AbsolutePath,
                        "absolute path; ignored, never extracted",
                    ),
                    PathProblem::ParentDir => (
                        WarningKind::ParentDirPath,
                        "path contains '..'; ignored, never extracted",
                    ),
                    PathProblem::OutsideGrammar => (
                        WarningKind::OutsideGrammar,
                        "outside the Velero path grammar; ignored",
                    ),
                };
                batch.entries.push(Raw::Warning(ScanWarning {
                    kind,
                    entry: name,
                    message: message.into(),
                }));
            }
        }
        if batch.buf.len() >= opts.batch_bytes || batch.entries.len() >= opts.batch_entries {
            let full = std::mem::replace(
                &mut batch,
                Batch {
                    buf: Vec::with_capacity(opts.batch_bytes + (64 << 10)),
                    entries: Vec::new(),
                },
            );
            if tx.send(full).is_err() {
                return Ok(walk);
            }
        }
    }
    if !batch.entries.is_empty() {
        let _ = tx.send(batch);
    }
    // Read what follows the end-of-archive marker so the decoder checks its trailer (gzip CRC
    // and length, zstd checksum); Velero's reader would fail there too.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| {
        (
            last.clone(),
            format!("after the end of the tar stream: {}", describe_io(&e)),
        )
    })?;
    Ok(walk)
}

fn read_exact_body(r: &mut impl Read, size: u64) -> Result<Vec<u8>, String> {
    let mut v = Vec::new();
    read_body_into(r, size, &mut v)?;
    Ok(v)
}

fn read_body_into(r: &mut impl Read, size: u64, buf: &mut Vec<u8>) -> Result<(), String> {
    let before = buf.len();
    r.take(size).read_to_end(buf).map_err(|e| describe_io(&e))?;
    let got = (buf.len() - before) as u64;
    if got < size {
        return Err(format!(
            "truncated archive: entry body has {got} of {size} bytes before the end of data"
        ));
    }
    Ok(())
}

fn describe_io(e: &io::Error) -> String {
    let msg = e.to_string();
    if e.kind() == io::ErrorKind::UnexpectedEof || msg.contains("unexpected end of file") {
        format!("truncated archive: unexpected end of data ({msg})")
    } else if msg.contains("corrupt deflate stream") || msg.contains("invalid gzip header") {
        format!("corrupt gzip data: {msg}")
    } else {
        msg
    }
}

fn hex_prefix(data: &[u8]) -> String {
    data.iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

struct Counting<'a> {
    inner: &'a [u8],
    consumed: &'a AtomicU64,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
