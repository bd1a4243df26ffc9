//! The persisted index: `veloscope index`, and loading a backup from a valid sidecar beside its
//! tarball. A stale or damaged sidecar is reported, the archive read instead, and the sidecar
//! rebuilt in place (the user asked for one by creating it).

use crate::backup::{self, Backup, CaptureFn, Captured, LoadOptions};
use crate::{Error, InFile, Result, Session};
use serde::Serialize;
use std::path::{Path, PathBuf};
use veloscope_archive::{Access, Compression, ItemPath, RemoteBackup, Source, Span, VersionDir};
use veloscope_index::sidecar::{self, Fingerprint};
use veloscope_index::{EntryRef, Index, PackedIndex, Sym};

/// How much of an archive is checked against its sidecar's digest.
#[derive(Clone, Copy)]
enum Check {
    /// The first and last blocks and [`SAMPLED_BLOCKS`] random ones: a few MiB read.
    Sample,
    /// Every block: a read of the whole compressed file, without inflating it.
    Whole,
}

/// Random blocks re-hashed besides the first and the last on every answer from a sidecar.
const SAMPLED_BLOCKS: u64 = 6;

/// The gzip seek point spacing used when a command rebuilds a sidecar.
const DEFAULT_SPAN: u64 = 4 << 20;

/// What `index` wrote.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexReport {
    pub sidecar: String,
    pub items: usize,
    pub seek_points: usize,
    pub bytes: u64,
    pub archive_bytes: u64,
}

/// Reads a backup once and writes its sidecar to `to` (default: beside the tarball, or the cache
/// folder for a backup in object storage), with gzip seek points `span` output bytes apart.
pub fn index(path: &Path, to: Option<&Path>, span: u64, s: &Session<'_>) -> Result<IndexReport> {
    let source = backup::open(path)?;
    let Some(archive) = ArchiveRef::of(&source) else {
        return Err(Error::input(
            path.display(),
            "a live-cluster dump has no archive to index",
        ));
    };
    let target = match to {
        Some(to) => to.to_path_buf(),
        None => archive.sidecar()?,
    };
    crate::output::refuse_input(&target, &crate::output::inputs_of(&source), "--out")?;
    // The packed layout: less memory than the in-memory index, and nothing here needs items.
    let before = archive.fingerprint()?;
    let (loaded, written) = build(&archive, before, source.clone(), s, span, &target, None)?;
    let bytes = written?;
    let summary = &loaded.index.summary;
    backup::report_scan_warnings(&loaded.source, &summary.warnings, s);
    Ok(IndexReport {
        sidecar: target.display().to_string(),
        items: loaded.index.item_count(),
        seek_points: loaded.access.as_ref().map_or(0, Access::seek_points),
        bytes,
        archive_bytes: summary.stats.archive_bytes,
    })
}

/// Reads the archive, recording seek points, and writes the sidecar to `target`, tied to the
/// archive's fingerprint `before` the read. A failure to read is the error; a failure to write
/// is the inner result.
fn build(
    archive: &ArchiveRef,
    before: Fingerprint,
    source: Source,
    s: &Session<'_>,
    span: u64,
    target: &Path,
    capture: Option<CaptureFn<'_>>,
) -> Result<(Backup<PackedIndex>, Result<u64>)> {
    let lo = LoadOptions {
        seek_span: Some(span),
        ..LoadOptions::default()
    };
    let read = backup::read(source, s, lo, capture, &mut |_| {})?;
    let mut loaded = read.backup;
    let access = match loaded.index.summary.stats.compression {
        Some(Compression::Gzip) => Access::Gzip(read.seek_points),
        Some(Compression::Zstd) => match archive {
            ArchiveRef::Local(tarball) => {
                let file = std::fs::File::open(tarball).in_file(tarball.display())?;
                let frames = veloscope_archive::zstd_frames(std::io::BufReader::new(file));
                Access::ZstdFrames(frames.in_file(tarball.display())?)
            }
            // Finding frames would mean reading the object again: reads start at its beginning.
            ArchiveRef::Remote(_) => Access::ZstdFrames(vec![(0, 0)]),
        },
        _ => Access::Direct,
    };
    // An archive rewritten while we read it would pair the new fingerprint with the old items.
    // (An object store hands out one version per GET; its listing was taken just before.)
    let changed = match archive {
        ArchiveRef::Local(_) => archive.fingerprint()? != before,
        ArchiveRef::Remote(_) => false,
    };
    let written = if changed {
        Err(Error::input(
            archive.name(),
            "the archive changed while it was indexed",
        ))
    } else {
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).in_file(dir.display())?;
        }
        let digest = match archive {
            ArchiveRef::Local(tarball) => {
                veloscope_archive::block_digest(tarball).in_file(tarball.display())?
            }
            ArchiveRef::Remote(_) => Vec::new(),
        };
        sidecar::write(target, &before, &access, &digest, &loaded.index).in_file(target.display())
    };
    loaded.access = Some(access);
    Ok((loaded, written))
}

