//! Random access into gzip archives, in the manner of zlib's `zran.c`: while the archive is read
//! once, the inflater stops at deflate block boundaries and every `span` bytes of output records
//! a seek point (compressed offset, bit offset, and the 32 KiB of output the next block may refer
//! back to). Later, a read of one entry starts at the nearest point before it instead of at the
//! start of the file: `inflatePrime` restores the bit offset and `inflateSetDictionary` the window.

use crate::access::Span;
use libz_rs_sys as z;
use serde::{Deserialize, Serialize};
use std::io::{self, Read};
use std::sync::{Arc, Mutex};

/// The history a deflate block may refer back to.
pub const WINDOW: usize = 32 << 10;
const CHUNK: usize = 1 << 20;

/// What is wrong with a gzip stream, carried inside the `io::Error` our reader returns so that
/// the scan can tell the kinds apart without reading messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GzipDamage {
    /// Bytes after a complete member that do not start another one (as flate2 reports them).
    #[error("invalid gzip header")]
    NotAMember,
    #[error("gzip trailer checksum (CRC-32) does not match the data")]
    Crc,
    #[error("gzip trailer length does not match the data (matching size)")]
    Length,
    #[error("corrupt deflate stream: {0}")]
    Deflate(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeekPoint {
    /// Offset in the decompressed tar stream.
    pub out: u64,
    /// Offset in the compressed file of the first whole byte of the next block.
    pub inp: u64,
    /// How many low bits of the byte before `inp` belong to the next block (0–7).
    pub bits: u8,
    /// The output before `out` within its gzip member (at most 32 KiB), compressed with zstd
    /// (empty when there is none): a backup's windows are JSON, a fifth of their size packed, and
    /// every reader of a sidecar holds all of them (31 MiB raw at 1M items) while it needs one
    /// per read. Encoded as bytes (copied in one piece, not per byte).
    #[serde(with = "serde_bytes")]
    pub window: Vec<u8>,
}

impl SeekPoint {
    /// A point whose window is `window` (the output before it, at most [`WINDOW`] bytes).
    pub fn new(out: u64, inp: u64, bits: u8, window: &[u8]) -> io::Result<SeekPoint> {
        let window = match window {
            [] => Vec::new(),
            w => zstd::bulk::compress(w, 1)?,
        };
        Ok(SeekPoint {
            out,
            inp,
            bits,
            window,
        })
    }

    /// The window as inflate needs it; more than [`WINDOW`] bytes or bytes that are not zstd
    /// make the point malformed.
    fn unpacked_window(&self) -> io::Result<Vec<u8>> {
        if self.window.is_empty() {
            return Ok(Vec::new());
        }
        zstd::bulk::decompress(&self.window, WINDOW).map_err(|_| bad_point("malformed window"))
    }
}

/// Seek points collected while a scan runs (shared with the reader thread).
pub type SeekPoints = Arc<Mutex<Vec<SeekPoint>>>;

/// An owned, pinned zlib inflate stream.
struct Stream(Box<z::z_stream>);

impl Stream {
    fn new(window_bits: i32) -> io::Result<Stream> {
        let mut s = Stream(Box::default());
        // SAFETY: the stream is boxed, so its address stays fixed for zlib's back-pointer check;
        // the version and size are the library's own.
        let ret = unsafe {
            z::inflateInit2_(
                &mut *s.0,
                window_bits,
                z::zlibVersion(),
                std::mem::size_of::<z::z_stream>() as i32,
            )
        };
        if ret != z::Z_OK {
            return Err(io::Error::other(format!("inflateInit2 failed ({ret})")));
        }
        Ok(s)
    }

    /// Inflates from `input` into `output`, returning (zlib code, bytes consumed, bytes written).
    fn inflate(&mut self, input: &[u8], output: &mut [u8], flush: i32) -> (i32, usize, usize) {
        let avail_in = input.len().min(u32::MAX as usize) as u32;
        let avail_out = output.len().min(u32::MAX as usize) as u32;
        self.0.next_in = input.as_ptr();
        self.0.avail_in = avail_in;
        self.0.next_out = output.as_mut_ptr();
        self.0.avail_out = avail_out;
        // SAFETY: next_in/next_out point into live slices of the lengths given.
        let ret = unsafe { z::inflate(&mut *self.0, flush) };
        let used = (avail_in - self.0.avail_in) as usize;
        let made = (avail_out - self.0.avail_out) as usize;
        self.0.next_in = std::ptr::null();
        self.0.next_out = std::ptr::null_mut();
        self.0.avail_in = 0;
        self.0.avail_out = 0;
        (ret, used, made)
    }

    fn reset(&mut self, window_bits: i32) -> io::Result<()> {
        // SAFETY: the stream was initialised by `new`.
        match unsafe { z::inflateReset2(&mut *self.0, window_bits) } {
            z::Z_OK => Ok(()),
            ret => Err(io::Error::other(format!("inflateReset2 failed ({ret})"))),
        }
    }

    fn message(&self, ret: i32) -> String {
        if self.0.msg.is_null() {
            return format!("zlib error {ret}");
        }
        // SAFETY: zlib sets msg to a static NUL-terminated string.
        unsafe { std::ffi::CStr::from_ptr(self.0.msg) }
            .to_string_lossy()
            .into_owned()
    }
}

// SAFETY: the stream owns its state exclusively and holds no pointers into borrowed buffers
// between calls (`inflate` clears next_in/next_out), so moving it to another thread is sound.
unsafe impl Send for Stream {}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: initialised by `new`, ended once.
        unsafe { z::inflateEnd(&mut *self.0) };
    }
}

