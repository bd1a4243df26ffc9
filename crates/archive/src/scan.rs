//! The scan pipeline: one thread inflates and walks the tar stream, handing batches of entries
//! to the calling thread, which parses their metadata on the rayon pool and visits them in
//! archive order. Memory is bounded by the channel depth times the batch size.

use crate::compression::Compression;
use crate::details::Details;
use crate::error::{ArchiveError, Damage};
use crate::meta::ItemMeta;
use crate::path::{self, EntryPath, ItemPath, PathProblem, VersionDir};
use crate::zran::{GzReader, SeekPoints};
use crossbeam_channel::{Sender, bounded};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
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
    /// Also compute the SHA-256 of unversioned item bodies (digest manifests), on the pool.
    pub sha256: bool,
    /// For gzip: record a seek point every `span` bytes of output into the collector.
    pub seek_points: Option<(u64, SeekPoints)>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_entry_bytes: 256 << 20,
            max_header_bytes: 1 << 20,
            max_entries: 100_000_000,
            batch_bytes: 1 << 20,
            batch_entries: 8192,
            parse_metadata: true,
            sha256: false,
            seek_points: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanWarning {
    pub kind: WarningKind,
    pub entry: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    /// Zero blocks after the last entry, up to 2 (a complete end-of-archive marker).
    pub end_marker_blocks: u8,
    /// Bytes after the end-of-archive marker and its zero padding (data that does not belong).
    pub trailing_bytes: u64,
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
    /// SHA-256 of the body, for unversioned entries when `ScanOptions::sha256` is set.
    pub sha256: Option<[u8; 32]>,
    /// Where the body starts in the decompressed tar stream.
    pub offset: u64,
}

// Events live for one visit; boxing the item would cost an allocation per entry.
#[allow(clippy::large_enum_variant)]
pub enum ScanEvent<'a> {
    Item(ItemEntry<'a>),
    Warning(ScanWarning),
}

enum Raw {
    Item {
        entry: String,
        data: Range<usize>,
        offset: u64,
    },
    Warning(ScanWarning),
}

/// Entry bodies and what to make of them. `buf[..used]` holds this batch's bodies; the buffer
/// itself is recycled from batch to batch, so its memory is faulted in and zeroed only once.
struct Batch {
    buf: Vec<u8>,
    used: usize,
    entries: Vec<Raw>,
    /// Holds one body larger than a batch: freed after use, never recycled.
    large: bool,
}

impl Batch {
    fn new(opts: &ScanOptions) -> Batch {
        Batch {
            buf: Vec::with_capacity(opts.batch_bytes + (64 << 10)),
            used: 0,
            entries: Vec::new(),
            large: false,
        }
    }

    /// Reads a body of `size` bytes after the others.
    fn append_body(&mut self, r: &mut impl Read, size: u64) -> Result<Range<usize>, BodyError> {
        let start = self.used;
        let end = start + size as usize;
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        read_full(r, &mut self.buf[start..end])?;
        self.used = end;
        Ok(start..end)
    }

    fn room(&self) -> usize {
        self.buf.capacity() - self.used
    }
}

/// At most one body larger than a batch is in memory at a time: the reader waits for the
/// consumer to be done with the last one before it reads the next. Without it, every batch in
/// the pipeline could hold a body of `--max-entry-bytes` (a small gzip of a few huge entries
/// took five times the budget).
#[derive(Default)]
struct LargeGate {
    busy: std::sync::Mutex<bool>,
    freed: std::sync::Condvar,
}

impl LargeGate {
    fn enter(&self) {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        while *busy {
            busy = self.freed.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy = true;
    }

    fn leave(&self) {
        *self.busy.lock().unwrap_or_else(|e| e.into_inner()) = false;
        self.freed.notify_all();
    }
}

/// The reader's side of the pipeline: full batches go out, emptied ones come back for reuse.
struct Batches<'a> {
    full: Sender<Batch>,
    spare: crossbeam_channel::Receiver<Batch>,
    opts: &'a ScanOptions,
    large: &'a LargeGate,
}