/// The archive of a source, as far as sidecars are concerned: a local file (its sidecar beside
/// it) or an object in a store (its sidecar in the cache folder, keyed by URL and the object's
/// ETag, size and modification time; entries read by ranged GETs).
#[derive(Clone)]
pub enum ArchiveRef {
    Local(PathBuf),
    Remote(RemoteBackup),
}

impl ArchiveRef {
    pub fn of(source: &Source) -> Option<ArchiveRef> {
        match source {
            Source::Tarball(p) => Some(ArchiveRef::Local(p.clone())),
            Source::Folder(f) => Some(ArchiveRef::Local(f.tarball.clone())),
            Source::Remote(r) => Some(ArchiveRef::Remote(r.clone())),
            Source::Dump(_) => None,
        }
    }

    fn name(&self) -> String {
        match self {
            ArchiveRef::Local(p) => p.display().to_string(),
            ArchiveRef::Remote(r) => r.url.display().to_string(),
        }
    }

    fn sidecar(&self) -> Result<PathBuf> {
        match self {
            ArchiveRef::Local(p) => Ok(sidecar::path_for(p)),
            ArchiveRef::Remote(r) => {
                let url = r.url.to_string_lossy();
                Ok(cache_dir()?.join(format!(
                    "{:016x}.vsidx",
                    xxhash_rust::xxh3::xxh3_64(url.as_bytes())
                )))
            }
        }
    }

    /// The archive's size: now for a file, as listed for an object.
    fn size(&self) -> Result<u64> {
        match self {
            ArchiveRef::Local(p) => Ok(std::fs::metadata(p).in_file(p.display())?.len()),
            ArchiveRef::Remote(r) => Ok(r.version.size),
        }
    }

    /// Checks the archive's bytes against the digest its sidecar recorded: a few blocks (the
    /// first, the last and some chosen at random on each run) or all of them. `Some(why)` when
    /// they differ. An object in a store has no digest: its ETag and size bind it.
    fn content_differs(&self, digest: &[u64], check: Check) -> Result<Option<String>> {
        let ArchiveRef::Local(tarball) = self else {
            return Ok(None);
        };
        let size = self.size()?;
        let blocks = size.div_ceil(veloscope_archive::DIGEST_BLOCK) as usize;
        if digest.len() != blocks {
            return Ok(Some(
                "the index holds no content digest of this archive".into(),
            ));
        }
        let differs = match check {
            Check::Whole => veloscope_archive::check_blocks(tarball, digest, 0..blocks),
            Check::Sample => {
                let random = |salt: u64| {
                    use std::hash::{BuildHasher, Hasher};
                    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                    h.write_u64(salt);
                    (h.finish() % blocks.max(1) as u64) as usize
                };
                let sample = [0, blocks.saturating_sub(1)]
                    .into_iter()
                    .chain((0..SAMPLED_BLOCKS).map(random));
                veloscope_archive::check_blocks(tarball, digest, sample)
            }
        }
        .in_file(tarball.display())?;
        Ok(differs.map(|block| {
            format!(
                "the archive's content differs from its index (block {block} of {blocks}); the index is stale or was not made from this archive"
            )
        }))
    }

