use crate::args::{BackupFilters, Format, Global};
use crate::output::{Table, emit};
use crate::preview::via_text;
use anyhow::{Result, anyhow};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use veloscope_core::Session;
use veloscope_core::backup;
use veloscope_core::selection as select;
use veloscope_core::spec;
use veloscope_select::{Decision, VeleroVersion};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Row<'a> {
    resource: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    api_version: Option<&'a str>,
    kind: Option<&'a str>,
    labels: BTreeMap<&'a str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<String>,
}

pub struct LsArgs<'a> {
    pub filters: &'a BackupFilters,
    pub velero_version: &'a str,
    pub show_labels: bool,
}

/// Without filter flags every item; with them, exactly the items `preview` includes for the same
/// flags (related items and CRDs among them, marked `via`).
pub fn run(
    path: &Path,
    a: &LsArgs<'_>,
    g: &Global,
    s: &Session<'_>,
    out: &mut impl Write,
) -> Result<()> {
    let version: VeleroVersion = a.velero_version.parse().map_err(|e: String| anyhow!(e))?;
    let scope = veloscope_core::sidecar::NamespaceScope::of(a.filters);
    let in_scope = |idx: &_, gr, ns| scope.as_ref().is_none_or(|s| s.accepts(idx, gr, ns));
    let part = match scope {
        Some(_) => veloscope_core::sidecar::Part::Sections(&in_scope),
        None => veloscope_core::sidecar::Part::All,
    };
    let loaded = veloscope_core::sidecar::load_part(backup::open(path)?, s, None, part)?;
    backup::require_valid(&loaded)?;
    backup::report_warnings(&loaded, s);
    let idx = &loaded.index;
    let decisions: Option<Vec<Decision>> = if spec::any_filter(a.filters) {
        let sel = select::run(&loaded, a.filters, None, version, None)?;
        select::reject_unresolvable(&loaded, &sel.spec, &sel.resolver)?;
        Some(sel.preview.decisions)
    } else {
        None
    };
    let rows: Vec<Row<'_>> = idx
        .items
        .iter()
        .enumerate()
        .filter_map(|(at, i)| {
            let via = match decisions.as_ref().map(|d| &d[at]) {
                None => None,
                Some(Decision::Included(via)) => via.as_ref().map(|v| via_text(idx, v)),
                Some(Decision::Excluded(_)) => return None,
            };
            Some(Row {
                resource: idx.gr(i),
                namespace: idx.namespace(i),
                name: &i.name,
                api_version: i.api_version.map(|s| idx.str(s)),
                kind: i.kind.map(|s| idx.str(s)),
                labels: i
                    .labels
                    .iter()
                    .map(|(k, v)| (idx.str(*k), idx.str(*v)))
                    .collect(),
                via,
            })
        })
        .collect();
    if g.output != Format::Table {
        return emit(out, g.output, &rows);
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
        return Ok(());
    }
    t.write(out)
}
