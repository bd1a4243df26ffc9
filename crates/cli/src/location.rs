//! Commands over a whole storage location: `backups`, `find`, `restores`.

use crate::args::{BackupFilters, Format, Global};
use crate::output::{Esc, Table, emit, human_bytes};
use anyhow::Result;
use std::io::Write;
use veloscope_core::Session;
use veloscope_core::location::{FindQuery, Listing, Location};

/// Prints the backups that could not be read, one line each; exit 1 when there are any (the
/// others are still listed).
fn report(problems: &[veloscope_core::Error]) -> u8 {
    for p in problems {
        eprintln!("error: {}", Esc(&p.to_string()));
    }
    u8::from(!problems.is_empty())
}

/// The arguments of `veloscope backups`.
#[derive(Debug, clap::Args)]
pub struct BackupsArgs {
    pub location: String,
    /// Only backups made by this Schedule (label velero.io/schedule-name).
    #[arg(long)]
    pub schedule: Option<String>,
    /// Label selector on the Backup objects.
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
}

/// The arguments of `veloscope find`.
#[derive(Debug, clap::Args)]
pub struct FindArgs {
    pub location: String,
    #[command(flatten)]
    pub filters: BackupFilters,
    /// Item name (glob).
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,
    /// Kind or resource (Deployment, deploy, pods, …).
    #[arg(long)]
    pub kind: Option<String>,
}

/// The arguments of `veloscope restores`.
#[derive(Debug, clap::Args)]
pub struct RestoresArgs {
    pub location: String,
}

pub fn backups(a: &BackupsArgs, g: &Global, out: &mut impl Write) -> Result<u8> {
    let Listing { rows, problems } =
        Location::open(&a.location)?.backups(a.schedule.as_deref(), a.selector.as_deref())?;
    let code = report(&problems);
    if g.output == Format::Name {
        crate::output::names(out, rows.iter().map(|r| format!("backup/{}", r.name)))?;
        return Ok(code);
    }
    if g.output != Format::Table {
        emit(out, g.output, &rows)?;
        return Ok(code);
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
        return Ok(code);
    }
    t.write(out)?;
    Ok(code)
}

/// Returns the exit code: 0 when some backup holds a match, 1 when none does.
pub fn find(a: &FindArgs, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let query = FindQuery {
        filters: &a.filters,
        name: a.name.as_deref(),
        kind: a.kind.as_deref(),
    };
    let Listing {
        rows: found,
        problems,
    } = Location::open(&a.location)?.find(&query, s)?;
    let code = report(&problems);
    if g.output != Format::Table {
        emit(out, g.output, &found)?;
    } else {
        for b in &found {
            writeln!(
                out,
                "{} (started {}): {} items",
                Esc(&b.backup),
                Esc(b.started.as_deref().unwrap_or("<unknown>")),
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
    Ok(u8::from(found.is_empty()).max(code))
}

pub fn restores(a: &RestoresArgs, g: &Global, out: &mut impl Write) -> Result<u8> {
    let Listing { rows, problems } = Location::open(&a.location)?.restores()?;
    let code = report(&problems);
    if g.output == Format::Name {
        crate::output::names(out, rows.iter().map(|r| format!("restore/{}", r.name)))?;
        return Ok(code);
    }
    if g.output != Format::Table {
        emit(out, g.output, &rows)?;
        return Ok(code);
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
        return Ok(code);
    }
    t.write(out)?;
    Ok(code)
}