    fn fingerprint(&self) -> Result<Fingerprint> {
        match self {
            ArchiveRef::Local(p) => Fingerprint::of_file(p).in_file(p.display()),
            ArchiveRef::Remote(r) => Ok(Fingerprint::of_object(
                &r.url.to_string_lossy(),
                r.version.size,
                r.version.modified,
                r.version.etag.as_deref(),
            )),
        }
    }
}

/// A source's index from its valid sidecar, with what reads its entries, when it has one of at
/// most `most_items` items (nothing is rebuilt or reported: the caller reads the archive its own
/// way). The head is decoded once, and the items only when they are few enough.
pub fn valid(
    source: &Source,
    s: &Session<'_>,
    most_items: u64,
) -> Option<(Index, Access, ArchiveRef)> {
    if s.options.no_index {
        return None;
    }
    let archive = ArchiveRef::of(source)?;
    let current = archive.fingerprint().ok()?;
    let few = |head: &Index| head.resources.iter().map(|r| r.items).sum::<u64>() <= most_items;
    let (reach, index) =
        sidecar::read_sections(&archive.sidecar().ok()?, &current, |head, _, _| few(head)).ok()?;
    // diff reports "no differences" from these hashes: the whole archive must match its digest.
    archive
        .content_differs(&reach.digest, Check::Whole)
        .ok()?
        .is_none()
        .then_some(())?;
    index
        .omitted
        .is_empty()
        .then_some((index, reach.access, archive))
}

/// How the sidecar beside `source` disagrees with `scanned`, the index of a full read of the
/// archive, when the sidecar claims this archive (its fingerprint matches): verify never answers
/// from a sidecar, but one that would answer other commands wrongly is worth a finding.
pub fn disagreement(source: &Source, scanned: &Index) -> Option<String> {
    let archive = ArchiveRef::of(source)?;
    let current = archive.fingerprint().ok()?;
    let side = archive.sidecar().ok()?;
    // Both indexes hold their items in the same canonical order: compare them pairwise, one
    // recorded section at a time (a second whole decoded index would double verify's peak).
    let ours = &scanned.items;
    let (mut theirs, mut differ) = (0usize, 0usize);
    let mut compare = |recorded: &Index, section: &[veloscope_index::Item]| {
        let same = |i: &veloscope_index::Item, j: &veloscope_index::Item| {
            recorded.gr(i) == scanned.gr(j)
                && recorded.namespace(i) == scanned.namespace(j)
                && i.name == j.name
                && i.entry.as_ref().map(|e| e.hash) == j.entry.as_ref().map(|e| e.hash)
        };
        let against = ours.get(theirs..).unwrap_or_default();
        differ += section
            .iter()
            .zip(against)
            .filter(|(i, j)| !same(i, j))
            .count();
        theirs += section.len();
    };
    let (reach, _) = sidecar::visit_sections(&side, &current, &mut compare).ok()?;
    differ += theirs.abs_diff(ours.len());
    let at = side.display();
    if let Ok(Some(why)) = archive.content_differs(&reach.digest, Check::Whole) {
        return Some(format!("{at}: {why}"));
    }
    (differ > 0).then(|| {
        format!(
            "{at}: the index lists {theirs} items and the archive holds {}; {differ} differ in name or content; other commands would answer from it (rebuild it with `veloscope index`)",
            ours.len()
        )
    })
}

/// Reads the bodies `want` asks for of `index`'s items at their seek points.
pub fn bodies(
    index: &Index,
    access: &Access,
    archive: &ArchiveRef,
    want: CaptureFn<'_>,
    s: &Session<'_>,
) -> Result<Vec<Captured>> {
    read_entries(archive, index, access, want, s)
}

