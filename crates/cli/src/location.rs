//! Commands over a whole storage location: `backups`, `find`, `restores`.

use crate::args::{BackupFilters, Format, Global};
use crate::output::{Table, emit, human_bytes};
use anyhow::{Result, anyhow};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use veloscope_core::Session;

use veloscope_archive::dump::group_resource;
use veloscope_model::sidefiles::{BackupResults, ResourceList};
use veloscope_model::{Backup, Catalogue, Selector};
use veloscope_select::{GlobPattern, IncludesExcludes};
use veloscope_store::{Location, gunzip};

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct BackupRow {
    name: String,
    phase: Option<String>,
    started: Option<String>,
    completed: Option<String>,
    expires: Option<String>,
    items: Option<i64>,
    errors: i64,
    warnings: i64,
    bytes: Option<u64>,
    #[serde(skip)]
    labels: BTreeMap<String, String>,
}

fn rows(loc: &Location) -> Result<Vec<BackupRow>> {
    let names = loc.children("backups")?;
    let jsons = loc.get_many(
        &names
            .iter()
            .map(|n| format!("backups/{n}/velero-backup.json"))
            .collect::<Vec<_>>(),
    );
    let mut out = Vec::new();
    for (name, json) in names.into_iter().zip(jsons) {
        // A backup exists iff its velero-backup.json does (Velero's BackupExists).
        let Some(bytes) = json? else { continue };
        let b: Backup = serde_json::from_slice(&bytes).map_err(|e| {
            anyhow!(
                "{}/backups/{name}/velero-backup.json: invalid JSON: {e}",
                loc.url
            )
        })?;
        let size = loc
            .files(&format!("backups/{name}"))?
            .into_iter()
            .find(|(f, _)| f.starts_with(&format!("{name}.tar")))
            .map(|(_, s)| s);
        out.push(BackupRow {
            name,
            phase: b.status.phase,
            started: b.status.start_timestamp,
            completed: b.status.completion_timestamp,
            expires: b.status.expiration,
            items: b.status.progress.map(|p| p.items_backed_up),
            errors: b.status.errors,
            warnings: b.status.warnings,
            bytes: size,
            labels: b.metadata.labels,
        });
    }
    out.sort_by(|a, b| b.started.cmp(&a.started).then(a.name.cmp(&b.name)));
    Ok(out)
}

