use crate::args::{Format, Global};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::logs::{LogFilter, logs};

/// The arguments of `veloscope logs`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A backup folder (or LOCATION@latest…), or a restore's folder (LOCATION/restores/NAME).
    pub source: PathBuf,
    /// Keep this level and worse: trace, debug, info, warning, error, fatal, panic.
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,
    /// Keep lines holding this text.
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// Keep lines about items of this namespace (the `namespace` field Velero logs).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// Keep lines about items of this resource (the `resource` field: pods, deployments.apps).
    #[arg(long, value_name = "RESOURCE")]
    pub resource: Option<String>,
}

pub fn run(a: &Args, g: &Global, out: &mut impl Write) -> Result<u8> {
    let filter = LogFilter {
        level: a.level.clone(),
        grep: a.grep.clone(),
        namespace: a.namespace.clone(),
        resource: a.resource.clone(),
    };
    match g.output.format {
        Format::Table | Format::Wide => {
            let mut n = 0u64;
            logs(&a.source, &filter, &mut |l| {
                n += 1;
                warn_cut(&l, n, g);
                writeln!(out, "{}", crate::output::escape(&l.line))
                    .map_err(|e| veloscope_core::Error::internal_from("writing a log line", e))
            })?;
        }
        Format::Yaml | Format::Name | Format::Template | Format::Csv => {
            anyhow::bail!("logs prints the lines, or -o json: one JSON object of fields per line")
        }
        Format::Json => {
            // One JSON object per line: a log can be long, and is read as a stream.
            let mut n = 0u64;
            logs(&a.source, &filter, &mut |l| {
                n += 1;
                warn_cut(&l, n, g);
                serde_json::to_writer(&mut *out, &l.fields)
                    .and_then(|()| writeln!(out).map_err(serde_json::Error::io))
                    .map_err(|e| veloscope_core::Error::internal_from("writing a log line", e))
            })?;
        }
    }
    Ok(0)
}

/// Says on stderr that a kept line was longer than veloscope reads (its start is shown).
fn warn_cut(l: &veloscope_core::logs::LogLine, n: u64, g: &Global) {
    if l.cut > 0 && !g.quiet {
        eprintln!(
            "warning: line {n} shown is longer than {} MiB: its last {} bytes were not read",
            veloscope_core::logs::MAX_LINE >> 20,
            l.cut
        );
    }
}