/// Where sidecars of archives in object storage live: `$VELOSCOPE_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/veloscope`, else `~/.cache/veloscope`.
fn cache_dir() -> Result<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("VELOSCOPE_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("veloscope")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("veloscope")))
        .ok_or_else(|| {
            Error::usage("no cache folder for indexes of remote backups: set VELOSCOPE_CACHE_DIR")
        })
}

/// Indexes a source: from its sidecar when valid, else by reading the archive (rebuilding a
/// sidecar that exists but no longer matches).
pub fn load(source: Source, s: &Session<'_>, capture: Option<CaptureFn<'_>>) -> Result<Backup> {
    load_part(source, s, capture, Part::All)
}

/// Which items a command needs decoded, from a sidecar or from a read of the archive; the rest of
/// the index (counts, resources, kinds, warnings) is always whole.
#[derive(Clone, Copy)]
pub enum Part<'a> {
    All,
    /// The sections (group-resource, namespace; None for cluster-scoped) this accepts.
    Sections(&'a dyn Fn(&Index, Sym, Option<Sym>) -> bool),
}

/// Like [`load`], decoding from a sidecar only the part of the items named.
pub fn load_part(
    source: Source,
    s: &Session<'_>,
    capture: Option<CaptureFn<'_>>,
    part: Part<'_>,
) -> Result<Backup> {
    let scan = |source| {
        backup::read(source, s, LoadOptions::default(), capture, &mut |_| {})
            .map(|r| r.backup.unpack_part(part))
    };
    if s.options.no_index {
        return scan(source);
    }
    let Some(archive) = ArchiveRef::of(&source) else {
        return scan(source);
    };
    let side = archive.sidecar()?;
    match std::fs::metadata(&side) {
        Err(_) => return scan(source),
        // A FIFO there would hang the read; a device would never end it.
        Ok(m) if !m.is_file() => {
            return Err(Error::input(
                side.display(),
                "the index sidecar is not a regular file; remove it or pass --no-index",
            ));
        }
        Ok(_) => {}
    }
    let current = archive.fingerprint()?;
    let read = match part {
        Part::All => sidecar::read(&side, &current),
        Part::Sections(want) => sidecar::read_sections(&side, &current, want),
    };
    // A sidecar whose fingerprint matches while the content does not (an edit that kept size and
    // mtime, or a fingerprint copied onto another sidecar) is as stale as one that does not.
    let read = read.map_err(|e| e.to_string()).and_then(|(reach, index)| {
        match archive.content_differs(&reach.digest, Check::Sample) {
            Ok(None) => Ok((reach.access, index)),
            Ok(Some(why)) => Err(format!("{}: {why}", side.display())),
            Err(e) => Err(e.to_string()),
        }
    });
    match read {
        Ok((access, index)) => {
            s.observer.answered_from(&side.display().to_string());
            let captured = match capture {
                Some(want) => read_entries(&archive, &index, &access, want, s)?,
                None => Vec::new(),
            };
            Ok(Backup {
                named_as: source.tarball().display().to_string(),
                input_limit: s.options.max_entry_bytes,
                source,
                index,
                captured,
                access: Some(access),
            })
        }
        Err(e) => {
            s.observer.notice(&format!(
                "{e}; reading the archive and rebuilding the index"
            ));
            let (loaded, written) =
                build(&archive, current, source, s, DEFAULT_SPAN, &side, capture)?;
            if let Err(e) = written {
                s.observer
                    .notice(&format!("{}: not rebuilt: {e}", side.display()));
            }
            Ok(loaded.unpack_part(part))
        }
    }
}

/// Reads the bodies `want` asks for straight from the archive at their seek points, checking
/// each against the hash the index recorded.
fn read_entries(
    archive: &ArchiveRef,
    index: &Index,
    access: &Access,
    want: CaptureFn<'_>,
    s: &Session<'_>,
) -> Result<Vec<Captured>> {
    let Some(compression) = index.stats.compression else {
        return Ok(Vec::new());
    };
    let mut wanted = wanted_entries(index, want);
    read_grouped(archive, compression, access, &mut wanted, s)?;
    Ok(wanted.into_iter().map(|(c, _)| c).collect())
}

