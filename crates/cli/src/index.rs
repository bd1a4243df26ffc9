//! `veloscope index`: write the sidecar index and say what was written.

use crate::args::{Format, Global};
use crate::output::{Esc, emit, human_bytes};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::Session;

/// The arguments of `veloscope index`.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub source: PathBuf,
    /// Write the index here instead of beside the tarball (commands then ignore it).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Decompressed bytes between gzip seek points (each costs up to 32 KiB of index).
    #[arg(long, default_value_t = 4 << 20, value_name = "BYTES")]
    pub span: u64,
}

pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let written = veloscope_core::index(&a.source, a.out.as_deref(), a.span, s)?;
    match g.output.format {
        Format::Table | Format::Wide => writeln!(
            out,
            "wrote {}: {}, {}, {} ({} bytes per item)",
            Esc(&written.sidecar),
            crate::output::count(written.items as u64, "item"),
            crate::output::count(written.seek_points as u64, "seek point"),
            human_bytes(written.bytes),
            written.bytes / (written.items.max(1) as u64)
        )?,
        _ => emit(out, &g.output, &written)?,
    }
    Ok(0)
}