impl Batches<'_> {
    fn fresh(&self) -> Batch {
        self.spare
            .try_recv()
            .unwrap_or_else(|_| Batch::new(self.opts))
    }

    /// Sends `batch` on, leaving a fresh one in its place; false when the consumer has stopped.
    fn send(&self, batch: &mut Batch) -> bool {
        let full = std::mem::replace(batch, self.fresh());
        self.full.send(full).is_ok()
    }
}

/// Scans the archive at `path`, calling `visit` for each item entry and warning in archive order
/// and `progress` with the compressed bytes consumed so far. `visit` may stop the scan early by
/// returning `ControlFlow::Break`; the returned stats then cover what was read.
pub fn scan_archive(
    path: &Path,
    opts: &ScanOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
    visit: impl FnMut(ScanEvent<'_>) -> ControlFlow<()>,
) -> Result<ScanStats, ArchiveError> {
    let io_err = |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    let kind = meta.file_type();
    // A pipe (`<(curl …)`, a FIFO) is streamed; a device or socket is no archive.
    {
        use std::os::unix::fs::FileTypeExt;
        if !kind.is_file() && !kind.is_fifo() {
            return Err(ArchiveError::NotABackup {
                path: path.to_path_buf(),
                reason: "not a regular file or a pipe".into(),
            });
        }
    }
    let len = meta.len();
    if len == 0 && kind.is_file() {
        return Err(ArchiveError::Empty {
            path: path.to_path_buf(),
        });
    }
    let shrank = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = FileReader {
        file,
        pos: 0,
        len: kind.is_file().then_some(len),
        shrank: shrank.clone(),
    };
    let scanned = scan_stream(path, reader, len, opts, progress, visit);
    // Whatever the decoder made of the short read, the cause is the file, not its content.
    if shrank.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(ArchiveError::Changed {
            path: path.to_path_buf(),
        });
    }
    scanned
}

/// Reads an archive file front to back with plain reads: a file that shrinks underneath (a sync
/// job rewriting it, `cp new old`) ends the read with an error instead of the SIGBUS a mapped
/// read would take.
struct FileReader {
    file: std::fs::File,
    pos: u64,
    /// The size the file had when opened; None for a pipe.
    len: Option<u64>,
    /// Set when the file ended before that size.
    shrank: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Read for FileReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.pos += n as u64;
        if n == 0 && !buf.is_empty() && self.len.is_some_and(|len| self.pos < len) {
            self.shrank
                .store(true, std::sync::atomic::Ordering::Relaxed);
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the archive changed while it was read",
            ));
        }
        Ok(n)
    }
}