/// Like [`bodies`], handing each body to `visit` as it is read instead of keeping them all.
pub fn each_body(
    index: &Index,
    access: &Access,
    archive: &ArchiveRef,
    want: CaptureFn<'_>,
    s: &Session<'_>,
    visit: &mut dyn FnMut(Captured) -> Result<()>,
) -> Result<()> {
    let Some(compression) = index.stats.compression else {
        return Ok(());
    };
    let mut wanted = wanted_entries(index, want);
    read_grouped_each(
        archive,
        compression,
        access,
        &mut wanted,
        s,
        &mut |c, body| {
            visit(Captured {
                body,
                entry: std::mem::take(&mut c.entry),
                gr: std::mem::take(&mut c.gr),
                namespace: c.namespace.take(),
                name: std::mem::take(&mut c.name),
                version: c.version.take(),
            })
        },
    )
}

/// The entries `want` asks for, without their bodies.
fn wanted_entries(index: &Index, want: CaptureFn<'_>) -> Vec<(Captured, EntryRef)> {
    let mut wanted: Vec<(Captured, EntryRef)> = Vec::new();
    for item in &index.items {
        let gr = index.gr(item);
        let namespace = index.namespace(item);
        let unversioned = item.entry.map(|e| (VersionDir::Unversioned, e));
        let versions = item.versions.iter().map(|v| {
            let name = index.str(v.version);
            let dir = if v.preferred {
                VersionDir::Preferred(name)
            } else {
                VersionDir::Other(name)
            };
            (dir, v.entry)
        });
        let mut took_unversioned = false;
        for (version, entry) in unversioned.into_iter().chain(versions) {
            let path = ItemPath {
                gr,
                version,
                namespace,
                name: &item.name,
            };
            if !want(&path) {
                continue;
            }
            // A `-preferredversion` twin holds the same bytes as the unversioned copy already
            // read (a mismatch is an index warning): skip the second read.
            let twin = matches!(version, VersionDir::Preferred(_))
                && item.entry.is_some_and(|e| e.same_bytes(&entry));
            if took_unversioned && twin {
                continue;
            }
            took_unversioned |= version == VersionDir::Unversioned;
            let captured = Captured {
                body: Vec::new(),
                entry: path.to_string(),
                gr: gr.to_string(),
                namespace: namespace.map(str::to_string),
                name: item.name.to_string(),
                version: match version {
                    VersionDir::Unversioned => None,
                    VersionDir::Preferred(v) | VersionDir::Other(v) => Some(v.to_string()),
                },
            };
            wanted.push((captured, entry));
        }
    }
    wanted
}

/// The bodies of the items at `positions` (the unversioned copy, or the one under `version`),
/// read at their seek points without walking the other items; in `positions`' order, an item
/// with no such copy left out.
pub fn bodies_at(
    index: &Index,
    access: &Access,
    archive: &ArchiveRef,
    positions: &[usize],
    version: Option<&str>,
    s: &Session<'_>,
) -> Result<Vec<Captured>> {
    let Some(compression) = index.stats.compression else {
        return Ok(Vec::new());
    };
    let mut wanted: Vec<(Captured, EntryRef)> = Vec::with_capacity(positions.len());
    for &p in positions {
        let Some(item) = index.items.get(p) else {
            continue;
        };
        let copy = match version {
            None => item.entry.map(|e| (VersionDir::Unversioned, e)),
            Some(v) => item
                .versions
                .iter()
                .find(|x| index.str(x.version) == v)
                .map(|x| {
                    let dir = if x.preferred {
                        VersionDir::Preferred(v)
                    } else {
                        VersionDir::Other(v)
                    };
                    (dir, x.entry)
                }),
        };
        let Some((dir, entry)) = copy else { continue };
        let path = ItemPath {
            gr: index.gr(item),
            version: dir,
            namespace: index.namespace(item),
            name: &item.name,
        };
        let captured = Captured {
            body: Vec::new(),
            entry: path.to_string(),
            gr: path.gr.to_string(),
            namespace: path.namespace.map(str::to_string),
            name: item.name.to_string(),
            version: version.map(str::to_string),
        };
        wanted.push((captured, entry));
    }
    read_grouped(archive, compression, access, &mut wanted, s)?;
    Ok(wanted.into_iter().map(|(c, _)| c).collect())
}

