use crate::args::{BackupFilters, Format, Global};
use crate::output::{Table, Template, emit};
use anyhow::Result;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use veloscope_core::Scope;
use veloscope_core::VeleroVersion;
use veloscope_core::items::ItemRow;
use veloscope_core::{Backup, Session};
use veloscope_jsonpath::ItemPieces;

/// The arguments of `veloscope ls`.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub source: PathBuf,
    /// Resource types, as `kubectl get` takes them (`pods`, `deploy,svc`): the same as
    /// --include-resources.
    #[arg(value_name = "TYPE", value_delimiter = ',')]
    pub types: Vec<String>,
    #[command(flatten)]
    pub filters: BackupFilters,
    /// Velero release whose rules apply (MAJOR.MINOR).
    #[arg(long, default_value_t = VeleroVersion::LATEST, value_name = "X.Y")]
    pub velero_version: VeleroVersion,
    /// Only items whose name matches this glob (`web-*`).
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,
    /// Add a LABELS column to the table.
    #[arg(long)]
    pub show_labels: bool,
    /// A column per label key, its value in each row (kubectl's `-L`).
    #[arg(short = 'L', long, value_delimiter = ',', value_name = "KEY")]
    pub label_columns: Vec<String>,
    /// Sort by a JSONPath, as kubectl's `--sort-by` (`.metadata.creationTimestamp`,
    /// `{.spec.replicas}`): names, kinds and labels from the index, any other field from the
    /// stored objects.
    #[arg(long, value_name = "JSONPATH")]
    pub sort_by: Option<String>,
}

/// The fields of an object the index holds for each row: a `--sort-by` path that reads only
/// these is answered from them, any other from the stored objects.
const INDEXED_FIELDS: [&str; 5] = [
    ".apiVersion",
    ".kind",
    ".metadata.name",
    ".metadata.namespace",
    ".metadata.labels",
];

/// Whether the index answers `path` (it reads one of [`INDEXED_FIELDS`] or below it).
fn indexed(path: &veloscope_jsonpath::Path) -> bool {
    let p = path.source();
    let p = p.strip_prefix(['$', '@']).unwrap_or(p);
    INDEXED_FIELDS.iter().any(|f| {
        p.strip_prefix(f)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    })
}

/// The part of a row's object the index holds, for a path over [`INDEXED_FIELDS`].
fn indexed_object(r: &ItemRow<'_>) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": r.api_version,
        "kind": r.kind,
        "metadata": { "name": r.name, "namespace": r.namespace, "labels": r.labels },
    })
}

/// Calls `each` with each row's stored object and the row's index, as the objects are read
/// (one at a time: a backup of millions of objects is never held).
fn each_object(
    backup: &Backup,
    rows: &[ItemRow<'_>],
    s: &Session<'_>,
    each: &mut dyn FnMut(usize, serde_json::Value),
) -> Result<()> {
    let at: HashMap<(&str, Option<&str>, &str), usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| ((r.resource, r.namespace, r.name), i))
        .collect();
    backup.each_body_of(rows, s, &mut |c| {
        let key = (c.gr.as_str(), c.namespace.as_deref(), c.name.as_str());
        if let Some(&i) = at.get(&key) {
            let v = veloscope_core::json::from_slice(&c.body).map_err(|e| {
                veloscope_core::Error::input(&c.entry, format!("invalid JSON: {e}"))
            })?;
            each(i, v);
        }
        Ok(())
    })?;
    Ok(())
}

/// Sorts rows by a JSONPath as kubectl's `--sort-by` does (missing values first, numbers by
/// value): from the index when it holds what the path reads, else reading each stored object
/// once and keeping only its key.
fn sort_rows(
    backup: &Backup,
    rows: &mut Vec<ItemRow<'_>>,
    path: &veloscope_jsonpath::Path,
    s: &Session<'_>,
) -> Result<()> {
    let first = |v: &serde_json::Value| path.eval(v).first().map(|k| (*k).clone());
    let keys = if indexed(path) {
        rows.iter().map(|r| first(&indexed_object(r))).collect()
    } else {
        let mut keys: Vec<Option<serde_json::Value>> = vec![None; rows.len()];
        each_object(backup, rows, s, &mut |i, v| keys[i] = first(&v))?;
        keys
    };
    veloscope_jsonpath::sort_by_keys(rows, keys);
    Ok(())
}

/// Past this many objects, a template that reads the list as a whole (not item by item) is
/// refused rather than holding every object in memory.
const WHOLE_LIST_MAX: usize = 100_000;

