//! The persisted index (`NAME.tar.gz.vsidx`): the [`Index`] and the archive's [`Access`] data,
//! tied to one archive file by a fingerprint so a changed archive is never answered from an old
//! index.
//!
//! Layout (little-endian): magic `VSCIDX\r\n` · format version u32 · fingerprint (size u64,
//! mtime seconds i64, mtime nanoseconds u32, xxh3 of the first and of the last 64 KiB, u64 each) ·
//! head offset, head length, head xxh3 and payload length (u64 each) · payload. The payload is the
//! items, one postcard section per (group-resource, namespace) in key order, then the head: access
//! data, strings, counts, warnings, and a table of the sections with their own xxh3. A reader that
//! needs one resource (`show`) decodes the head and that resource's sections only.

use crate::{Index, InvalidItem, NamespaceStats, PackedIndex, ResourceStats, Sym};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use veloscope_archive::Access;
use veloscope_archive::{ScanStats, ScanWarning};
use veloscope_model::ResourceInfo;

const MAGIC: &[u8; 8] = b"VSCIDX\r\n";
/// Bumped whenever the payload's shape changes; older files are rejected and rebuilt.
pub const FORMAT_VERSION: u32 = 8;
const SAMPLE: u64 = 64 << 10;
const HEADER: usize = 8 + 4 + 36 + 4 * 8;

/// What identifies the archive file an index was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub size: u64,
    pub mtime_secs: i64,
    pub mtime_nanos: u32,
    pub head: u64,
    pub tail: u64,
}