/// Entries further apart than this in the tar stream are read from their own seek points.
const WINDOW_GAP: u64 = 1 << 20;
/// The most bytes of the tar stream one read covers for several entries.
const WINDOW_MAX: u64 = 16 << 20;

/// Fills in the bodies of `wanted`: neighbouring entries (a resource's items in one namespace
/// lie together in Velero's tarballs) are read in one window from one seek point, not each from
/// its own, and each is checked against its indexed hash.
fn read_grouped(
    archive: &ArchiveRef,
    compression: Compression,
    access: &Access,
    wanted: &mut [(Captured, EntryRef)],
    s: &Session<'_>,
) -> Result<()> {
    read_grouped_each(archive, compression, access, wanted, s, &mut |c, body| {
        c.body = body;
        Ok(())
    })
}

/// [`read_grouped`] handing each body to `deliver` with its entry as it is read (in archive
/// order), so that a caller that writes or prints them holds one window at a time.
fn read_grouped_each(
    archive: &ArchiveRef,
    compression: Compression,
    access: &Access,
    wanted: &mut [(Captured, EntryRef)],
    s: &Session<'_>,
    deliver: &mut dyn FnMut(&mut Captured, Vec<u8>) -> Result<()>,
) -> Result<()> {
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by_key(|&i| wanted[i].1.offset);
    let window_max = WINDOW_MAX.min(s.options.max_entry_bytes);
    let total = wanted.len() as u64;
    let mut rest = order.as_slice();
    while let Some(&first) = rest.first() {
        s.observer
            .work("reading items", total - rest.len() as u64, total);
        let start = wanted[first].1.offset;
        let mut end = start + wanted[first].1.size;
        let mut n = 1;
        while let Some(&next) = rest.get(n) {
            let e = &wanted[next].1;
            let next_end = e.offset.saturating_add(e.size).max(end);
            if e.offset > end.saturating_add(WINDOW_GAP) || next_end - start > window_max {
                break;
            }
            end = next_end;
            n += 1;
        }
        let (group, later) = rest.split_at(n);
        rest = later;
        if let [one] = group {
            let (c, entry) = &mut wanted[*one];
            let at = EntryAt {
                compression,
                access,
                entry,
                name: &c.entry,
            };
            let body = read_body(archive, &at, s)?;
            deliver(c, body)?;
            continue;
        }
        let span = EntryRef {
            hash: 0,
            size: end - start,
            offset: start,
        };
        let first_name = wanted[first].0.entry.clone();
        let at = EntryAt {
            compression,
            access,
            entry: &span,
            name: &first_name,
        };
        // Only the entries' own bytes are kept, not the window they are read from.
        let parts: Vec<Span> = group
            .iter()
            .map(|&i| Span {
                at: wanted[i].1.offset,
                len: usize::try_from(wanted[i].1.size).unwrap_or(usize::MAX),
            })
            .collect();
        let (bodies, read) = read_window(archive, &at, &parts, s)?;
        for (k, (&i, body)) in group.iter().zip(bodies).enumerate() {
            let (c, entry) = &mut wanted[i];
            let note = if k == 0 {
                format!("read {read} bytes")
            } else {
                format!("read 0 bytes (in the window of {first_name})")
            };
            s.observer
                .trace(&format!("{}: {note} of {}", c.entry, archive.name()));
            if xxhash_rust::xxh3::xxh3_64(&body) != entry.hash {
                return Err(Error::entry(
                    archive.name(),
                    &c.entry,
                    "bytes differ from the index (archive rewritten in place?); rerun with --no-index",
                ));
            }
            deliver(c, body)?;
        }
    }
    s.observer.work_finished();
    Ok(())
}

