//! The inflate-only baseline for the benchmarks: decompress an archive with the same backend
//! veloscope's scan uses (flate2 over zlib-rs for gzip, zstd), in-process, into a sink.
//! Usage: inflate FILE

use std::io::{Read, Seek, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: inflate FILE")?;
    // Plain reads, as the scan does.
    let mut file = std::fs::File::open(&path)?;
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic)?;
    file.rewind()?;
    let file = std::io::BufReader::with_capacity(1 << 20, file);
    let mut reader: Box<dyn Read> = match &magic[..n] {
        [0x1f, 0x8b, ..] if std::env::var_os("INFLATE_MINIZ").is_some() => {
            Box::new(flate2::read::MultiGzDecoder::new(file))
        }
        [0x1f, 0x8b, ..] => Box::new(veloscope_archive::zran::GzReader::new(file, None)?),
        [0x28, 0xb5, 0x2f, 0xfd] => Box::new(zstd::stream::read::Decoder::new(file)?),
        _ => Box::new(file),
    };
    let mut buf = vec![0u8; 256 << 10];
    let mut total: u64 = 0;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    writeln!(std::io::stdout(), "{total}")?;
    Ok(())
}
