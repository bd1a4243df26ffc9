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
/// (Velero's case) or a frame without a size gives only the start of the file. Frames are walked
/// by their headers (a few bytes per block), read from `file` rather than mapped, so a file cut
/// short meanwhile is an error, not a signal. Skippable frames are stepped over.
pub fn zstd_frames(mut file: impl io::Read + io::Seek) -> io::Result<Vec<(u64, u64)>> {
    let end = file.seek(io::SeekFrom::End(0))?;
    let mut frames = Vec::new();
    let (mut pos, mut out) = (0u64, 0u64);
    let mut read = |at: u64, buf: &mut [u8]| -> io::Result<()> {
        file.seek(io::SeekFrom::Start(at))?;
        file.read_exact(buf)
    };
    while pos < end {
        let mut magic = [0u8; 4];
        read(pos, &mut magic)?;
        let magic = u32::from_le_bytes(magic);
        if magic & 0xffff_fff0 == 0x184d_2a50 {
            let mut size = [0u8; 4];
            read(pos + 4, &mut size)?;
            pos += 8 + u64::from(u32::from_le_bytes(size));
            continue;
        }
        if magic != 0xfd2f_b528 {
            return Ok(vec![(0, 0)]);
        }
        let mut descriptor = [0u8; 1];
        read(pos + 4, &mut descriptor)?;
        let d = descriptor[0];
        let single_segment = d & 0x20 != 0;
        let checksum = if d & 0x04 != 0 { 4 } else { 0 };
        let dict_id = [0u64, 1, 2, 4][usize::from(d & 3)];
        let fcs_len: u64 = match d >> 6 {
            0 if single_segment => 1,
            0 => 0,
            1 => 2,
            2 => 4,
            _ => 8,
        };
        if fcs_len == 0 {
            return Ok(vec![(0, 0)]);
        }
        let fcs_at = pos + 5 + u64::from(!single_segment) + dict_id;
        let mut fcs = [0u8; 8];
        read(fcs_at, &mut fcs[..fcs_len as usize])?;
        let size = u64::from_le_bytes(fcs) + if fcs_len == 2 { 256 } else { 0 };
        let mut block = fcs_at + fcs_len;
        loop {
            let mut head = [0u8; 3];
            read(block, &mut head)?;
            let h = u32::from_le_bytes([head[0], head[1], head[2], 0]);
            let len = match (h >> 1) & 3 {
                1 => 1,
                3 => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "reserved zstd block type",
                    ));
                }
                _ => u64::from(h >> 3),
            };
            block += 3 + len;
            if h & 1 == 1 {
                break;
            }
        }
        frames.push((out, pos));
        pos = block + checksum;
        out += size;
    }
    if frames.is_empty() {
        frames.push((0, 0));
    }
    Ok(frames)
}

/// A run of decompressed bytes of an archive: `len` bytes from offset `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub at: u64,
    pub len: usize,
}

impl Span {
    pub fn end(&self) -> u64 {
        self.at.saturating_add(self.len as u64)
    }
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
    let (mut parts, read) = read_spans(data, base, compression, access, &[Span { at, len }])?;
    Ok((parts.pop().unwrap_or_default(), read))
}