/// One entry to read at its seek point.
struct EntryAt<'a> {
    compression: Compression,
    access: &'a Access,
    entry: &'a EntryRef,
    name: &'a str,
}

fn read_body(archive: &ArchiveRef, at: &EntryAt<'_>, s: &Session<'_>) -> Result<Vec<u8>> {
    let whole = Span {
        at: at.entry.offset,
        len: usize::try_from(at.entry.size).unwrap_or(usize::MAX),
    };
    let (mut parts, read) = read_window(archive, at, &[whole], s)?;
    let body = parts.pop().unwrap_or_default();
    s.observer.trace(&format!(
        "{}: read {read} bytes of {}",
        at.name,
        archive.name()
    ));
    if xxhash_rust::xxh3::xxh3_64(&body) != at.entry.hash {
        return Err(Error::entry(
            archive.name(),
            at.name,
            "bytes differ from the index (archive rewritten in place?); rerun with --no-index",
        ));
    }
    Ok(body)
}

/// The `parts` (in offset order) of the `entry.size` bytes at `entry.offset` of the tar stream,
/// read from the seek point before them, and how many bytes of the file that took (the hashes
/// are not checked here).
fn read_window(
    archive: &ArchiveRef,
    at: &EntryAt<'_>,
    parts: &[Span],
    s: &Session<'_>,
) -> Result<(Vec<Vec<u8>>, u64)> {
    let size = archive.size()?;
    let (name, entry) = (at.name, at.entry);
    let max_entry_bytes = s.options.max_entry_bytes;
    // The same budget as a scan: a crafted sidecar must not make us allocate what it likes.
    if entry.size > max_entry_bytes {
        return Err(Error::entry(
            archive.name(),
            name,
            format!(
                "{} bytes is over the entry budget of {max_entry_bytes} (--max-entry-bytes)",
                entry.size
            ),
        ));
    }
    let read = |data: &[u8], base: u64| {
        veloscope_archive::read_spans(data, base, at.compression, at.access, parts)
    };
    let failed = |e: std::io::Error| {
        Error::entry(
            archive.name(),
            name,
            format!("{e} (reading at the index's seek point; try --no-index)"),
        )
    };
    // Reads a window of the file from `start`: a positioned read of a local file (never a map,
    // which would take SIGBUS if the file shrank), or a ranged GET of an object.
    let fetch = |start: u64, want: u64| -> std::io::Result<Vec<u8>> {
        match archive {
            ArchiveRef::Local(tarball) => {
                use std::os::unix::fs::FileExt;
                let file = std::fs::File::open(tarball)?;
                let mut buf = vec![0u8; usize::try_from(want).unwrap_or(usize::MAX)];
                let mut got = 0;
                while got < buf.len() {
                    match file.read_at(&mut buf[got..], start + got as u64)? {
                        0 => break,
                        n => got += n,
                    }
                }
                buf.truncate(got);
                Ok(buf)
            }
            ArchiveRef::Remote(r) => (r.read_range)(start, want),
        }
    };
    let (body, read) = match archive {
        // A local zstd archive is decoded as a stream from its frame, not read into memory.
        ArchiveRef::Local(tarball) if at.compression == Compression::Zstd => {
            let file = std::fs::File::open(tarball).in_file(archive.name())?;
            veloscope_archive::read_zstd_stream_spans(
                std::io::BufReader::new(file),
                at.access,
                parts,
            )
            .map_err(failed)?
        }
        _ => {
            // One read from the seek point, grown while the entry runs past its end.
            let start = veloscope_archive::first_byte(at.compression, at.access, entry.offset);
            // Up to the next seek point past the entry when there is one (a fraction of the
            // entry's decompressed size), else the entry's size and some: grown below if short.
            let end = entry.offset.saturating_add(entry.size);
            let mut want = veloscope_archive::last_byte(at.compression, at.access, end)
                .map(|last| last.saturating_sub(start).saturating_add(64))
                .unwrap_or_else(|| entry.size.saturating_add(256 << 10));
            loop {
                let bytes =
                    fetch(start, want).map_err(|e| Error::entry(archive.name(), name, e))?;
                let end = start + bytes.len() as u64;
                match read(&bytes, start) {
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && end < size => {
                        if (bytes.len() as u64) < want {
                            // The file ends before the size it had when the index was checked.
                            return Err(Error::input(
                                archive.name(),
                                "the archive changed while it was read",
                            ));
                        }
                        want = want.saturating_mul(4);
                    }
                    done => break done.map_err(failed)?,
                }
            }
        }
    };
    Ok((body, read))
}