/// A multi-member gzip decoder (like flate2's `MultiGzDecoder`, CRC and length checked) over
/// zlib-rs; given a collector, it also records a seek point every `span` bytes of output.
pub struct GzReader<R> {
    inner: R,
    stream: Stream,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    /// Compressed bytes before `input[0]`.
    in_base: u64,
    /// Output; `out[..served]` was handed out, the last `WINDOW` bytes of it kept as history.
    out: Vec<u8>,
    served: usize,
    filled: usize,
    total_out: u64,
    member_out: u64,
    last_point: u64,
    /// (span, collector) when seek points are wanted.
    seek: Option<(u64, SeekPoints)>,
    between_members: bool,
    /// Zero bytes seen after the last member: only more zeros may follow.
    padding: bool,
    done: bool,
}

impl<R: Read> GzReader<R> {
    pub fn new(inner: R, seek: Option<(u64, SeekPoints)>) -> io::Result<Self> {
        Ok(GzReader {
            inner,
            stream: Stream::new(31)?,
            input: vec![0; 64 << 10],
            in_start: 0,
            in_end: 0,
            in_base: 0,
            out: vec![0; WINDOW + CHUNK],
            served: 0,
            filled: 0,
            total_out: 0,
            member_out: 0,
            last_point: 0,
            seek: seek.map(|(span, points)| (span.max(WINDOW as u64), points)),
            between_members: false,
            padding: false,
            done: false,
        })
    }

