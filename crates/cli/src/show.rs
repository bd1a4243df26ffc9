use crate::args::{Format, Global};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::Scope;
use veloscope_core::items::ItemQuery;
use veloscope_core::{Backup, Session};

/// The arguments of `veloscope show`.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub source: PathBuf,
    /// Resource: plural, singular, kind, short name or plural.group (e.g. deploy, pods, crd), or
    /// TYPE/NAME as kubectl takes it.
    pub resource: String,
    pub name: Option<String>,
    /// Namespace of the item (namespaced resources).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Print the copy stored under this version directory (e.g. v1, v2beta2).
    #[arg(long)]
    pub api_version: Option<String>,
    /// Keep `metadata.managedFields`, which is left out as kubectl leaves it out.
    #[arg(long)]
    pub show_managed_fields: bool,
}

pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let (resource, name) = match (&a.name, a.resource.split_once('/')) {
        (Some(name), _) => (a.resource.as_str(), name.as_str()),
        (None, Some((resource, name))) if !resource.is_empty() && !name.is_empty() => {
            (resource, name)
        }
        _ => anyhow::bail!("show needs a resource and a name: TYPE NAME or TYPE/NAME"),
    };
    let q = &ItemQuery {
        resource,
        name,
        namespace: a.namespace.as_deref(),
        api_version: a.api_version.as_deref(),
    };
    let c = Backup::open_in(&a.source, &Scope::item(q), s)?.item(q, s)?;
    let value = || -> Result<serde_json::Value> {
        let mut v = c.value()?;
        if !a.show_managed_fields {
            veloscope_core::json::drop_managed_fields(&mut v);
        }
        Ok(v)
    };
    match g.output.format {
        // The bytes as stored, unless managedFields must go.
        Format::Json if a.show_managed_fields || !has_managed_fields(&c.body) => {
            out.write_all(&c.body)?;
            writeln!(out)?;
        }
        Format::Json => {
            serde_json::to_writer(&mut *out, &value()?)?;
            writeln!(out)?;
        }
        Format::Table | Format::Wide => {
            serde_json::to_writer_pretty(&mut *out, &value()?)?;
            writeln!(out)?;
        }
        Format::Yaml => {
            out.write_all(veloscope_core::yaml::to_string(&value()?).as_bytes())?;
        }
        Format::Template => {
            let t = g.output.template.as_ref();
            crate::output::templated(
                out,
                t.ok_or_else(|| anyhow::anyhow!("no template"))?,
                vec![value()?],
                true,
            )?;
        }
        Format::Name => {
            let group = resource_group(&c.entry);
            let kind = value()?["kind"].as_str().unwrap_or(resource).to_lowercase();
            let typed = group.map_or(kind.clone(), |g| format!("{kind}.{g}"));
            crate::output::names(out, [format!("{typed}/{name}")])?;
        }
        Format::Csv => anyhow::bail!("show prints one object: -o json, yaml or a template"),
    }
    Ok(0)
}

/// Whether a body may carry `metadata.managedFields` (a cheap look before parsing it).
fn has_managed_fields(body: &[u8]) -> bool {
    body.windows(15).any(|w| w == b"\"managedFields\"")
}

/// The API group of an entry's resource directory (`resources/deployments.apps/…` → `apps`).
fn resource_group(entry: &str) -> Option<&str> {
    entry
        .strip_prefix("resources/")?
        .split('/')
        .next()?
        .split_once('.')
        .map(|(_, g)| g)
}