/// The namespaces a selection by these filter flags can include, when they are named without a
/// `*` (None: every namespace is in scope). One set per pattern, each tried by exact name and as a
/// glob, so the scope is a superset of what any of Velero's matching rules select; selection only
/// ever includes namespaced items of included namespaces, so a sidecar need decode only these
/// namespaces and the cluster scope.
pub struct NamespaceScope(Vec<veloscope_select::GlobSet>);

impl NamespaceScope {
    pub fn of(f: &crate::BackupFilters) -> Option<NamespaceScope> {
        NamespaceScope::of_included(&f.include_namespaces)
    }

    /// The scope of an included-namespaces list (a Backup's or a Restore's).
    pub fn of_included(included: &[String]) -> Option<NamespaceScope> {
        let all = included.is_empty() || included.iter().any(|n| n == "*");
        (!all).then(|| {
            NamespaceScope(
                included
                    .iter()
                    .map(|n| veloscope_select::GlobSet::new([n.as_str()]))
                    .collect(),
            )
        })
    }

    pub fn accepts(&self, idx: &Index, _gr: Sym, ns: Option<Sym>) -> bool {
        ns.is_none_or(|ns| {
            let ns = idx.str(ns);
            self.0.iter().any(|s| s.has(ns) || s.matches(ns))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sidecar that claims the archive, content digest included, but lists other items than
    /// a read finds (one written by another release, say) is reported with how many differ,
    /// compared section by section.
    #[test]
    fn a_sidecar_listing_other_items_is_counted_item_by_item() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/bsl/backups/sonobuoy-k8s114/sonobuoy-k8s114.tar.gz");
        let dir = tempfile::tempdir().expect("tempdir");
        let tarball = dir.path().join("b.tar.gz");
        std::fs::copy(&fixture, &tarball).expect("copied");
        let s = Session::new(Default::default(), &crate::Quiet);
        index(&tarball, None, 1 << 20, &s).expect("indexed");
        let source = backup::open(&tarball).expect("opens");
        let reading = Session::new(
            crate::Options {
                no_index: true,
                ..Default::default()
            },
            &crate::Quiet,
        );
        let mut scanned = load(source.clone(), &reading, None).expect("read").index;
        let count = scanned.items.len();
        assert!(count > 100, "{count}");
        assert_eq!(disagreement(&source, &scanned), None);
        scanned.items[count / 2].name = "renamed".into();
        let one = disagreement(&source, &scanned).expect("a finding");
        assert!(
            one.contains(&format!(
                "lists {count} items and the archive holds {count}; 1 differ"
            )),
            "{one}"
        );
        // One item fewer: every later item is compared with its successor, and the extra one
        // counts too, as a pairwise comparison of the two lists would have it.
        scanned.items.remove(0);
        let shifted = disagreement(&source, &scanned).expect("a finding");
        let holds = count - 1;
        assert!(
            shifted.contains(&format!(
                "lists {count} items and the archive holds {holds}"
            )),
            "{shifted}"
        );
        assert!(!shifted.contains("; 1 differ"), "{shifted}");
    }
}