/// The stored objects through a jsonpath template or custom columns, as kubectl prints them
/// (managedFields left out). Columns, and templates that read the list only through
/// `.items[*]`, take one object at a time as it is read; others need the whole List.
fn templated(
    backup: &Backup,
    rows: &[ItemRow<'_>],
    t: &Template,
    s: &Session<'_>,
    out: &mut impl Write,
) -> Result<()> {
    // Calls `each` with each object (managedFields left out) and its row, as they are read.
    let objects = |each: &mut dyn FnMut(usize, serde_json::Value)| {
        each_object(backup, rows, s, &mut |i, mut v| {
            veloscope_core::json::drop_managed_fields(&mut v);
            each(i, v);
        })
    };
    match t {
        Template::Columns(columns) => {
            let mut cells: Vec<Option<Vec<String>>> = vec![None; rows.len()];
            objects(&mut |i, v| cells[i] = Some(crate::output::column_cells(columns, &v)))?;
            let headers: Vec<&str> = columns.iter().map(|(h, _)| h.as_str()).collect();
            let mut table = Table::new(&headers);
            cells.into_iter().flatten().for_each(|c| table.row(c));
            table.write(out)?;
        }
        Template::JsonPath(template) => match template.itemwise() {
            Some(itemwise) => {
                let value = crate::output::template_value();
                let mut pieces: Vec<Option<ItemPieces>> = vec![None; rows.len()];
                objects(&mut |i, v| pieces[i] = Some(itemwise.item(&v, &value)))?;
                let pieces: Vec<ItemPieces> = pieces.into_iter().flatten().collect();
                out.write_all(itemwise.assemble(&pieces).as_bytes())?;
            }
            None if rows.len() > WHOLE_LIST_MAX => anyhow::bail!(
                "this template reads the list as a whole, which would hold all {} objects in memory; narrow the selection or read them item by item: {{range .items[*]}}…{{end}} or {{.items[*].PATH}}",
                rows.len()
            ),
            None => {
                let mut list: Vec<Option<serde_json::Value>> = vec![None; rows.len()];
                objects(&mut |i, v| list[i] = Some(v))?;
                crate::output::templated(out, t, list.into_iter().flatten().collect(), false)?;
            }
        },
    }
    Ok(())
}

pub fn run(a: &Args, g: &Global, s: &Session<'_>, out: &mut impl Write) -> Result<u8> {
    let version = a.velero_version;
    let mut filters = a.filters.clone();
    filters.include_resources.extend(a.types.iter().cloned());
    let backup = Backup::open_in(&a.source, &Scope::items(&filters), s)?;
    let rows = backup
        .item_rows(&filters, version, s)?
        .named(a.name.as_deref());
    // Rows are made as they are printed; only a sort or a template holds them.
    let sorted = match &a.sort_by {
        Some(path) => {
            let parsed = veloscope_jsonpath::Path::parse_relaxed(path)
                .map_err(|e| anyhow::anyhow!("--sort-by: {e}"))?;
            let mut held: Vec<ItemRow<'_>> = rows.iter().collect();
            sort_rows(&backup, &mut held, &parsed, s)?;
            Some(held)
        }
        None => None,
    };
    let each = |f: &mut dyn FnMut(&ItemRow<'_>) -> Result<()>| -> Result<()> {
        match &sorted {
            Some(held) => held.iter().try_for_each(f),
            None => rows.iter().try_for_each(|r| f(&r)),
        }
    };
    if g.output.format == Format::Name {
        return each(&mut |r| {
            crate::output::names(
                out,
                [crate::output::kubectl_name(r.resource, r.kind, r.name)],
            )
        })
        .map(|()| 0);
    }
    if let Some(t) = &g.output.template {
        let held = sorted.unwrap_or_else(|| rows.iter().collect());
        templated(&backup, &held, t, s, out)?;
        return Ok(0);
    }
    if !matches!(g.output.format, Format::Table | Format::Wide) {
        match &sorted {
            Some(held) => emit(out, &g.output, held)?,
            None => emit(out, &g.output, &rows)?,
        }
        return Ok(0);
    }
    let wide = g.output.format == Format::Wide;
    let mut headers = vec!["NAMESPACE", "RESOURCE", "NAME", "KIND", "APIVERSION"];
    let label_headers = crate::output::label_headers(&a.label_columns);
    headers.extend(label_headers.iter().map(String::as_str));
    if a.show_labels {
        headers.push("LABELS");
    }
    let related = wide || rows.any_related();
    if related {
        headers.push("VIA");
    }
    if wide {
        headers.extend(["VERSIONS", "OWNER", "SIZE"]);
    }
    let cells = |r: &ItemRow<'_>| {
        let mut cells = vec![
            r.namespace.unwrap_or("").to_string(),
            r.resource.to_string(),
            r.name.to_string(),
            r.kind.unwrap_or("").to_string(),
            r.api_version.unwrap_or("").to_string(),
        ];
        for k in &a.label_columns {
            cells.push(r.labels.get(k).unwrap_or("").to_string());
        }
        if a.show_labels {
            let labels: Vec<String> = r
                .labels
                .sorted()
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            cells.push(if labels.is_empty() {
                "<none>".into()
            } else {
                labels.join(",")
            });
        }
        if related {
            cells.push(r.via.clone().unwrap_or_default());
        }
        if wide {
            let none = || "<none>".to_string();
            cells.push(if r.versions().is_empty() {
                none()
            } else {
                r.versions().join(",")
            });
            cells.push(r.owner().unwrap_or_else(none));
            cells.push(r.size().map_or_else(none, crate::output::human_bytes));
        }
        cells
    };
    let printed = crate::output::StreamedTable::new(&headers)
        .write(out, &mut |row| each(&mut |r| row(cells(r))))?;
    if printed == 0 && !g.quiet {
        eprintln!("No items found.");
    }
    Ok(0)
}
