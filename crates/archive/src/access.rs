//! Reading one entry's bytes without inflating the archive from its start: a plain tar is read at
//! the entry's offset; gzip restarts at the nearest seek point (see [`crate::zran`]); zstd at the
//! frame that holds the entry, when the file has several frames with known sizes. Velero writes one
//! zstd frame, so for its archives a read starts at the beginning: there is nowhere else to start.

use crate::compression::Compression;
use crate::zran::{self, SeekPoint};
use serde::{Deserialize, Serialize};
use std::io::{self, Read};

/// How to reach a decompressed offset in one archive file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    /// An uncompressed tar: decompressed offsets are file offsets.
    Direct,
    Gzip(Vec<SeekPoint>),
    /// zstd frame starts as (decompressed offset, file offset); one entry per frame.
    ZstdFrames(Vec<(u64, u64)>),
}

impl Access {
    /// How many places a read may start from besides the beginning of the file.
    pub fn seek_points(&self) -> usize {
        match self {
            Access::Direct => 0,
            Access::Gzip(points) => points.len(),
            Access::ZstdFrames(frames) => frames.len().saturating_sub(1),
        }
    }
}

/// The frame starts of a zstd file, when every frame states its decompressed size; one frame
/// (Velero's case) or a frame without a size gives only the start of the file.
pub fn zstd_frames(data: &[u8]) -> Vec<(u64, u64)> {
    use zstd::zstd_safe;
    let mut frames = Vec::new();
    let (mut pos, mut out) = (0usize, 0u64);
    while pos < data.len() {
        let rest = &data[pos..];
        let (Ok(len), Ok(Some(size))) = (
            zstd_safe::find_frame_compressed_size(rest),
            zstd_safe::get_frame_content_size(rest),
        ) else {
            return vec![(0, 0)];
        };
        frames.push((out, pos as u64));
        pos += len;
        out += size;
    }
    if frames.is_empty() {
        frames.push((0, 0));
    }
    frames
}

/// Reads `len` bytes at decompressed offset `at`; also returns how many bytes of the file were
/// read to get them.
pub fn read_range(
    data: &[u8],
    base: u64,
    compression: Compression,
    access: &Access,
    at: u64,
    len: usize,
) -> io::Result<(Vec<u8>, u64)> {
    if base > first_byte(compression, access, at) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the bytes read start after the entry's seek point",
        ));
    }
    match (compression, access) {
        (Compression::None, _) | (_, Access::Direct) => {
            let start = usize::try_from(at - base).unwrap_or(usize::MAX);
            let body = start
                .checked_add(len)
                .and_then(|end| data.get(start..end))
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "entry beyond the end of the archive",
                    )
                })?;
            Ok((body.to_vec(), len as u64))
        }
        (Compression::Gzip, Access::Gzip(points)) => zran::read_at(data, base, points, at, len),
        (Compression::Gzip, _) => zran::read_at(data, base, &[], at, len),
        (Compression::Zstd, access) => {
            let frames = match access {
                Access::ZstdFrames(f) => f.as_slice(),
                _ => &[],
            };
            let (out, inp) = frame_for(frames, at);
            let from = data
                .get(usize::try_from(inp - base).unwrap_or(usize::MAX)..)
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        "frame offset beyond the end of the archive",
                    )
                })?;
            let counted = Counted {
                inner: from,
                read: 0,
            };
            let mut dec = zstd::stream::read::Decoder::with_buffer(counted)?;
            let skip = at.checked_sub(out).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidData, "frame table out of order")
            })?;
            io::copy(&mut (&mut dec).take(skip), &mut io::sink())?;
            let mut body = Vec::with_capacity(len);
            (&mut dec).take(len as u64).read_to_end(&mut body)?;
            if body.len() < len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "zstd stream ends before the entry",
                ));
            }
            let read = dec.finish().read;
            Ok((body, read))
        }
    }
}

/// Reads `len` bytes at decompressed offset `at` of a zstd archive from a reader positioned at
/// the start of the file: a single-frame archive (Velero's) has no other place to start, and a
/// stream never holds the compressed bytes in memory.
pub fn read_zstd_stream(
    mut file: impl io::BufRead + io::Seek,
    access: &Access,
    at: u64,
    len: usize,
) -> io::Result<(Vec<u8>, u64)> {
    let frames = match access {
        Access::ZstdFrames(f) => f.as_slice(),
        _ => &[],
    };
    let (out, inp) = frame_for(frames, at);
    file.seek(io::SeekFrom::Start(inp))?;
    let counted = CountedStream {
        inner: file,
        read: 0,
    };
    let mut dec = zstd::stream::read::Decoder::with_buffer(counted)?;
    let skip = at
        .checked_sub(out)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "frame table out of order"))?;
    io::copy(&mut (&mut dec).take(skip), &mut io::sink())?;
    let mut body = Vec::with_capacity(len);
    (&mut dec).take(len as u64).read_to_end(&mut body)?;
    if body.len() < len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "zstd stream ends before the entry",
        ));
    }
    Ok((body, dec.finish().read))
}