/// Scans an archive held in memory (or mapped); `path` only names it in errors.
pub fn scan_bytes(
    path: &Path,
    map: &[u8],
    opts: &ScanOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
    visit: impl FnMut(ScanEvent<'_>) -> ControlFlow<()>,
) -> Result<ScanStats, ArchiveError> {
    scan_stream(path, map, map.len() as u64, opts, progress, visit)
}

/// Scans an archive read from a stream (an object store download, say) of `len` bytes; the
/// compression is sniffed from its first bytes. Nothing is buffered beyond the pipeline's batches.
pub fn scan_stream(
    path: &Path,
    mut input: impl Read + Send,
    len: u64,
    opts: &ScanOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
    mut visit: impl FnMut(ScanEvent<'_>) -> ControlFlow<()>,
) -> Result<ScanStats, ArchiveError> {
    let mut head = Vec::with_capacity(512);
    (&mut input)
        .take(512)
        .read_to_end(&mut head)
        .map_err(|source| ArchiveError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if head.is_empty() {
        return Err(ArchiveError::Empty {
            path: path.to_path_buf(),
        });
    }
    let compression = Compression::sniff(&head).ok_or_else(|| ArchiveError::UnknownFormat {
        path: path.to_path_buf(),
        magic: hex_prefix(&head),
    })?;
    let input = io::Cursor::new(head).chain(input);
    let consumed = AtomicU64::new(0);
    let mut stats = ScanStats {
        archive_bytes: len,
        compression: Some(compression),
        ..ScanStats::default()
    };

    let large = LargeGate::default();
    let outcome = std::thread::scope(|s| {
        let (tx, rx) = bounded::<Batch>(3);
        let (spare_tx, spare_rx) = bounded::<Batch>(4);
        let reader = s.spawn(|| {
            let input = Counting {
                inner: input,
                consumed: &consumed,
            };
            let decoder: Box<dyn Read + Send + '_> = match compression {
                Compression::Gzip => match GzReader::new(input, opts.seek_points.clone()) {
                    Ok(d) => Box::new(d),
                    Err(e) => return Err(WalkError::new(None, Damage::Decompress, e.to_string())),
                },
                Compression::Zstd => match zstd::stream::read::Decoder::new(input) {
                    Ok(d) => Box::new(d),
                    Err(e) => return Err(WalkError::new(None, Damage::Decompress, e.to_string())),
                },
                Compression::None => Box::new(input),
            };
            let batches = Batches {
                full: tx,
                spare: spare_rx,
                opts,
                large: &large,
            };
            walk_tar(decoder, opts, &batches)
        });
        'batches: for mut batch in rx.iter() {
            progress(consumed.load(Ordering::Relaxed), len);
            let bodies = &batch.buf[..batch.used];
            let processed: Vec<Option<ScanEvent<'_>>> = batch
                .entries
                .par_iter()
                .map(|raw| process(raw, bodies, opts))
                .collect();
            for ev in processed.into_iter().flatten() {
                if visit(ev).is_break() {
                    break 'batches;
                }
            }
            if batch.large {
                drop(batch);
                large.leave();
                continue;
            }
            batch.used = 0;
            batch.entries.clear();
            let _ = spare_tx.try_send(batch);
        }
        drop(rx);
        // A consumer that stopped early must not leave the reader waiting at the gate.
        large.leave();
        reader.join().unwrap_or_else(|_| {
            Err(WalkError::new(
                None,
                Damage::Io,
                "reader thread panicked".into(),
            ))
        })
    });
    progress(len, len);
    match outcome {
        Ok(walk) => {
            stats.entries = walk.entries;
            stats.bytes = walk.bytes;
            stats.format_version = walk.format_version;
            stats.end_marker_blocks = walk.end_marker_blocks;
            stats.trailing_bytes = walk.trailing_bytes;
            if len == 0 {
                // A pipe has no size to ask for: what was read is its size.
                stats.archive_bytes = consumed.load(Ordering::Relaxed);
            }
            Ok(stats)
        }
        Err(e) => Err(e.into_error(path, consumed.load(Ordering::Relaxed))),
    }
}

fn process<'b>(raw: &'b Raw, buf: &'b [u8], opts: &ScanOptions) -> Option<ScanEvent<'b>> {
    match raw {
        Raw::Warning(w) => Some(ScanEvent::Warning(w.clone())),
        Raw::Item {
            entry,
            data,
            offset,
        } => {
            let body = &buf[data.clone()];
            let Ok(EntryPath::Item(item)) = path::classify(path::normalize(entry)) else {
                return None;
            };
            let mut e = ItemEntry::new(entry, item, body, opts.parse_metadata);
            e.offset = *offset;
            if opts.sha256 && item.version == VersionDir::Unversioned {
                use sha2::Digest;
                e.sha256 = Some(sha2::Sha256::digest(body).into());
            }
            Some(ScanEvent::Item(e))
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
            sha256: None,
            offset: 0,
        }
    }
}

#[derive(Default)]
struct Walk {
    entries: u64,
    bytes: u64,
    format_version: Option<String>,
    end_marker_blocks: u8,
    trailing_bytes: u64,
}

/// What stopped the walk, and after which entry.
struct WalkError {
    entry: Option<String>,
    damage: Damage,
    message: String,
    entries_read: u64,
    budget: Option<(&'static str, u64, u64)>,
}

impl WalkError {
    fn new(entry: Option<String>, damage: Damage, message: String) -> Self {
        WalkError {
            entry,
            damage,
            message,
            entries_read: 0,
            budget: None,
        }
    }

    fn io(entry: Option<String>, e: &io::Error) -> Self {
        let (damage, message) = describe_io(e);
        WalkError::new(entry, damage, message)
    }

    fn into_error(self, path: &Path, offset: u64) -> ArchiveError {
        match self.budget {
            Some((what, size, limit)) => ArchiveError::Budget {
                path: path.to_path_buf(),
                entry: self.entry.unwrap_or_default(),
                what,
                size,
                limit,
            },
            None => ArchiveError::Corrupt {
                path: path.to_path_buf(),
                entry: self.entry,
                damage: self.damage,
                message: self.message,
                offset,
                entries_read: self.entries_read,
            },
        }
    }
}

/// Counts the decompressed bytes the tar reader has consumed.
struct Tell<R> {
    inner: R,
    pos: std::rc::Rc<std::cell::Cell<u64>>,
    scratch: Box<[u8]>,
}

impl<R: Read> Read for Tell<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos.set(self.pos.get() + n as u64);
        Ok(n)
    }
}

