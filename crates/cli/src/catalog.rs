//! `veloscope catalog`: every backup of one or more locations into a Parquet catalog, and what
//! became of each backup.

use crate::args::{Format, Global};
use crate::output::{Colour, Table, emit};
use anyhow::Result;
use std::io::Write;
use veloscope_catalog::{Action, CatalogRequest, Shard};
use veloscope_core::Session;

/// The arguments of `veloscope catalog`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Storage locations (a BSL folder, `s3://bucket/prefix`, `gs://…`, `az://…`) or single
    /// backups of one (`LOCATION/backups/NAME`).
    #[arg(required = true, value_name = "SRC")]
    pub sources: Vec<String>,
    /// The catalog: a folder, or an object-storage URL (`s3://bucket/prefix`, `gs://…`, `az://…`),
    /// created when missing; one holding anything else is refused.
    #[arg(long, value_name = "DIR|URL")]
    pub out: String,
    /// The `location` partition value for the one location given (default: a folder's name,
    /// or a URL's bucket and prefix joined with `-`).
    #[arg(long, value_name = "NAME")]
    pub location_name: Option<String>,
    /// Add the `object` column: each item as stored, as JSON (managedFields left out, Secret
    /// values redacted unless --show-secrets), for queries on any field.
    #[arg(long)]
    pub with_objects: bool,
    /// With --with-objects, keep Secret values in the `object` column.
    #[arg(long, requires = "with_objects")]
    pub show_secrets: bool,
    /// Take only shard I of N (I counted from 0) of the backups, by a stable hash of location
    /// and name: N writers (the pods of a Kubernetes Indexed Job) fill one catalog without
    /// overlap. `N` alone reads I from JOB_COMPLETION_INDEX.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
}

/// Returns the exit code: 0 every backup catalogued (or unchanged), 1 some failed.
pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let job_index = std::env::var(veloscope_catalog::JOB_COMPLETION_INDEX).ok();
    let shard = a
        .shard
        .as_deref()
        .map(|t| Shard::parse(t, job_index.as_deref()))
        .transpose()?;
    let request = CatalogRequest {
        sources: &a.sources,
        out: &a.out,
        location_name: a.location_name.as_deref(),
        with_objects: a.with_objects,
        show_secrets: a.show_secrets,
        shard,
    };
    let report = veloscope_catalog::catalog(&request, s)?;
    let code = u8::from(report.failed() > 0);
    if !matches!(g.output.format, Format::Table | Format::Wide) {
        emit(out, &g.output, &report)?;
        return Ok(code);
    }
    let mut t = Table::new(&["LOCATION", "BACKUP", "ACTION", "ITEMS", "FINDINGS", "ERROR"]);
    t.colour_column(2, |a| match a {
        "written" => Some(Colour::Green),
        "failed" => Some(Colour::Red),
        "removed" => Some(Colour::Yellow),
        _ => None,
    });
    for o in &report.backups {
        let action = match o.action {
            Action::Written => "written",
            Action::Unchanged => "unchanged",
            Action::Removed => "removed",
            Action::Failed => "failed",
        };
        t.row(vec![
            o.location.clone(),
            o.backup.clone(),
            action.into(),
            o.items.map_or("-".into(), |n| n.to_string()),
            o.findings.map_or("-".into(), |n| n.to_string()),
            o.error.clone().unwrap_or_default(),
        ]);
    }
    if t.is_empty() {
        eprintln!("No backups found.");
    } else {
        t.write(out)?;
    }
    Ok(code)
}