    /// Reads more compressed input; false at its end.
    fn refill(&mut self) -> io::Result<bool> {
        self.in_base += self.in_end as u64;
        self.in_start = 0;
        self.in_end = 0;
        loop {
            match self.inner.read(&mut self.input) {
                Ok(n) => {
                    self.in_end = n;
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn record_point(&mut self) {
        let Some((span, points)) = &self.seek else {
            return;
        };
        let data_type = self.stream.0.data_type;
        let boundary = data_type & 128 != 0 && data_type & 64 == 0;
        if !boundary || self.total_out - self.last_point < *span {
            return;
        }
        let keep = (self.member_out as usize).min(WINDOW);
        // A point that cannot be made is left out: reads start from an earlier one.
        let point = SeekPoint::new(
            self.total_out,
            self.in_base + self.in_start as u64,
            (data_type & 7) as u8,
            &self.out[self.filled - keep..self.filled],
        );
        if let (Ok(point), Ok(mut points)) = (point, points.lock()) {
            points.push(point);
        }
        self.last_point = self.total_out;
    }

    /// Inflates until some output is ready or the stream ends.
    fn produce(&mut self) -> io::Result<()> {
        if self.served == self.filled && self.filled == self.out.len() {
            let keep = self.filled.min(WINDOW);
            self.out.copy_within(self.filled - keep..self.filled, 0);
            self.filled = keep;
            self.served = keep;
        }
        while self.served == self.filled && !self.done {
            if self.in_start == self.in_end && !self.refill()? {
                if self.between_members {
                    self.done = true;
                    return Ok(());
                }
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "gzip stream ends before its trailer",
                ));
            }
            // Zero bytes after a complete member are padding (a tape block, a storage layer
            // rounding up): `gzip -t` accepts them and Velero never reads past the tar's end.
            if self.between_members && (self.padding || self.input[self.in_start] == 0) {
                self.padding = true;
                let rest = &self.input[self.in_start..self.in_end];
                match rest.iter().position(|&b| b != 0) {
                    None => {
                        self.in_start = self.in_end;
                        continue;
                    }
                    Some(_) => {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            GzipDamage::NotAMember,
                        ));
                    }
                }
            }
            let (ret, used, made) = self.stream.inflate(
                &self.input[self.in_start..self.in_end],
                &mut self.out[self.filled..],
                // Stopping at block ends costs a little; only worth it when points are wanted.
                if self.seek.is_some() {
                    z::Z_BLOCK
                } else {
                    z::Z_NO_FLUSH
                },
            );
            self.in_start += used;
            self.filled += made;
            self.total_out += made as u64;
            self.member_out += made as u64;
            match ret {
                z::Z_OK | z::Z_BUF_ERROR => {
                    if used > 0 {
                        self.between_members = false;
                    }
                    self.record_point();
                }
                z::Z_STREAM_END => {
                    self.member_out = 0;
                    self.between_members = true;
                    self.stream.reset(31)?;
                }
                _ => {
                    // Like flate2, bytes after a member that do not start another one are
                    // reported as a bad header.
                    let zlib = self.stream.message(ret);
                    let damage = if self.member_out == 0 && self.total_out > 0 {
                        GzipDamage::NotAMember
                    } else if zlib == "incorrect data check" {
                        GzipDamage::Crc
                    } else if zlib == "incorrect length check" {
                        GzipDamage::Length
                    } else {
                        GzipDamage::Deflate(zlib.to_string())
                    };
                    return Err(io::Error::new(io::ErrorKind::InvalidData, damage));
                }
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for GzReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.produce()?;
        let n = buf.len().min(self.filled - self.served);
        buf[..n].copy_from_slice(&self.out[self.served..self.served + n]);
        self.served += n;
        Ok(n)
    }
}

/// The seek point a read at decompressed offset `at` starts from (None: the file's start).
pub fn point_for(points: &[SeekPoint], at: u64) -> Option<&SeekPoint> {
    points
        .get(points.partition_point(|p| p.out <= at).wrapping_sub(1))
        .filter(|p| p.out <= at)
}

/// Where in the compressed file a read from `point` needs its first byte (the byte before a
/// point's offset holds the bits it starts with).
pub fn first_byte(point: Option<&SeekPoint>) -> u64 {
    point.map_or(0, |p| p.inp.saturating_sub(u64::from(p.bits > 0)))
}

/// Reads `len` bytes at offset `at` of the decompressed stream of a gzip file, starting from the
/// last seek point at or before `at` (or from the start). `data` holds the file from offset
/// `base` on: the whole file, or a window of it from [`first_byte`]. Returns the bytes and how
/// many compressed bytes were read.
pub fn read_at(
    data: &[u8],
    base: u64,
    points: &[SeekPoint],
    at: u64,
    len: usize,
) -> io::Result<(Vec<u8>, u64)> {
    let (mut parts, read) = read_spans(data, base, points, &[Span { at, len }])?;
    Ok((parts.pop().unwrap_or_default(), read))
}

/// [`read_at`] of several spans in one pass from the seek point before the first: each span's
/// bytes alone are kept (not the bytes between them), in the order given, which must be by
/// offset. Returns them and how many compressed bytes were read.
pub fn read_spans(
    data: &[u8],
    base: u64,
    points: &[SeekPoint],
    spans: &[Span],
) -> io::Result<(Vec<Vec<u8>>, u64)> {
    let Some(at) = spans_start(spans)? else {
        return Ok((Vec::new(), 0));
    };
    let end = spans.iter().map(Span::end).max().unwrap_or(at);
    let point = point_for(points, at);
    if base > first_byte(point) {
        return Err(bad_point("the bytes read start after the seek point"));
    }
    let (mut stream, mut pos, mut out_pos, mut in_member) = match point {
        None => (Stream::new(31)?, 0usize, 0u64, true),
        Some(p) => {
            if p.bits > 7 {
                return Err(bad_point("malformed"));
            }
            let window = p.unpacked_window()?;
            let mut s = Stream::new(-15)?;
            let mut pos = usize::try_from(p.inp - base).unwrap_or(usize::MAX);
            if p.bits > 0 {
                let byte = *pos
                    .checked_sub(1)
                    .and_then(|i| data.get(i))
                    .ok_or_else(|| bad_point("offset outside the archive"))?;
                // SAFETY: initialised stream; bits is 1–7.
                let ret = unsafe {
                    z::inflatePrime(&mut *s.0, p.bits as i32, (byte >> (8 - p.bits)) as i32)
                };
                if ret != z::Z_OK {
                    return Err(bad_point("inflatePrime rejected the bit offset"));
                }
            }
            if !window.is_empty() {
                // SAFETY: the window slice is live for the call.
                let ret = unsafe {
                    z::inflateSetDictionary(&mut *s.0, window.as_ptr(), window.len() as u32)
                };
                if ret != z::Z_OK {
                    return Err(bad_point("inflateSetDictionary rejected the window"));
                }
            }
            pos = pos.min(data.len());
            (s, pos, p.out, false)
        }
    };
    let start_pos = pos.saturating_sub(1);
    let mut parts: Vec<Vec<u8>> = spans.iter().map(|s| Vec::with_capacity(s.len)).collect();
    // The first span not yet complete: those before it are, and spans are in offset order.
    let mut open = 0;
    let mut scratch = vec![0u8; CHUNK];
    while out_pos < end {
        if pos >= data.len() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "gzip stream ends before the entry",
            ));
        }
        let (ret, used, made) = stream.inflate(&data[pos..], &mut scratch, z::Z_NO_FLUSH);
        pos += used;
        // Keep the parts of this chunk that overlap the spans.
        let chunk_start = out_pos;
        out_pos += made as u64;
        open += keep(
            &scratch[..made],
            chunk_start,
            &spans[open..],
            &mut parts[open..],
        );
        match ret {
            z::Z_OK | z::Z_BUF_ERROR if used > 0 || made > 0 => {}
            z::Z_STREAM_END => {
                // The next member: a raw stream leaves the 8-byte gzip trailer to us.
                if !in_member {
                    pos += 8;
                    in_member = true;
                }
                stream.reset(31)?;
            }
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("corrupt deflate stream: {}", stream.message(ret)),
                ));
            }
        }
    }
    Ok((parts, (pos - start_pos) as u64))
}