/// Forward skips only: tar's own skip zeroes a 32 KiB stack buffer for every entry (a fifth of
/// the reader thread's time on small items); a seek lets it reuse ours.
impl<R: Read> io::Seek for Tell<R> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let io::SeekFrom::Current(delta) = to else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "only forward skips",
            ));
        };
        let mut left = u64::try_from(delta)
            .map_err(|_| io::Error::new(io::ErrorKind::Unsupported, "only forward skips"))?;
        while left > 0 {
            let want = left.min(self.scratch.len() as u64) as usize;
            let n = self.inner.read(&mut self.scratch[..want])?;
            self.pos.set(self.pos.get() + n as u64);
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "unexpected EOF during skip",
                ));
            }
            left -= n as u64;
        }
        Ok(self.pos.get())
    }
}

fn walk_tar(
    decoder: Box<dyn Read + Send + '_>,
    opts: &ScanOptions,
    batches: &Batches<'_>,
) -> Result<Walk, WalkError> {
    let pos = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let mut archive = tar::Archive::new(Tell {
        inner: decoder,
        pos: pos.clone(),
        scratch: vec![0; 32 << 10].into_boxed_slice(),
    });
    let mut walk = Walk::default();
    let mut data_end: u64 = 0;
    let mut batch = batches.fresh();
    let walked = walk_entries(
        &mut archive,
        opts,
        batches,
        &mut batch,
        &mut walk,
        &mut data_end,
    );
    // What was read before any damage still reaches the consumer.
    if !batch.entries.is_empty() {
        let _ = batches.full.send(batch);
    }
    let last = match walked {
        Ok(Walked::Ended(last)) => last,
        Ok(Walked::Stopped) => return Ok(walk),
        Err(mut e) => {
            e.entries_read = walk.entries;
            return Err(e);
        }
    };
    // What follows the last entry: the end-of-archive marker (two zero blocks), padding, or
    // other data. Reading to the end also makes the decoder check its trailer (gzip CRC and
    // length, zstd checksum), as Velero's reader would.
    let marker_start = pos.get();
    let mut rest = archive.into_inner();
    let mut tail = [0u8; 64 << 10];
    let mut zero_run: u64 = marker_start.saturating_sub(data_end);
    let mut saw_data = false;
    loop {
        let n = match rest.read(&mut tail) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                let mut err = WalkError::io(last.clone(), &e);
                err.message = format!("after the end of the tar stream: {}", err.message);
                if gzip_damage(&e) == Some(&crate::zran::GzipDamage::NotAMember) {
                    err.damage = Damage::TrailingGarbage;
                }
                err.entries_read = walk.entries;
                return Err(err);
            }
        };
        for &b in &tail[..n] {
            if b == 0 && !saw_data {
                zero_run += 1;
            } else {
                saw_data = true;
                walk.trailing_bytes += 1;
            }
        }
    }
    walk.end_marker_blocks = (zero_run / 512).min(2) as u8;
    Ok(walk)
}