/// [`read_range`] of several spans (in offset order) in one pass from the seek point before the
/// first: only the spans' own bytes are held, however far apart they lie, so that neighbouring
/// entries are read together without keeping what lies between them.
pub fn read_spans(
    data: &[u8],
    base: u64,
    compression: Compression,
    access: &Access,
    spans: &[Span],
) -> io::Result<(Vec<Vec<u8>>, u64)> {
    let Some(at) = zran::spans_start(spans)? else {
        return Ok((Vec::new(), 0));
    };
    if base > first_byte(compression, access, at) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the bytes read start after the entry's seek point",
        ));
    }
    match (compression, access) {
        (Compression::None, _) | (_, Access::Direct) => {
            let parts = spans
                .iter()
                .map(|span| {
                    let start = usize::try_from(span.at - base).unwrap_or(usize::MAX);
                    start
                        .checked_add(span.len)
                        .and_then(|end| data.get(start..end))
                        .map(<[u8]>::to_vec)
                        .ok_or_else(|| {
                            io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "entry beyond the end of the archive",
                            )
                        })
                })
                .collect::<io::Result<Vec<_>>>()?;
            let read = parts.iter().map(|p| p.len() as u64).sum();
            Ok((parts, read))
        }
        (Compression::Gzip, Access::Gzip(points)) => zran::read_spans(data, base, points, spans),
        (Compression::Gzip, _) => zran::read_spans(data, base, &[], spans),
        (Compression::Zstd, access) => {
            let (_, inp) = frame_for(zstd_frames_of(access), at);
            let from = data
                .get(usize::try_from(inp - base).unwrap_or(usize::MAX)..)
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        "frame offset beyond the end of the archive",
                    )
                })?;
            zstd_spans(from, access, spans)
        }
    }
}

/// Reads `len` bytes at decompressed offset `at` of a zstd archive from a reader positioned at
/// the start of the file: a single-frame archive (Velero's) has no other place to start, and a
/// stream never holds the compressed bytes in memory.
pub fn read_zstd_stream(
    file: impl io::BufRead + io::Seek,
    access: &Access,
    at: u64,
    len: usize,
) -> io::Result<(Vec<u8>, u64)> {
    let (mut parts, read) = read_zstd_stream_spans(file, access, &[Span { at, len }])?;
    Ok((parts.pop().unwrap_or_default(), read))
}

/// [`read_zstd_stream`] of several spans, in offset order.
pub fn read_zstd_stream_spans(
    mut file: impl io::BufRead + io::Seek,
    access: &Access,
    spans: &[Span],
) -> io::Result<(Vec<Vec<u8>>, u64)> {
    let Some(at) = zran::spans_start(spans)? else {
        return Ok((Vec::new(), 0));
    };
    let (_, inp) = frame_for(zstd_frames_of(access), at);
    file.seek(io::SeekFrom::Start(inp))?;
    zstd_spans(file, access, spans)
}

fn zstd_frames_of(access: &Access) -> &[(u64, u64)] {
    match access {
        Access::ZstdFrames(f) => f.as_slice(),
        _ => &[],
    }
}

/// The spans' bytes decoded from `compressed`, which starts at the frame that holds the first
/// span; and how many compressed bytes that took.
fn zstd_spans(
    compressed: impl io::BufRead,
    access: &Access,
    spans: &[Span],
) -> io::Result<(Vec<Vec<u8>>, u64)> {
    let Some(first) = spans.first() else {
        return Ok((Vec::new(), 0));
    };
    let (mut out, _) = frame_for(zstd_frames_of(access), first.at);
    if out > first.at {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "frame table out of order",
        ));
    }
    let counted = CountedStream {
        inner: compressed,
        read: 0,
    };
    let mut dec = zstd::stream::read::Decoder::with_buffer(counted)?;
    let mut parts: Vec<Vec<u8>> = spans.iter().map(|s| Vec::with_capacity(s.len)).collect();
    let (mut open, mut chunk) = (0, vec![0u8; 256 << 10]);
    let end = spans.iter().map(Span::end).max().unwrap_or(out);
    while out < end {
        // Skip straight to the next span still open rather than through the chunk buffer.
        if let Some(next) = spans.get(open).filter(|s| s.at > out) {
            out += io::copy(&mut (&mut dec).take(next.at - out), &mut io::sink())?;
            if out < next.at {
                break;
            }
            continue;
        }
        let want = usize::try_from(end - out)
            .unwrap_or(usize::MAX)
            .min(chunk.len());
        let made = dec.read(&mut chunk[..want])?;
        if made == 0 {
            break;
        }
        open += zran::keep(&chunk[..made], out, &spans[open..], &mut parts[open..]);
        out += made as u64;
    }
    if out < end {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "zstd stream ends before the entry",
        ));
    }
    Ok((parts, dec.finish().read))
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