/// Appends to each of `parts` the bytes of `chunk` (decompressed from offset `chunk_start`)
/// its span covers; returns how many leading spans are now complete.
pub(crate) fn keep(chunk: &[u8], chunk_start: u64, spans: &[Span], parts: &mut [Vec<u8>]) -> usize {
    let chunk_end = chunk_start + chunk.len() as u64;
    for (span, part) in spans.iter().zip(parts.iter_mut()) {
        if span.at >= chunk_end {
            break;
        }
        let from = span.at + part.len() as u64;
        if part.len() == span.len || from >= chunk_end {
            continue;
        }
        let lo = usize::try_from(from.saturating_sub(chunk_start)).unwrap_or(usize::MAX);
        let take = (span.len - part.len()).min(chunk.len().saturating_sub(lo));
        if let Some(bytes) = chunk.get(lo..lo + take) {
            part.extend_from_slice(bytes);
        }
    }
    spans
        .iter()
        .zip(parts.iter())
        .take_while(|(s, p)| p.len() == s.len)
        .count()
}

/// Where a read of `spans` starts (None: nothing to read), or an error when they are not in
/// offset order.
pub(crate) fn spans_start(spans: &[Span]) -> io::Result<Option<u64>> {
    if spans.windows(2).any(|w| w[1].at < w[0].at) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "spans to read are not in offset order",
        ));
    }
    Ok(spans.first().map(|s| s.at))
}

