use crate::args::{Format, Global};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::items::ItemQuery;
use veloscope_core::{Backup, Session};

/// The arguments of `veloscope show`.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub source: PathBuf,
    /// Resource: plural, singular, kind, short name or plural.group (e.g. deploy, pods, crd).
    pub resource: String,
    pub name: String,
    /// Namespace of the item (namespaced resources).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Print the copy stored under this version directory (e.g. v1, v2beta2).
    #[arg(long)]
    pub api_version: Option<String>,
}

pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let q = &ItemQuery {
        resource: &a.resource,
        name: &a.name,
        namespace: a.namespace.as_deref(),
        api_version: a.api_version.as_deref(),
    };
    let c = Backup::open_for_item(&a.source, q, s)?.item(q, s)?;
    match g.output {
        Format::Json => {
            out.write_all(&c.body)?;
            writeln!(out)?;
        }
        Format::Table => {
            let v = c.value()?;
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
        }
        Format::Yaml => {
            let v = c.value()?;
            out.write_all(veloscope_core::yaml::to_string(&v).as_bytes())?;
        }
    }
    Ok(0)
}