/// A bound on the compressed file's bytes a read of the decompressed range ending at `end` needs,
/// from its [`first_byte`]: up to the first seek point (or frame) at or past `end`, whose input
/// offset a decoder reaches only after it has written everything before it. None when no point
/// lies past `end` (the read may need the rest of the file). Reading less than the whole entry's
/// size in compressed bytes is what makes a page of neighbouring objects cheap to fetch.
pub fn last_byte(compression: Compression, access: &Access, end: u64) -> Option<u64> {
    match (compression, access) {
        (Compression::None, _) | (_, Access::Direct) => Some(end),
        (Compression::Gzip, Access::Gzip(points)) => {
            let after = points.partition_point(|p| p.out < end);
            // The byte at `inp` may still hold the end's last bits.
            points.get(after).map(|p| p.inp.saturating_add(1))
        }
        (Compression::Zstd, Access::ZstdFrames(frames)) => {
            let after = frames.partition_point(|f| f.0 < end);
            frames.get(after).map(|f| f.1)
        }
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` little-endian counters modulo `m`: compressible, and every offset's bytes known.
    fn counting(n: u32, m: u32) -> Vec<u8> {
        (0..n).flat_map(|i| (i % m).to_le_bytes()).collect()
    }

    #[test]
    fn zstd_reads_start_at_the_frame_holding_the_offset() {
        let (a, b) = (counting(200_000, 251), counting(200_000, 241));
        let fa = zstd::bulk::compress(&a, 3).unwrap();
        let fb = zstd::bulk::compress(&b, 3).unwrap();
        let file = [fa.clone(), fb.clone()].concat();
        let frames = zstd_frames(io::Cursor::new(&file)).unwrap();
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
        assert_eq!(
            zstd_frames(io::Cursor::new(&streamed)).unwrap(),
            vec![(0, 0)]
        );
        // A skippable frame before them is stepped over.
        let skip = [&[0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3][..], &file].concat();
        assert_eq!(
            zstd_frames(io::Cursor::new(&skip)).unwrap(),
            vec![(0, 11), (a.len() as u64, 11 + fa.len() as u64)]
        );
        // Cut short: an error, not a table.
        assert!(zstd_frames(io::Cursor::new(&file[..file.len() - 10])).is_err());
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
    fn several_spans_of_zstd_and_plain_tar_are_their_own_bytes() {
        let (a, b) = (counting(600_000, 251), counting(400_000, 241));
        let whole = [a.clone(), b.clone()].concat();
        let frames = [
            zstd::bulk::compress(&a, 3).unwrap(),
            zstd::bulk::compress(&b, 3).unwrap(),
        ]
        .concat();
        let access = Access::ZstdFrames(zstd_frames(io::Cursor::new(&frames)).unwrap());
        let single = zstd::stream::encode_all(&whole[..], 3).unwrap();
        let one = Access::ZstdFrames(vec![(0, 0)]);
        for spans in zran::span_cases(whole.len() as u64) {
            let want: Vec<&[u8]> = spans
                .iter()
                .map(|s| &whole[s.at as usize..s.end() as usize])
                .collect();
            let got = read_spans(&frames, 0, Compression::Zstd, &access, &spans).unwrap();
            assert!(got.0 == want, "zstd frames, spans {spans:?}");
            let got = read_zstd_stream_spans(io::Cursor::new(&single), &one, &spans).unwrap();
            assert!(got.0 == want, "one zstd frame streamed, spans {spans:?}");
            let got = read_spans(&whole, 0, Compression::None, &Access::Direct, &spans).unwrap();
            assert!(got.0 == want, "plain tar, spans {spans:?}");
        }
        let past = [Span {
            at: whole.len() as u64 - 5,
            len: 10,
        }];
        let err = read_spans(&frames, 0, Compression::Zstd, &access, &past).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let err = read_zstd_stream_spans(io::Cursor::new(&single), &one, &past).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
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