pub fn backups(
    location: &str,
    schedule: Option<&str>,
    selector: Option<&str>,
    g: &Global,
    out: &mut impl Write,
) -> Result<()> {
    let loc = Location::open(location)?;
    let selector = selector.map(Selector::parse).transpose()?;
    let rows: Vec<BackupRow> = rows(&loc)?
        .into_iter()
        .filter(|r| {
            schedule.is_none_or(|s| {
                r.labels.get("velero.io/schedule-name").map(String::as_str) == Some(s)
            })
        })
        .filter(|r| {
            selector
                .as_ref()
                .is_none_or(|s| s.matches(|k| r.labels.get(k).map(String::as_str)))
        })
        .collect();
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

#[derive(Serialize)]
struct Found {
    backup: String,
    started: Option<String>,
    items: Vec<FoundItem>,
}

#[derive(Serialize)]
struct FoundItem {
    resource: String,
    namespace: Option<String>,
    name: String,
}

/// Returns the exit code: 0 when some backup holds a match, 1 when none does.
pub fn find(
    location: &str,
    f: &BackupFilters,
    name: Option<&str>,
    kind: Option<&str>,
    g: &Global,
    s: &Session<'_>,
    out: &mut impl Write,
) -> Result<u8> {
    let loc = Location::open(location)?;
    let catalogue = Catalogue::builtin();
    let namespaces = IncludesExcludes::new(&f.include_namespaces, &f.exclude_namespaces);
    let resolve = |n: &String| {
        catalogue
            .resolve(n)
            .map(|r| r.gr())
            .unwrap_or_else(|| n.clone())
    };
    let resources = IncludesExcludes::new(
        &f.include_resources.iter().map(resolve).collect::<Vec<_>>(),
        &f.exclude_resources.iter().map(resolve).collect::<Vec<_>>(),
    );
    let name_glob = name.map(GlobPattern::new);
    let kind_gr = kind.and_then(|k| catalogue.resolve(k)).map(|r| r.gr());
    let selectors = match (&f.selector, &f.or_selector) {
        (Some(s), _) => vec![Selector::parse(s)?],
        (None, Some(s)) => Selector::parse_or(s)?,
        (None, None) => vec![],
    };
    let keep = |gr: &str, k: &str, ns: Option<&str>, n: &str| {
        resources.should_include(gr)
            && ns.is_none_or(|ns| namespaces.should_include(ns))
            && (ns.is_some() || namespaces.include_everything())
            && name_glob
                .as_ref()
                .is_none_or(|gl| gl.matches(n) == Some(true))
            && kind
                .is_none_or(|want| want.eq_ignore_ascii_case(k) || kind_gr.as_deref() == Some(gr))
    };
    let mut found = Vec::new();
    for row in rows(&loc)? {
        let mut items = Vec::new();
        if selectors.is_empty() {
            // Fast path: the resource list names every item without reading the tarball.
            let Some(gz) = loc.get(&format!("backups/{0}/{0}-resource-list.json.gz", row.name))?
            else {
                continue;
            };
            let list: ResourceList = serde_json::from_slice(&gunzip(&gz)?)
                .map_err(|e| anyhow!("{}: {} resource list: {e}", loc.url, row.name))?;
            for (gvk, names) in &list {
                let (api, k) = gvk.rsplit_once('/').unwrap_or(("", gvk));
                let gr = group_resource(&catalogue, api, k).0;
                for entry in names {
                    let (ns, n) = match entry.split_once('/') {
                        Some((ns, n)) => (Some(ns), n),
                        None => (None, entry.as_str()),
                    };
                    if keep(&gr, k, ns, n) {
                        items.push(FoundItem {
                            resource: gr.clone(),
                            namespace: ns.map(str::to_string),
                            name: n.to_string(),
                        });
                    }
                }
            }
        } else {
            let source = loc.backup(&row.name)?;
            // A local location's tarballs may have sidecars; remote ones are streamed.
            let loaded = veloscope_core::sidecar::load(source, s, None)?;
            let idx = &loaded.index;
            for i in &idx.items {
                let (gr, k, ns) = (
                    idx.gr(i),
                    i.kind.map_or("", |k| idx.str(k)),
                    idx.namespace(i),
                );
                if keep(gr, k, ns, &i.name)
                    && selectors.iter().any(|s| s.matches(|key| idx.label(i, key)))
                {
                    items.push(FoundItem {
                        resource: gr.to_string(),
                        namespace: ns.map(str::to_string),
                        name: i.name.to_string(),
                    });
                }
            }
        }
        items.sort_by(|a, b| {
            (&a.resource, &a.namespace, &a.name).cmp(&(&b.resource, &b.namespace, &b.name))
        });
        if !items.is_empty() {
            found.push(Found {
                backup: row.name,
                started: row.started,
                items,
            });
        }
    }
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

#[derive(Serialize)]
struct RestoreRow {
    name: String,
    errors: usize,
    warnings: usize,
    items: Option<usize>,
}

pub fn restores(location: &str, g: &Global, out: &mut impl Write) -> Result<()> {
    let loc = Location::open(location)?;
    let mut rows = Vec::new();
    for name in loc.children("restores")? {
        let results = loc
            .get(&format!("restores/{name}/restore-{name}-results.gz"))?
            .map(|gz| -> Result<BackupResults> { Ok(serde_json::from_slice(&gunzip(&gz)?)?) })
            .transpose()
            .map_err(|e| anyhow!("{}: restore {name}: results: {e}", loc.url))?
            .unwrap_or_default();
        let items = loc
            .get(&format!(
                "restores/{name}/restore-{name}-resource-list.json.gz"
            ))?
            .and_then(|gz| serde_json::from_slice::<ResourceList>(&gunzip(&gz).ok()?).ok())
            .map(|l| l.values().map(Vec::len).sum());
        rows.push(RestoreRow {
            name,
            errors: results.errors.count(),
            warnings: results.warnings.count(),
            items,
        });
    }
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