impl Fingerprint {
    pub fn of_file(path: &Path) -> std::io::Result<Fingerprint> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        let size = meta.len();
        let (mtime_secs, mtime_nanos) = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or((0, 0), |d| (d.as_secs() as i64, d.subsec_nanos()));
        let mut buf = vec![0u8; SAMPLE.min(size) as usize];
        file.read_exact(&mut buf)?;
        let head = xxhash_rust::xxh3::xxh3_64(&buf);
        file.seek(SeekFrom::Start(size - buf.len() as u64))?;
        file.read_exact(&mut buf)?;
        let tail = xxhash_rust::xxh3::xxh3_64(&buf);
        Ok(Fingerprint {
            size,
            mtime_secs,
            mtime_nanos,
            head,
            tail,
        })
    }

    /// An object in a store: its size and modification time, the hash of its ETag (a new
    /// version has a new one) and of its URL (so a cached sidecar answers for that object only).
    pub fn of_object(
        url: &str,
        size: u64,
        modified: (i64, u32),
        etag: Option<&str>,
    ) -> Fingerprint {
        Fingerprint {
            size,
            mtime_secs: modified.0,
            mtime_nanos: modified.1,
            head: xxhash_rust::xxh3::xxh3_64(etag.unwrap_or("").as_bytes()),
            tail: xxhash_rust::xxh3::xxh3_64(url.as_bytes()),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.mtime_secs.to_le_bytes());
        out.extend_from_slice(&self.mtime_nanos.to_le_bytes());
        out.extend_from_slice(&self.head.to_le_bytes());
        out.extend_from_slice(&self.tail.to_le_bytes());
    }

    fn decode(b: &[u8; 36]) -> Fingerprint {
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
        Fingerprint {
            size: u64_at(0),
            mtime_secs: u64_at(8) as i64,
            mtime_nanos: u32::from_le_bytes(b[16..20].try_into().unwrap_or_default()),
            head: u64_at(20),
            tail: u64_at(28),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SidecarError {
    #[error("{path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a veloscope index", path = path.display())]
    NotASidecar { path: PathBuf },
    #[error("{path}: index format {found}, this veloscope reads format {FORMAT_VERSION}", path = path.display())]
    Version { path: PathBuf, found: u32 },
    #[error("{path}: stale: the archive changed since the index was built", path = path.display())]
    Stale { path: PathBuf },
    #[error("{path}: damaged: {why}", path = path.display())]
    Damaged { path: PathBuf, why: String },
}

/// The beside-the-archive sidecar path: `NAME.tar.gz` → `NAME.tar.gz.vsidx`.
pub fn path_for(tarball: &Path) -> PathBuf {
    let mut p = tarball.as_os_str().to_owned();
    p.push(".vsidx");
    PathBuf::from(p)
}

/// One section of items: the items of one (group-resource, namespace), in key order.
#[derive(Debug, Serialize, Deserialize)]
struct Section {
    gr: Sym,
    namespace: Option<Sym>,
    count: u64,
    offset: u64,
    len: u64,
    sum: u64,
}

#[derive(Serialize)]
struct HeadRef<'a> {
    access: &'a Access,
    digest: &'a [u64],
    strings: &'a crate::Interner,
    resources: &'a [ResourceStats],
    namespaces: &'a [NamespaceStats],
    cluster_scoped_items: u64,
    stats: &'a ScanStats,
    warnings: &'a [ScanWarning],
    invalid: &'a [InvalidItem],
    crds: &'a [ResourceInfo],
    kinds: Vec<(Sym, Vec<Sym>)>,
    sections: Vec<Section>,
}

#[derive(Serialize, Deserialize)]
struct Head {
    access: Access,
    digest: Vec<u64>,
    strings: crate::Interner,
    resources: Vec<ResourceStats>,
    namespaces: Vec<NamespaceStats>,
    cluster_scoped_items: u64,
    stats: ScanStats,
    warnings: Vec<ScanWarning>,
    invalid: Vec<InvalidItem>,
    crds: Vec<ResourceInfo>,
    kinds: Vec<(Sym, Vec<Sym>)>,
    sections: Vec<Section>,
}

/// Writes the sidecar atomically (a temporary file renamed into place); returns its size. The
/// payload is streamed to the file (hashed on the way) and the header completed afterwards, so
/// the encoded index is never held in memory.
pub fn write(
    path: &Path,
    fingerprint: &Fingerprint,
    access: &Access,
    digest: &[u64],
    index: &PackedIndex,
) -> Result<u64, SidecarError> {
    crate::atomic::write_with(path, 0o644, |file| {
        write_to(file, fingerprint, access, digest, index)
    })
    .map_err(|source| SidecarError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes item sections one after another, recording where each lies, its checksum, and the
/// kinds of its resource.
pub struct SectionWriter<'a, 'b> {
    file: &'a mut std::io::BufWriter<&'b mut File>,
    offset: u64,
    sections: Vec<Section>,
    kinds: std::collections::BTreeMap<Sym, std::collections::BTreeSet<Sym>>,
}

impl SectionWriter<'_, '_> {
    fn section(
        &mut self,
        gr: Sym,
        namespace: Option<Sym>,
        count: usize,
        kinds: impl Iterator<Item = Sym>,
        encode: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut hashing = Hashing {
            inner: &mut *self.file,
            hasher: xxhash_rust::xxh3::Xxh3Default::new(),
            len: 0,
        };
        encode(&mut hashing)?;
        self.sections.push(Section {
            gr,
            namespace,
            count: count as u64,
            offset: self.offset,
            len: hashing.len,
            sum: hashing.hasher.digest(),
        });
        self.offset += hashing.len;
        self.kinds.entry(gr).or_default().extend(kinds);
        Ok(())
    }
}

/// Encodes `value` through `out`, returning (bytes written, their xxh3).
fn section<W: Write, T: Serialize + ?Sized>(out: &mut W, value: &T) -> std::io::Result<(u64, u64)> {
    let mut hashing = Hashing {
        inner: out,
        hasher: xxhash_rust::xxh3::Xxh3Default::new(),
        len: 0,
    };
    encode_to(value, &mut hashing)?;
    Ok((hashing.len, hashing.hasher.digest()))
}

/// postcard writes byte by byte; this hands `out` blocks instead. postcard reports any failed
/// write as "the serialize buffer is full": the write's own error (`No space left on device`)
/// is kept and returned instead.
fn encode_to<T: Serialize + ?Sized>(value: &T, out: &mut dyn Write) -> std::io::Result<()> {
    let mut kept = KeepError {
        inner: out,
        error: None,
    };
    let written = postcard::to_io(
        value,
        std::io::BufWriter::with_capacity(64 << 10, &mut kept),
    )
    .map_err(|e| std::io::Error::other(format!("cannot encode the index: {e}")))
    .and_then(|mut w| w.flush());
    match (written, kept.error.take()) {
        (Err(_), Some(io)) => Err(io),
        (result, _) => result,
    }
}

/// A writer that remembers the error of its last failed write.
struct KeepError<'a> {
    inner: &'a mut dyn Write,
    error: Option<std::io::Error>,
}

impl Write for KeepError<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| {
            self.error = Some(std::io::Error::new(e.kind(), e.to_string()));
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|e| {
            self.error = Some(std::io::Error::new(e.kind(), e.to_string()));
        })
    }
}

