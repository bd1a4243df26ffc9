use crate::args::{Format, Global};
use anyhow::Result;
use std::io::Write;
use std::path::Path;
use veloscope_core::items::ItemQuery;
use veloscope_core::{Backup, Session};

pub fn run(
    path: &Path,
    q: &ItemQuery<'_>,
    g: &Global,
    s: &Session<'_>,
    out: &mut impl Write,
) -> Result<()> {
    let c = Backup::open_for_item(path, q, s)?.item(q, s)?;
    match g.output {
        Format::Json => {
            out.write_all(&c.body)?;
            writeln!(out)?;
        }
        Format::Table => {
            let v: serde_json::Value = serde_json::from_slice(&c.body)?;
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
        }
        Format::Yaml => {
            let v: serde_json::Value = serde_json::from_slice(&c.body)?;
            out.write_all(veloscope_core::yaml::to_string(&v).as_bytes())?;
        }
    }
    Ok(())
}