/// Lists of spans a reader of several spans must answer as slices of a decompressed stream of
/// `len` bytes: far apart (across seek points and frames), touching, overlapping, empty,
/// one in a chunk's last bytes.
#[cfg(test)]
pub(crate) fn span_cases(len: u64) -> Vec<Vec<Span>> {
    let s = |at: u64, n: usize| Span { at, len: n };
    vec![
        vec![s(10, 100)],
        vec![s(10, 100), s(110, 50), s(len / 2, 4000), s(len - 300, 300)],
        vec![
            s(0, 1 << 20),
            s((1 << 20) - 5, 10),
            s((1 << 20) + 7, 0),
            s(len - 1, 1),
        ],
        vec![s(5000, 3 << 20), s(6000, 10), s(len - 2000, 1000)],
        vec![s(len / 3, 0)],
    ]
}

fn bad_point(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("bad seek point: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    /// Compressible but not trivially so: JSON-like lines with counters.
    fn text(len: usize, seed: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(len);
        let mut x = seed;
        while out.len() < len {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let _ = writeln!(
                out,
                "{{\"name\":\"item-{}\",\"uid\":\"{:x}\"}}",
                x % 9973,
                x
            );
        }
        out.truncate(len);
        out
    }

    fn gzip(parts: &[&[u8]]) -> Vec<u8> {
        let mut file = Vec::new();
        for part in parts {
            let mut enc = GzEncoder::new(Vec::new(), Compression::default());
            enc.write_all(part).unwrap();
            file.extend(enc.finish().unwrap());
        }
        file
    }

    fn index(file: &[u8], span: u64) -> (Vec<u8>, Vec<SeekPoint>) {
        let points = SeekPoints::default();
        let mut dec = GzReader::new(file, Some((span, points.clone()))).unwrap();
        let mut out = Vec::new();
        dec.read_to_end(&mut out).unwrap();
        let points = points.lock().unwrap().clone();
        (out, points)
    }

    #[test]
    fn decodes_all_members_and_reads_any_range_from_a_seek_point() {
        let (a, b) = (text(3 << 20, 1), text(2 << 20, 2));
        let file = gzip(&[&a, &b]);
        let (out, points) = index(&file, 256 << 10);
        assert!(
            out == [a.clone(), b.clone()].concat(),
            "decoded bytes differ"
        );
        assert!(points.len() >= 10, "only {} points", points.len());
        assert!(points.windows(2).all(|w| w[0].out < w[1].out));
        for at in [
            0u64,
            1000,
            700_000,
            (3 << 20) - 10,
            3 << 20,
            (5 << 20) - 100,
        ] {
            let (got, read) = read_at(&file, 0, &points, at, 100).unwrap();
            // A window of the file from the point's first byte reads the same (a ranged GET).
            let from = first_byte(point_for(&points, at));
            let (windowed, _) = read_at(&file[from as usize..], from, &points, at, 100).unwrap();
            assert!(windowed == got, "windowed read at {at} differs");
            if from > 0 {
                assert!(read_at(&file[from as usize + 1..], from + 1, &points, at, 100).is_err());
            }
            // Up to the bound `last_byte` gives is enough, for a short read and for one that
            // spans several seek points.
            let access = crate::Access::Gzip(points.clone());
            for len in [100usize, 700_000] {
                let len = len.min(out.len() - at as usize);
                let end = at + len as u64;
                let last = crate::last_byte(crate::Compression::Gzip, &access, end)
                    .map_or(file.len(), |l| (l as usize).min(file.len()));
                let (bounded, _) = read_at(&file[from as usize..last], from, &points, at, len)
                    .unwrap_or_else(|e| panic!("read at {at} of {len} within the bound: {e}"));
                assert!(
                    bounded == out[at as usize..end as usize],
                    "bounded read at {at}"
                );
            }
            let at = at as usize;
            let want = &out[at..(at + 100).min(out.len())];
            assert!(got == want, "range at {at} differs");
            if at > 1 << 20 {
                assert!(
                    read < file.len() as u64 / 4,
                    "read {read} of {} bytes",
                    file.len()
                );
            }
        }
    }

    #[test]
    fn several_spans_read_in_one_pass_are_their_own_bytes() {
        let (a, b) = (text(3 << 20, 3), text(2 << 20, 4));
        let file = gzip(&[&a, &b]);
        let (out, points) = index(&file, 256 << 10);
        for spans in span_cases(out.len() as u64) {
            let want: Vec<&[u8]> = spans
                .iter()
                .map(|s| &out[s.at as usize..s.end() as usize])
                .collect();
            let (got, read) = read_spans(&file, 0, &points, &spans).unwrap();
            assert!(got == want, "spans {spans:?}");
            assert!(read <= file.len() as u64);
            // Without seek points, from the start of the file.
            assert!(read_spans(&file, 0, &[], &spans).unwrap().0 == want);
        }
        let (s, t) = (Span { at: 900, len: 10 }, Span { at: 100, len: 10 });
        let err = read_spans(&file, 0, &points, &[s, t]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let past = Span {
            at: out.len() as u64 - 5,
            len: 10,
        };
        let err = read_spans(&file, 0, &points, &[s, past]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn malformed_seek_points_are_errors_not_panics() {
        let file = gzip(&[&text(600_000, 4)]);
        let (_, points) = index(&file, 64 << 10);
        let mut bad = points.clone();
        bad[0].bits = 9;
        assert!(read_at(&file, 0, &bad, bad[0].out + 10, 10).is_err());
        let mut bad = points.clone();
        bad[0].inp = u64::MAX;
        assert!(read_at(&file, 0, &bad, bad[0].out + 10, 10).is_err());
        let mut bad = points.clone();
        bad[0] = SeekPoint::new(bad[0].out, bad[0].inp, bad[0].bits, &[b'x'; WINDOW]).unwrap();
        // A wrong window yields wrong bytes or an error, never a panic.
        let _ = read_at(&file, 0, &bad, bad[0].out + 10, 10);
        // A window too large once unpacked, or not zstd at all, is refused.
        let mut bad = points.clone();
        bad[0] = SeekPoint::new(bad[0].out, bad[0].inp, bad[0].bits, &[b'x'; WINDOW + 1]).unwrap();
        let err = read_at(&file, 0, &bad, bad[0].out + 10, 10).unwrap_err();
        assert!(err.to_string().contains("malformed window"), "{err}");
        let mut bad = points;
        bad[0].window = b"not zstd".to_vec();
        let err = read_at(&file, 0, &bad, bad[0].out + 10, 10).unwrap_err();
        assert!(err.to_string().contains("malformed window"), "{err}");
    }

    #[test]
    fn truncated_and_garbage_tails_are_errors_like_flate2() {
        let file = gzip(&[&text(100_000, 3)]);
        let mut short = GzReader::new(&file[..file.len() - 4], None).unwrap();
        let err = short.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let mut tail = file.clone();
        tail.extend_from_slice(b"not gzip at all");
        let mut dec = GzReader::new(&tail[..], None).unwrap();
        let err = dec.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("invalid gzip header"), "{err}");
        let mut flipped = file.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0xff;
        let mut dec = GzReader::new(&flipped[..], None).unwrap();
        assert!(dec.read_to_end(&mut Vec::new()).is_err());
    }
}
