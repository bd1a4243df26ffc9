use crate::args::{BackupFilters, Format, Global};
use crate::output::{Table, emit};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::{Backup, Session};

/// The arguments of `veloscope ls`.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub source: PathBuf,
    #[command(flatten)]
    pub filters: BackupFilters,
    /// Velero release whose rules apply (MAJOR.MINOR).
    #[arg(long, default_value = "1.18", value_name = "X.Y")]
    pub velero_version: String,
    /// Add a LABELS column to the table.
    #[arg(long)]
    pub show_labels: bool,
}

pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let version = veloscope_core::velero_version(&a.velero_version)?;
    let backup = Backup::open_for_items(&a.source, &a.filters, s)?;
    let rows = backup.items(&a.filters, version, s)?;
    if g.output == Format::Name {
        // kubectl's spelling: the lower-case kind, its group, the name.
        let name = |r: &veloscope_core::items::ItemRow<'_>| {
            let group = r.resource.split_once('.').map(|(_, g)| g);
            let kind = r.kind.map_or_else(
                || {
                    r.resource
                        .split('.')
                        .next()
                        .unwrap_or(r.resource)
                        .to_string()
                },
                str::to_lowercase,
            );
            match group {
                Some(g) => format!("{kind}.{g}/{}", r.name),
                None => format!("{kind}/{}", r.name),
            }
        };
        crate::output::names(out, rows.iter().map(name))?;
        return Ok(0);
    }
    if g.output != Format::Table {
        emit(out, g.output, &rows)?;
        return Ok(0);
    }
    let mut headers = vec!["NAMESPACE", "RESOURCE", "NAME", "KIND", "APIVERSION"];
    if a.show_labels {
        headers.push("LABELS");
    }
    let related = rows.iter().any(|r| r.via.is_some());
    if related {
        headers.push("VIA");
    }
    let mut t = Table::new(&headers);
    for r in &rows {
        let mut cells = vec![
            r.namespace.unwrap_or("").to_string(),
            r.resource.to_string(),
            r.name.to_string(),
            r.kind.unwrap_or("").to_string(),
            r.api_version.unwrap_or("").to_string(),
        ];
        if a.show_labels {
            let labels: Vec<String> = r.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            cells.push(if labels.is_empty() {
                "<none>".into()
            } else {
                labels.join(",")
            });
        }
        if related {
            cells.push(r.via.clone().unwrap_or_default());
        }
        t.row(cells);
    }
    if t.is_empty() {
        if !g.quiet {
            eprintln!("No items found.");
        }
        return Ok(0);
    }
    t.write(out)?;
    Ok(0)
}