/// A buffered reader that counts the bytes taken from it.
struct CountedStream<R> {
    inner: R,
    read: u64,
}

impl<R: io::BufRead> Read for CountedStream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: io::BufRead> io::BufRead for CountedStream<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.read += amt as u64;
    }
}

/// The zstd frame (decompressed offset, compressed offset) a read at `at` starts from.
fn frame_for(frames: &[(u64, u64)], at: u64) -> (u64, u64) {
    frames
        .get(frames.partition_point(|f| f.0 <= at).wrapping_sub(1))
        .copied()
        .unwrap_or((0, 0))
}

/// The first byte of the compressed file that a read of the entry at decompressed offset `at`
/// needs: what a ranged read of a remote archive starts from.
pub fn first_byte(compression: Compression, access: &Access, at: u64) -> u64 {
    match (compression, access) {
        (Compression::None, _) | (_, Access::Direct) => at,
        (Compression::Gzip, Access::Gzip(points)) => zran::first_byte(zran::point_for(points, at)),
        (Compression::Gzip, _) => 0,
        (Compression::Zstd, Access::ZstdFrames(frames)) => frame_for(frames, at).1,
        (Compression::Zstd, _) => 0,
    }
}

/// A byte slice reader that counts what was taken from it.
struct Counted<'a> {
    inner: &'a [u8],
    read: u64,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl io::BufRead for Counted<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(self.inner)
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.inner.len());
        self.inner = &self.inner[amt..];
        self.read += amt as u64;
    }
}

/// Bytes per block of an archive's content digest.
pub const DIGEST_BLOCK: u64 = 1 << 20;

/// The xxh3 of every [`DIGEST_BLOCK`] of a file: what binds a sidecar to the archive's content
/// (a size, an mtime and the first and last 64 KiB are easy to keep while the middle changes).
pub fn block_digest(path: &std::path::Path) -> io::Result<Vec<u64>> {
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; DIGEST_BLOCK as usize];
    let mut out = Vec::new();
    loop {
        let n = read_full(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        out.push(xxhash_rust::xxh3::xxh3_64(&buf[..n]));
        if n < buf.len() {
            break;
        }
    }
    Ok(out)
}

/// Checks blocks `which` of a file against `digest`; the index of the first that differs.
pub fn check_blocks(
    path: &std::path::Path,
    digest: &[u64],
    which: impl Iterator<Item = usize>,
) -> io::Result<Option<usize>> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; DIGEST_BLOCK as usize];
    for i in which {
        let Some(&want) = digest.get(i) else { continue };
        let mut got = 0;
        while got < buf.len() {
            match file.read_at(&mut buf[got..], i as u64 * DIGEST_BLOCK + got as u64)? {
                0 => break,
                n => got += n,
            }
        }
        if xxhash_rust::xxh3::xxh3_64(&buf[..got]) != want {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// Maps a file read-only (archives and sidecars are read through maps; nothing writes through one).
pub fn map_readonly(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: a read-only map; the caller checks the file's fingerprint around its reads.
    unsafe { memmap2::Mmap::map(file) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zstd_reads_start_at_the_frame_holding_the_offset() {
        let a: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let b: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 241).to_le_bytes())
            .collect();
        let fa = zstd::bulk::compress(&a, 3).unwrap();
        let fb = zstd::bulk::compress(&b, 3).unwrap();
        let file = [fa.clone(), fb.clone()].concat();
        let frames = zstd_frames(&file);
        assert_eq!(frames, vec![(0, 0), (a.len() as u64, fa.len() as u64)]);
        let access = Access::ZstdFrames(frames);
        let at = a.len() as u64 + 1000;
        let (got, read) = read_range(&file, 0, Compression::Zstd, &access, at, 64).unwrap();
        assert_eq!(got, &b[1000..1064]);
        assert!(
            read <= fb.len() as u64,
            "read {read} bytes, the second frame is {}",
            fb.len()
        );
        // One frame without a stated size: no frame table, reads start at the beginning.
        let streamed = zstd::stream::encode_all(&a[..], 3).unwrap();
        assert_eq!(zstd_frames(&streamed), vec![(0, 0)]);
        let (got, _) = read_range(
            &streamed,
            0,
            Compression::Zstd,
            &Access::ZstdFrames(vec![(0, 0)]),
            5,
            3,
        )
        .unwrap();
        assert_eq!(got, &a[5..8]);
    }

    #[test]
    fn plain_tar_reads_are_bounded_by_the_file() {
        let data = b"0123456789";
        let (got, _) = read_range(data, 0, Compression::None, &Access::Direct, 2, 3).unwrap();
        assert_eq!(got, b"234");
        assert!(read_range(data, 0, Compression::None, &Access::Direct, 8, 3).is_err());
        assert!(read_range(data, 0, Compression::None, &Access::Direct, u64::MAX, 3).is_err());
    }
}
