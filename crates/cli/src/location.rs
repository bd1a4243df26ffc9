//! Commands over a whole storage location: `backups`, `find`, `restores`.

use crate::args::{BackupFilters, Format, Global};
use crate::output::{Esc, JsonList, Table, emit, human_bytes};
use anyhow::Result;
use std::io::Write;
use veloscope_core::Session;
use veloscope_core::location::{FindQuery, Found, Listing, Location};

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
    /// A column per label key of the Backup objects (kubectl's `-L`).
    #[arg(short = 'L', long, value_delimiter = ',', value_name = "KEY")]
    pub label_columns: Vec<String>,
    /// Sort by a JSONPath over the Backup objects, as kubectl's `--sort-by`
    /// (`.status.completionTimestamp`, `.metadata.name`, `{.status.progress.totalItems}`).
    #[arg(long, value_name = "JSONPATH")]
    pub sort_by: Option<String>,
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
    // A malformed path is a usage error before anything is read.
    let sort_by = a
        .sort_by
        .as_deref()
        .map(veloscope_jsonpath::Path::parse_relaxed)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--sort-by: {e}"))?;
    let Listing { mut rows, problems } =
        Location::open(&a.location)?.backups(a.schedule.as_deref(), a.selector.as_deref())?;
    let code = report(&problems);
    if let Some(path) = &sort_by {
        // Each row's key once, not once per comparison.
        let keys = rows
            .iter()
            .map(|r| path.eval(&r.object).first().map(|v| (*v).clone()))
            .collect();
        veloscope_jsonpath::sort_by_keys(&mut rows, keys);
    }
    if g.output.format == Format::Name {
        crate::output::names(out, rows.iter().map(|r| format!("backup/{}", r.name)))?;
        return Ok(code);
    }
    if let Some(t) = &g.output.template {
        // The Backup objects as stored (velero-backup.json), as `velero backup get` would hold them.
        crate::output::templated(
            out,
            t,
            rows.iter().map(|r| r.object.clone()).collect(),
            false,
        )?;
        return Ok(code);
    }
    if !matches!(g.output.format, Format::Table | Format::Wide) {
        emit(out, &g.output, &rows)?;
        return Ok(code);
    }
    let wide = g.output.format == Format::Wide;
    let mut headers = vec![
        "NAME", "STATUS", "ERRORS", "WARNINGS", "STARTED", "EXPIRES", "ITEMS", "SIZE",
    ];
    if wide {
        headers.extend(["SCHEDULE", "STORAGE LOCATION", "SELECTOR"]);
    }
    let label_headers = crate::output::label_headers(&a.label_columns);
    headers.extend(label_headers.iter().map(String::as_str));
    let mut t = Table::new(&headers);
    t.colour_column(1, crate::output::phase_colour);
    let dash = |o: &Option<String>| o.clone().unwrap_or_else(|| "<none>".into());
    for r in &rows {
        let mut cells = vec![
            r.name.clone(),
            dash(&r.phase),
            r.errors.to_string(),
            r.warnings.to_string(),
            dash(&r.started),
            match (&r.expires, r.expired()) {
                (Some(e), true) => format!("{e} (expired)"),
                (e, _) => dash(e),
            },
            r.items.map_or("-".into(), |i| i.to_string()),
            r.bytes.map_or("-".into(), human_bytes),
        ];
        if wide {
            let spec = &r.object["spec"];
            cells.push(dash(&r.labels.get("velero.io/schedule-name").cloned()));
            cells.push(dash(&spec["storageLocation"].as_str().map(str::to_string)));
            cells.push(selector_text(&spec["labelSelector"]));
        }
        for k in &a.label_columns {
            cells.push(r.labels.get(k).cloned().unwrap_or_default());
        }
        t.row(cells);
    }
    if t.is_empty() {
        eprintln!("No backups found.");
        return Ok(code);
    }
    t.write(out)?;
    Ok(code)
}

/// A label selector as `velero backup get` prints it (`app=x,tier in (a,b)`), `<none>` without.
fn selector_text(sel: &serde_json::Value) -> String {
    let mut parts: Vec<String> = sel["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    for e in sel["matchExpressions"].as_array().into_iter().flatten() {
        let key = e["key"].as_str().unwrap_or_default();
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        parts.push(match e["operator"].as_str().unwrap_or_default() {
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            _ => format!("{key} in ({})", values.join(",")),
        });
    }
    if parts.is_empty() {
        "<none>".into()
    } else {
        parts.join(",")
    }
}

/// Returns the exit code: 0 when some backup holds a match, 1 when none does.
pub fn find(a: &FindArgs, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let query = FindQuery {
        filters: &a.filters,
        name: a.name.as_deref(),
        kind: a.kind.as_deref(),
    };
    let location = Location::open(&a.location)?;
    let table = matches!(g.output.format, Format::Table | Format::Wide);
    let streamed_json = g.output.format == Format::Json && g.output.template.is_none();
    // Each backup's matches are printed as it is searched; only YAML and templates, which
    // print one document, hold them all.
    let mut held = Vec::new();
    let mut list = JsonList::new();
    let mut found_any = false;
    // A failed write (a closed pipe) stops the search and is the command's error.
    let mut failed = None;
    let problems = location.find_each(&query, s, &mut |b| {
        found_any = true;
        let printed = if g.output.format == Format::Name {
            crate::output::names(&mut *out, [format!("backup/{}", b.backup)])
        } else if streamed_json {
            list.push(&mut *out, &b)
        } else if !table {
            held.push(b);
            Ok(())
        } else {
            print_found(&mut *out, &b)
        };
        printed.map_err(|e| {
            let stop = veloscope_core::Error::internal(e.to_string());
            failed = Some(e);
            stop
        })
    });
    if let Some(e) = failed {
        return Err(e);
    }
    let problems = problems?;
    let code = report(&problems);
    if streamed_json {
        list.end(out)?;
    } else if !table && g.output.format != Format::Name {
        emit(out, &g.output, &held)?;
    } else if table && !found_any && !g.quiet {
        eprintln!("No backup holds a matching item.");
    }
    Ok(u8::from(!found_any).max(code))
}

/// One backup's matches under a line naming it.
fn print_found(out: &mut impl Write, b: &Found) -> Result<()> {
    writeln!(
        out,
        "{} (started {}): {}",
        Esc(&b.backup),
        Esc(b.started.as_deref().unwrap_or("<unknown>")),
        crate::output::count(b.items.len() as u64, "item")
    )?;
    let mut t = Table::new(&["  RESOURCE", "NAMESPACE", "NAME"]);
    for i in &b.items {
        t.row(vec![
            format!("  {}", i.resource),
            i.namespace.clone().unwrap_or_default(),
            i.name.clone(),
        ]);
    }
    t.write(out)
}

pub fn restores(a: &RestoresArgs, g: &Global, out: &mut impl Write) -> Result<u8> {
    let Listing { rows, problems } = Location::open(&a.location)?.restores()?;
    let code = report(&problems);
    if g.output.format == Format::Name {
        crate::output::names(out, rows.iter().map(|r| format!("restore/{}", r.name)))?;
        return Ok(code);
    }
    if !matches!(g.output.format, Format::Table | Format::Wide) {
        emit(out, &g.output, &rows)?;
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
