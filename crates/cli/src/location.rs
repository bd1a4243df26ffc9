//! Commands over a whole storage location: `backups`, `find`, `restores`.

use crate::args::{BackupFilters, Format, Global};
use crate::output::{Table, emit, human_bytes};
use anyhow::Result;
use std::io::Write;
use veloscope_core::Session;
use veloscope_core::location::{FindQuery, Location};

pub fn backups(
    location: &str,
    schedule: Option<&str>,
    selector: Option<&str>,
    g: &Global,
    out: &mut impl Write,
) -> Result<()> {
    let rows = Location::open(location)?.backups(schedule, selector)?;
    if g.output != Format::Table {
        return emit(out, g.output, &rows);
    }
    let mut t = Table::new(&[
        "NAME", "STATUS", "ERRORS", "WARNINGS", "STARTED", "EXPIRES", "ITEMS", "SIZE",
    ]);
    let dash = |o: &Option<String>| o.clone().unwrap_or_else(|| "<none>".into());
    for r in &rows {
        t.row(vec![
            r.name.clone(),
            dash(&r.phase),
            r.errors.to_string(),
            r.warnings.to_string(),
            dash(&r.started),
            dash(&r.expires),
            r.items.map_or("-".into(), |i| i.to_string()),
            r.bytes.map_or("-".into(), human_bytes),
        ]);
    }
    if t.is_empty() {
        eprintln!("No backups found.");
        return Ok(());
    }
    t.write(out)
}

/// Returns the exit code: 0 when some backup holds a match, 1 when none does.
pub fn find(
    location: &str,
    filters: &BackupFilters,
    name: Option<&str>,
    kind: Option<&str>,
    g: &Global,
    s: &Session<'_>,
    out: &mut impl Write,
) -> Result<u8> {
    let query = FindQuery {
        filters,
        name,
        kind,
    };
    let found = Location::open(location)?.find(&query, s)?;
    if g.output != Format::Table {
        emit(out, g.output, &found)?;
    } else {
        for b in &found {
            writeln!(
                out,
                "{} (started {}): {} items",
                b.backup,
                b.started.as_deref().unwrap_or("<unknown>"),
                b.items.len()
            )?;
            let mut t = Table::new(&["  RESOURCE", "NAMESPACE", "NAME"]);
            for i in &b.items {
                t.row(vec![
                    format!("  {}", i.resource),
                    i.namespace.clone().unwrap_or_default(),
                    i.name.clone(),
                ]);
            }
            t.write(out)?;
        }
        if found.is_empty() && !g.quiet {
            eprintln!("No backup holds a matching item.");
        }
    }
    Ok(u8::from(found.is_empty()))
}

pub fn restores(location: &str, g: &Global, out: &mut impl Write) -> Result<()> {
    let rows = Location::open(location)?.restores()?;
    if g.output != Format::Table {
        return emit(out, g.output, &rows);
    }
    let mut t = Table::new(&["NAME", "ERRORS", "WARNINGS", "ITEMS"]);
    for r in &rows {
        t.row(vec![
            r.name.clone(),
            r.errors.to_string(),
            r.warnings.to_string(),
            r.items.map_or("-".into(), |i| i.to_string()),
        ]);
    }
    if t.is_empty() {
        eprintln!("No restores found.");
        return Ok(());
    }
    t.write(out)
}