fn write_to(
    tmp: &mut File,
    fingerprint: &Fingerprint,
    access: &Access,
    digest: &[u64],
    packed: &PackedIndex,
) -> std::io::Result<u64> {
    let index = &packed.summary;
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    fingerprint.encode(&mut header);
    header.resize(HEADER, 0);
    let mut file = std::io::BufWriter::with_capacity(1 << 20, tmp);
    file.write_all(&header)?;
    let mut w = SectionWriter {
        file: &mut file,
        offset: 0,
        sections: Vec::new(),
        kinds: Default::default(),
    };
    for group in packed.sections() {
        let kinds = group.iter().filter_map(|&at| packed.slot(at).kind());
        let first = packed.slot(group[0]);
        w.section(first.gr(), first.namespace(), group.len(), kinds, |out| {
            packed.write_section(group, out)
        })?;
    }
    let SectionWriter {
        offset,
        sections,
        kinds,
        ..
    } = w;
    let head = HeadRef {
        access,
        digest,
        strings: &index.strings,
        resources: &index.resources,
        namespaces: &index.namespaces,
        cluster_scoped_items: index.cluster_scoped_items,
        stats: &index.stats,
        warnings: &index.warnings,
        invalid: &index.invalid,
        crds: &index.crds,
        kinds: kinds
            .into_iter()
            .map(|(gr, k)| {
                let mut k: Vec<Sym> = k.into_iter().collect();
                k.sort_by_key(|&s| index.str(s));
                (gr, k)
            })
            .collect(),
        sections,
    };
    let (head_len, head_sum) = section(&mut file, &head)?;
    let file = file.into_inner().map_err(|e| e.into_error())?;
    file.seek(SeekFrom::Start(48))?;
    for field in [offset, head_len, head_sum, offset + head_len] {
        file.write_all(&field.to_le_bytes())?;
    }
    file.sync_all()?;
    Ok(HEADER as u64 + offset + head_len)
}

/// Decodes an encoded section's items onto the end of `items`.
pub(crate) fn decode_items(
    bytes: &[u8],
    items: &mut Vec<crate::Item>,
) -> Result<(), postcard::Error> {
    let mut de = postcard::Deserializer::from_bytes(bytes);
    serde::de::DeserializeSeed::deserialize(AppendTo(items), &mut de)
}

/// Decodes a sequence of items onto the end of a vector.
struct AppendTo<'a>(&'a mut Vec<crate::Item>);

impl<'de> serde::de::DeserializeSeed<'de> for AppendTo<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for AppendTo<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a sequence of items")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element()? {
            self.0.push(item);
        }
        Ok(())
    }
}

