//! The persisted index (`NAME.tar.gz.vsidx`): the [`Index`] and the archive's [`Access`] data,
//! tied to one archive file by a fingerprint so a changed archive is never answered from an old
//! index.
//!
//! Layout (little-endian): magic `VSCIDX\r\n` · format version u32 · fingerprint (size u64,
//! mtime seconds i64, mtime nanoseconds u32, xxh3 of the first and of the last 64 KiB, u64 each) ·
//! payload length u64 · xxh3 of the payload u64 · payload (postcard of the access data and index).

use crate::Index;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use veloscope_archive::Access;

const MAGIC: &[u8; 8] = b"VSCIDX\r\n";
/// Bumped whenever the payload's shape changes; older files are rejected and rebuilt.
pub const FORMAT_VERSION: u32 = 1;
const SAMPLE: u64 = 64 << 10;
const HEADER: usize = 8 + 4 + 36 + 8 + 8;

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

#[derive(Serialize)]
struct PayloadRef<'a> {
    access: &'a Access,
    index: &'a Index,
}

#[derive(Deserialize)]
struct Payload {
    access: Access,
    index: Index,
}

/// Writes the sidecar atomically (a temporary file renamed into place); returns its size. The
/// payload is streamed to the file (hashed on the way) and the header completed afterwards, so the
/// encoded index is never held in memory.
pub fn write(
    path: &Path,
    fingerprint: &Fingerprint,
    access: &Access,
    index: &Index,
) -> Result<u64, SidecarError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = write_to(&tmp, fingerprint, access, index)
        .and_then(|size| std::fs::rename(&tmp, path).map(|()| size));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        match e.downcast::<postcard::Error>() {
            Ok(e) => SidecarError::Damaged {
                path: path.to_path_buf(),
                why: format!("cannot encode: {e}"),
            },
            Err(source) => SidecarError::Io {
                path: path.to_path_buf(),
                source,
            },
        }
    })
}

fn write_to(
    tmp: &Path,
    fingerprint: &Fingerprint,
    access: &Access,
    index: &Index,
) -> std::io::Result<u64> {
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    fingerprint.encode(&mut header);
    header.resize(HEADER, 0);
    let mut file = std::io::BufWriter::with_capacity(1 << 20, File::create(tmp)?);
    file.write_all(&header)?;
    let hashing = Hashing {
        inner: file,
        hasher: xxhash_rust::xxh3::Xxh3Default::new(),
        len: 0,
    };
    let hashing =
        postcard::to_io(&PayloadRef { access, index }, hashing).map_err(std::io::Error::other)?;
    let (len, sum) = (hashing.len, hashing.hasher.digest());
    let mut file = hashing.inner.into_inner().map_err(|e| e.into_error())?;
    file.seek(SeekFrom::Start(48))?;
    file.write_all(&len.to_le_bytes())?;
    file.write_all(&sum.to_le_bytes())?;
    file.sync_all()?;
    Ok(HEADER as u64 + len)
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

/// Reads a sidecar, checking it against the archive's current fingerprint.
pub fn read(path: &Path, current: &Fingerprint) -> Result<(Access, Index), SidecarError> {
    let damaged = |why: String| SidecarError::Damaged {
        path: path.to_path_buf(),
        why,
    };
    let file = File::open(path).map_err(|source| SidecarError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // SAFETY: read-only map of our own cache file; a concurrent rewrite replaces it by rename.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|source| SidecarError::Io {
        path: path.to_path_buf(),
        source,
    })?;
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
    let len = u64::from_le_bytes(map[48..56].try_into().unwrap_or_default());
    let sum = u64::from_le_bytes(map[56..64].try_into().unwrap_or_default());
    let payload = &map[HEADER..];
    if payload.len() as u64 != len {
        return Err(damaged(format!(
            "payload is {} bytes, the header says {len}",
            payload.len()
        )));
    }
    if xxhash_rust::xxh3::xxh3_64(payload) != sum {
        return Err(damaged("checksum mismatch".into()));
    }
    let p: Payload =
        postcard::from_bytes(payload).map_err(|e| damaged(format!("cannot decode: {e}")))?;
    Ok((p.access, p.index))
}