/// Walks the entries, batching item bodies to the consumer.
fn walk_entries<R: Read + io::Seek>(
    archive: &mut tar::Archive<R>,
    opts: &ScanOptions,
    batches: &Batches<'_>,
    batch: &mut Batch,
    walk: &mut Walk,
    data_end: &mut u64,
) -> Result<Walked, WalkError> {
    let mut last: Option<String> = None;
    let mut long_path: Option<Vec<u8>> = None;
    let entries = archive
        .entries_with_seek()
        .map_err(|e| WalkError::io(None, &e))?
        .raw(true);
    let mut seen: u64 = 0;
    for entry in entries {
        let mut entry = entry.map_err(|e| WalkError::io(last.clone(), &e))?;
        seen += 1;
        if seen > opts.max_entries {
            return Err(WalkError::new(
                last,
                Damage::TooManyEntries,
                format!("more than {} tar entries", opts.max_entries),
            ));
        }
        let header = entry.header();
        let kind = header.entry_type();
        let size = entry.size();
        *data_end = entry.raw_file_position() + size.div_ceil(512) * 512;
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
                let mut e = WalkError::new(Some(at), Damage::Budget, String::new());
                e.budget = Some(("extension header", size, opts.max_header_bytes));
                return Err(e);
            }
            let data = read_exact_body(&mut entry, size).map_err(|e| e.at(&last))?;
            if kind.is_gnu_longname() {
                let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
                long_path = Some(data[..end].to_vec());
            } else if kind.is_pax_local_extensions() {
                for ext in tar::PaxExtensions::new(&data) {
                    let ext = ext.map_err(|e| {
                        WalkError::new(
                            last.clone(),
                            Damage::TarHeader,
                            format!("malformed PAX header: {e}"),
                        )
                    })?;
                    match ext.key() {
                        Ok("path") => long_path = Some(ext.value_bytes().to_vec()),
                        Ok("size") => {
                            return Err(WalkError::new(
                                last,
                                Damage::Unsupported,
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
        // Reuses the allocation: this runs for every entry.
        last.get_or_insert_with(String::new).clone_from(&name);
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
                let data = read_exact_body(&mut entry, limit).map_err(|e| e.at(&last))?;
                walk.format_version = Some(String::from_utf8_lossy(&data).trim().to_string());
            }
            Ok(EntryPath::Item(_)) => {
                if size > opts.max_entry_bytes {
                    let mut e = WalkError::new(last, Damage::Budget, String::new());
                    e.budget = Some(("entry", size, opts.max_entry_bytes));
                    return Err(e);
                }
                // A body that would outgrow the batch's buffer starts the next batch instead:
                // growing it would double an allocation of a megabyte for a few KiB.
                if !batch.entries.is_empty() && size > batch.room() as u64 && !batches.send(batch) {
                    return Ok(Walked::Stopped);
                }
                if size > opts.batch_bytes as u64 {
                    batches.large.enter();
                    batch.large = true;
                }
                let data = batch
                    .append_body(&mut entry, size)
                    .map_err(|e| e.at(&last))?;
                batch.entries.push(Raw::Item {
                    entry: name,
                    data,
                    offset: entry.raw_file_position(),
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
        if (batch.used >= opts.batch_bytes || batch.entries.len() >= opts.batch_entries)
            && !batches.send(batch)
        {
            return Ok(Walked::Stopped);
        }
    }
    Ok(Walked::Ended(last))
}

/// How the entry walk ended: at the end of the tar stream (after the named entry), or because the
/// consumer stopped listening.
enum Walked {
    Ended(Option<String>),
    Stopped,
}

/// A failed body read, before it is tied to an entry.
struct BodyError(Damage, String);

impl BodyError {
    fn at(self, last: &Option<String>) -> WalkError {
        WalkError::new(last.clone(), self.0, self.1)
    }
}

/// Reads a whole extension header or `metadata/version` (sizes bounded by the caller).
fn read_exact_body(r: &mut impl Read, size: u64) -> Result<Vec<u8>, BodyError> {
    let mut v = vec![0; size as usize];
    read_full(r, &mut v)?;
    Ok(v)
}

/// Fills `buf` from `r`; running out of data first is a truncated archive.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<(), BodyError> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => {
                return Err(BodyError(
                    Damage::Truncated,
                    format!(
                        "truncated archive: entry body has {got} of {} bytes before the end of data",
                        buf.len()
                    ),
                ));
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let (d, m) = describe_io(&e);
                return Err(BodyError(d, m));
            }
        }
    }
    Ok(())
}

/// Names the damage behind an I/O error of the decompressor or the tar reader.
/// The damage our own gzip reader found, if it was ours that failed.
fn gzip_damage(e: &io::Error) -> Option<&crate::zran::GzipDamage> {
    e.get_ref()?.downcast_ref()
}

fn describe_io(e: &io::Error) -> (Damage, String) {
    let msg = e.to_string();
    use crate::zran::GzipDamage;
    match gzip_damage(e) {
        Some(GzipDamage::Crc | GzipDamage::Length) => {
            return (Damage::Checksum, format!("checksum mismatch: {msg}"));
        }
        Some(GzipDamage::NotAMember | GzipDamage::Deflate(_)) => {
            return (
                Damage::Decompress,
                format!("corrupt compressed data: {msg}"),
            );
        }
        None => {}
    }
    // tar-rs and zstd report damage only as io::Error messages: read them.
    let lower = msg.to_ascii_lowercase();
    if e.kind() == io::ErrorKind::UnexpectedEof
        || lower.contains("unexpected end of file")
        || lower.contains("unexpected eof")
        || lower.contains("incomplete")
        || lower.contains("failed to read entire block")
    {
        (
            Damage::Truncated,
            format!("truncated archive: unexpected end of data ({msg})"),
        )
    } else if lower.contains("header checksum")
        || lower.contains("numeric field")
        || lower.contains("invalid octal")
    {
        (Damage::TarHeader, msg)
    } else if lower.contains("checksum") || lower.contains("matching size") {
        (Damage::Checksum, format!("checksum mismatch: {msg}"))
    } else if lower.contains("deflate")
        || lower.contains("gzip header")
        || lower.contains("corrupt")
        || lower.contains("unknown frame")
        || lower.contains("zstd")
    {
        (
            Damage::Decompress,
            format!("corrupt compressed data: {msg}"),
        )
    } else {
        (Damage::Io, msg)
    }
}

fn hex_prefix(data: &[u8]) -> String {
    data.iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

struct Counting<'a, R> {
    inner: R,
    consumed: &'a AtomicU64,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain tar of `n` ConfigMaps of about `size` bytes each.
    fn tar_of(n: usize, size: usize) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for i in 0..n {
            let body = format!(
                r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"c{i}","namespace":"a"}},"data":{{"x":"{}"}}}}"#,
                "y".repeat(size)
            );
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(
                &mut h,
                format!("resources/configmaps/namespaces/a/c{i}.json"),
                body.as_bytes(),
            )
            .unwrap();
        }
        b.into_inner().unwrap()
    }

    /// An archive truncated while it is read ends the read with "changed", never a signal (a
    /// mapped read takes SIGBUS there).
    #[test]
    fn a_file_that_shrinks_while_read_is_reported_as_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shrinking.tar");
        std::fs::write(&path, tar_of(64, 1 << 20)).unwrap();
        let mut truncated = false;
        let result = scan_archive(&path, &ScanOptions::default(), &|_, _| {}, |ev| {
            if matches!(ev, ScanEvent::Item(_)) && !truncated {
                truncated = true;
                let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
                f.set_len(4 << 20).unwrap();
            }
            ControlFlow::Continue(())
        });
        assert!(truncated);
        match result {
            Err(ArchiveError::Changed { path: p }) => assert_eq!(p, path),
            other => panic!("expected Changed, got {other:?}"),
        }
    }

    #[test]
    fn devices_are_refused_and_pipes_are_streamed() {
        let err = scan_archive(
            Path::new("/dev/null"),
            &ScanOptions::default(),
            &|_, _| {},
            |_| ControlFlow::Continue(()),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("not a regular file or a pipe"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return;
        }
        let data = tar_of(3, 10);
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, data).unwrap())
        };
        let mut items = 0;
        let stats = scan_archive(&fifo, &ScanOptions::default(), &|_, _| {}, |ev| {
            items += usize::from(matches!(ev, ScanEvent::Item(_)));
            ControlFlow::Continue(())
        })
        .unwrap();
        writer.join().unwrap();
        assert_eq!(items, 3);
        assert_eq!(stats.compression, Some(Compression::None));
    }
}
