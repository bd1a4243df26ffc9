use crate::args::{FilterArgs, Format, Global};
use crate::load;
use crate::output::{Table, emit};
use anyhow::{Result, anyhow};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use veloscope_select::{FilterSpec, ItemFilter, Resolver};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Row<'a> {
    resource: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    api_version: Option<&'a str>,
    kind: Option<&'a str>,
    labels: BTreeMap<&'a str, &'a str>,
}

pub fn filter_spec(f: &FilterArgs) -> FilterSpec {
    FilterSpec {
        include_namespaces: f.include_namespaces.clone(),
        exclude_namespaces: f.exclude_namespaces.clone(),
        include_resources: f.include_resources.clone(),
        exclude_resources: f.exclude_resources.clone(),
        include_cluster_resources: f.include_cluster_resources,
        selector: f.selector.clone(),
        or_selector: f.or_selector.clone(),
    }
}

pub fn run(
    path: &Path,
    filters: &FilterArgs,
    show_labels: bool,
    g: &Global,
    out: &mut impl Write,
) -> Result<()> {
    let loaded = load::load(path, g, None)?;
    load::require_valid(&loaded)?;
    load::print_warnings(&loaded, g);
    let idx = &loaded.index;
    let filter = ItemFilter::new(&filter_spec(filters), &Resolver::for_index(idx))
        .map_err(|e| anyhow!("{}: {e}", loaded.source.tarball().display()))?;
    let rows: Vec<Row<'_>> = idx
        .items
        .iter()
        .filter(|i| filter.matches(idx, i))
        .map(|i| Row {
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
        })
        .collect();
    if g.output != Format::Table {
        return emit(out, g.output, &rows);
    }
    let mut headers = vec!["NAMESPACE", "RESOURCE", "NAME", "KIND", "APIVERSION"];
    if show_labels {
        headers.push("LABELS");
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
        if show_labels {
            let labels: Vec<String> = r.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            cells.push(if labels.is_empty() {
                "<none>".into()
            } else {
                labels.join(",")
            });
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