/// A writer that hashes and counts what passes through.
struct Hashing<W> {
    inner: W,
    hasher: xxhash_rust::xxh3::Xxh3Default,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// What a sidecar holds besides the index: how to reach entries, and the archive's content
/// digest (a hash per block; empty for an object in a store, which its ETag binds).
pub struct Reach {
    pub access: Access,
    pub digest: Vec<u64>,
}

/// Reads a whole sidecar, checking it against the archive's current fingerprint.
pub fn read(path: &Path, current: &Fingerprint) -> Result<(Reach, Index), SidecarError> {
    read_sections(path, current, |_, _, _| true)
}

/// Reads the head of a sidecar and the item sections `want` accepts, by (group-resource,
/// namespace); it sees the head-only index to resolve names.
pub fn read_sections(
    path: &Path,
    current: &Fingerprint,
    want: impl FnMut(&Index, Sym, Option<Sym>) -> bool,
) -> Result<(Reach, Index), SidecarError> {
    read_with(path, current, want, None)
}

/// Reads the head of a sidecar, then hands every item section to `visit` in turn, decoded, in
/// the index's order: a caller that compares or counts the items holds one section at a time,
/// never the whole decoded index. The index returned is the head's (its `items` empty).
pub fn visit_sections(
    path: &Path,
    current: &Fingerprint,
    visit: &mut SectionVisitor<'_>,
) -> Result<(Reach, Index), SidecarError> {
    read_with(path, current, |_, _, _| true, Some(visit))
}

/// What [`visit_sections`] hands each section to: the head-only index (to resolve names) and the
/// section's items.
pub type SectionVisitor<'a> = dyn FnMut(&Index, &[crate::Item]) + 'a;

/// [`read_sections`], or with `visit`, [`visit_sections`].
fn read_with(
    path: &Path,
    current: &Fingerprint,
    mut want: impl FnMut(&Index, Sym, Option<Sym>) -> bool,
    mut visit: Option<&mut SectionVisitor<'_>>,
) -> Result<(Reach, Index), SidecarError> {
    let damaged = |why: String| SidecarError::Damaged {
        path: path.to_path_buf(),
        why,
    };
    let file = File::open(path).map_err(|source| SidecarError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // Positioned reads, not a map: a sidecar cut short under us is an error, not SIGBUS.
    let io = |source| SidecarError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file_len = file.metadata().map_err(io)?.len();
    let read_at = |at: u64, len: u64| -> Result<Vec<u8>, SidecarError> {
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
        file.read_exact_at(&mut buf, at).map_err(io)?;
        Ok(buf)
    };
    let map = read_at(0, (HEADER as u64).min(file_len))?;
    if map.len() < HEADER || &map[..8] != MAGIC {
        return Err(SidecarError::NotASidecar {
            path: path.to_path_buf(),
        });
    }
    let version = u32::from_le_bytes([map[8], map[9], map[10], map[11]]);
    if version != FORMAT_VERSION {
        return Err(SidecarError::Version {
            path: path.to_path_buf(),
            found: version,
        });
    }
    let mut fp = [0u8; 36];
    fp.copy_from_slice(&map[12..48]);
    if Fingerprint::decode(&fp) != *current {
        return Err(SidecarError::Stale {
            path: path.to_path_buf(),
        });
    }
    let field =
        |i: usize| u64::from_le_bytes(map[48 + 8 * i..56 + 8 * i].try_into().unwrap_or_default());
    let (head_at, head_len, head_sum, total) = (field(0), field(1), field(2), field(3));
    let payload_len = file_len - HEADER as u64;
    if payload_len != total {
        return Err(damaged(format!(
            "payload is {payload_len} bytes, the header says {total}"
        )));
    }
    let slice = |at: u64, len: u64, sum: u64, what: &str| -> Result<Vec<u8>, SidecarError> {
        at.checked_add(len)
            .filter(|&end| end <= total)
            .ok_or_else(|| damaged(format!("{what} lies outside the file")))?;
        let bytes = read_at(HEADER as u64 + at, len)?;
        if xxhash_rust::xxh3::xxh3_64(&bytes) != sum {
            return Err(damaged(format!("checksum mismatch in the {what}")));
        }
        Ok(bytes)
    };
    let head: Head = postcard::from_bytes(&slice(head_at, head_len, head_sum, "head")?)
        .map_err(|e| damaged(format!("cannot decode the head: {e}")))?;
    let mut index = Index {
        strings: head.strings,
        items: Vec::new(),
        resources: head.resources,
        namespaces: head.namespaces,
        cluster_scoped_items: head.cluster_scoped_items,
        stats: head.stats,
        warnings: head.warnings,
        invalid: head.invalid,
        crds: head.crds,
        kinds: Some(head.kinds),
        omitted: Vec::new(),
    };
    let wanted: Vec<&Section> = head
        .sections
        .iter()
        .filter(|s| {
            let keep = want(&index, s.gr, s.namespace);
            if !keep {
                index.omitted.push((s.gr, s.namespace, s.count));
            }
            keep
        })
        .collect();
    // Sized once from the head (bounded by the payload, at least a few bytes an item, against a
    // crafted count), and filled in place: appending section vectors would hold the items twice,
    // and fresh memory costs more here than decoding does.
    let count: u64 = match visit {
        None => wanted.iter().map(|s| s.count).sum(),
        Some(_) => wanted.iter().map(|s| s.count).max().unwrap_or(0),
    };
    let mut items = Vec::with_capacity(count.min(total / 4) as usize);
    for s in wanted {
        let bytes = slice(s.offset, s.len, s.sum, "item table")?;
        let before = items.len();
        decode_items(&bytes, &mut items)
            .map_err(|e| damaged(format!("cannot decode items: {e}")))?;
        if items[before..]
            .iter()
            .any(|i| i.gr != s.gr || i.namespace != s.namespace)
        {
            return Err(damaged("items filed under the wrong section".into()));
        }
        if let Some(visit) = visit.as_mut() {
            visit(&index, &items);
            items.clear();
        }
    }
    index.items = items;
    let reach = Reach {
        access: head.access,
        digest: head.digest,
    };
    Ok((reach, index))
}

/// For the fuzz target: makes arbitrary bytes pass the cheap gates of [`read`] (magic, version,
/// payload length and every checksum), so that fuzzing reaches the decoders behind them, where
/// a crafted count or offset would do harm.
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// Seals `bytes` as a sidecar of the fingerprint its header claims, which it returns.
    pub fn seal(bytes: &mut Vec<u8>) -> Fingerprint {
        if bytes.len() < HEADER {
            bytes.resize(HEADER, 0);
        }
        bytes[..8].copy_from_slice(MAGIC);
        bytes[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        let field = |b: &[u8], i: usize| {
            u64::from_le_bytes(b[48 + 8 * i..56 + 8 * i].try_into().unwrap_or_default())
        };
        let (head_at, head_len) = (field(bytes, 0), field(bytes, 1));
        let payload = &bytes[HEADER..];
        let range = |at: u64, len: u64| {
            let end = at.checked_add(len)?;
            (end <= payload.len() as u64).then_some(at as usize..end as usize)
        };
        if let Some(r) = range(head_at, head_len) {
            // Re-seal the sections the head points at, and append the head sealed so.
            if let Ok(mut head) = postcard::from_bytes::<Head>(&payload[r]) {
                for s in &mut head.sections {
                    if let Some(r) = range(s.offset, s.len) {
                        s.sum = xxhash_rust::xxh3::xxh3_64(&payload[r]);
                    }
                }
                if let Ok(encoded) = postcard::to_allocvec(&head) {
                    let at = (bytes.len() - HEADER) as u64;
                    bytes.extend_from_slice(&encoded);
                    bytes[48..56].copy_from_slice(&at.to_le_bytes());
                    bytes[56..64].copy_from_slice(&(encoded.len() as u64).to_le_bytes());
                }
            }
        }
        let (head_at, head_len) = (field(bytes, 0), field(bytes, 1));
        let total = (bytes.len() - HEADER) as u64;
        bytes[72..80].copy_from_slice(&total.to_le_bytes());
        let end = head_at.checked_add(head_len).filter(|&e| e <= total);
        if let Some(end) = end {
            let sum = xxhash_rust::xxh3::xxh3_64(
                &bytes[HEADER + head_at as usize..HEADER + end as usize],
            );
            bytes[64..72].copy_from_slice(&sum.to_le_bytes());
        }
        let mut fp = [0u8; 36];
        fp.copy_from_slice(&bytes[12..48]);
        Fingerprint::decode(&fp)
    }
}

#[cfg(test)]
mod encode_tests {
    /// A full disk says so, not "the serialize buffer is full".
    #[test]
    fn a_failed_write_keeps_its_own_error() {
        struct Full;
        impl std::io::Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::from_raw_os_error(28))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let big: Vec<u64> = (0..100_000).collect();
        let err = super::encode_to(&big, &mut Full).unwrap_err().to_string();
        assert!(err.contains("No space left on device"), "{err}");
    }
}
