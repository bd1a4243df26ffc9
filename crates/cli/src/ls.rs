use crate::args::{BackupFilters, Format, Global};
use crate::output::{Table, Template, emit};
use anyhow::Result;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
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

/// What a row sorts by.
type SortKey<'a> = Box<dyn Fn(&veloscope_core::items::ItemRow<'a>) -> String + 'a>;

/// The sort key of a row for a `--sort-by` path the index answers (names, kinds, labels), or
/// None for a path only the stored objects answer.
fn index_sort_key<'a>(path: &str) -> Option<SortKey<'a>> {
    let p = path.trim().trim_start_matches('{').trim_end_matches('}');
    let p = p.strip_prefix('.').unwrap_or(p).to_string();
    Some(match p.as_str() {
        "metadata.name" | "name" => Box::new(|r| r.name.to_string()),
        "metadata.namespace" | "namespace" => Box::new(|r| r.namespace.unwrap_or("").to_string()),
        "kind" => Box::new(|r| r.kind.unwrap_or("").to_string()),
        "apiVersion" => Box::new(|r| r.api_version.unwrap_or("").to_string()),
        "resource" => Box::new(|r| r.resource.to_string()),
        other => {
            let key = other.strip_prefix("metadata.labels.")?;
            let key = key.trim_matches(['\'', '"']).to_string();
            if key.contains(['[', ']', '*']) {
                return None;
            }
            Box::new(move |r| {
                r.labels
                    .get(key.as_str())
                    .copied()
                    .unwrap_or("")
                    .to_string()
            })
        }
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

/// Sorts rows by any JSONPath over the stored objects, as kubectl's `--sort-by` does (missing
/// values first, numbers by value), reading each object once and keeping only its key.
fn sort_by_objects(
    backup: &Backup,
    rows: &mut Vec<ItemRow<'_>>,
    path: &veloscope_jsonpath::Path,
    s: &Session<'_>,
) -> Result<()> {
    let mut keys: Vec<Option<serde_json::Value>> = vec![None; rows.len()];
    each_object(backup, rows, s, &mut |i, v| {
        keys[i] = path.eval(&v).first().map(|k| (*k).clone());
    })?;
    let mut keyed: Vec<(Option<serde_json::Value>, ItemRow<'_>)> =
        keys.into_iter().zip(rows.drain(..)).collect();
    keyed.sort_by(|x, y| veloscope_jsonpath::compare(x.0.as_ref(), y.0.as_ref()));
    rows.extend(keyed.into_iter().map(|(_, r)| r));
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
    let backup = Backup::open_for_items(&a.source, &filters, s)?;
    let mut rows = backup.items(&filters, version, s)?;
    if let Some(glob) = &a.name {
        veloscope_core::items::retain_named(&mut rows, glob);
    }
    if let Some(path) = &a.sort_by {
        match index_sort_key(path) {
            Some(key) => rows.sort_by_cached_key(|r| key(r)),
            None => {
                let parsed = veloscope_jsonpath::Path::parse_relaxed(path)
                    .map_err(|e| anyhow::anyhow!("--sort-by: {e}"))?;
                sort_by_objects(&backup, &mut rows, &parsed, s)?;
            }
        }
    }
    if g.output.format == Format::Name {
        crate::output::names(
            out,
            rows.iter()
                .map(|r| crate::output::kubectl_name(r.resource, r.kind, r.name)),
        )?;
        return Ok(0);
    }
    if let Some(t) = &g.output.template {
        templated(&backup, &rows, t, s, out)?;
        return Ok(0);
    }
    if !matches!(g.output.format, Format::Table | Format::Wide) {
        emit(out, &g.output, &rows)?;
        return Ok(0);
    }
    let wide = g.output.format == Format::Wide;
    let mut headers = vec!["NAMESPACE", "RESOURCE", "NAME", "KIND", "APIVERSION"];
    let label_headers = crate::output::label_headers(&a.label_columns);
    headers.extend(label_headers.iter().map(String::as_str));
    if a.show_labels {
        headers.push("LABELS");
    }
    let related = wide || rows.iter().any(|r| r.via.is_some());
    if related {
        headers.push("VIA");
    }
    if wide {
        headers.extend(["VERSIONS", "OWNER", "SIZE"]);
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
        for k in &a.label_columns {
            cells.push(r.labels.get(k.as_str()).copied().unwrap_or("").to_string());
        }
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
