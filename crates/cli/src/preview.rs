use crate::args::{BackupFilters, Format, Global};
use crate::output::{Table, emit};
use anyhow::{Result, anyhow};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;
use veloscope_core::Session;
use veloscope_core::backup::{self, Backup};
use veloscope_core::selection::{self as select, Selection, SpecOrigin, via_text};
use veloscope_core::spec;
use veloscope_index::Index;
use veloscope_model::BackupSpec;
use veloscope_select::hooks::{HookRun, backup_hooks};
use veloscope_select::volumes::{VolumeDecision, volume_actions};
use veloscope_select::{Decision, Reason, VeleroVersion};

pub struct PreviewArgs<'a> {
    pub filters: &'a BackupFilters,
    pub spec: Option<&'a Path>,
    pub as_stored: bool,
    pub velero_version: &'a str,
    pub explain: bool,
}

#[derive(Serialize)]
struct ItemOut<'a> {
    resource: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Reason>,
}

#[derive(Serialize, Default)]
struct Tally {
    included: u64,
    excluded: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HookOut<'a> {
    phase: &'static str,
    source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hook: Option<&'a str>,
    pod: ItemOut<'a>,
    container: &'a str,
    command: &'a [String],
    on_error: &'a str,
    timeout: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VolumeOut<'a> {
    persistent_volume: Option<&'a str>,
    claim: Option<String>,
    action: Option<&'a str>,
    policy: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    source: String,
    spec_source: SpecOrigin,
    velero_version: String,
    spec: &'a BackupSpec,
    #[serde(skip_serializing_if = "Option::is_none")]
    expanded_namespaces: Option<BTreeMap<&'static str, &'a [String]>>,
    included: Vec<ItemOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    excluded: Option<Vec<ItemOut<'a>>>,
    counts: BTreeMap<&'static str, Value>,
    hooks: Vec<HookOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    volumes: Option<Vec<VolumeOut<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_selected: Option<Vec<ItemOut<'a>>>,
    warnings: Vec<String>,
}

fn item_out<'a>(idx: &'a Index, at: usize) -> ItemOut<'a> {
    let i = &idx.items[at];
    ItemOut {
        resource: idx.gr(i),
        namespace: idx.namespace(i),
        name: &i.name,
        via: None,
        reason: None,
    }
}

pub fn run(
    path: &Path,
    a: &PreviewArgs<'_>,
    g: &Global,
    s: &Session<'_>,
    out: &mut impl Write,
) -> Result<()> {
    let version: VeleroVersion = a.velero_version.parse().map_err(|e: String| anyhow!(e))?;
    let policy = a
        .filters
        .resource_policy_file
        .as_deref()
        .map(|f| spec::policy(f, version).map(|p| p.0))
        .transpose()?;
    let want_pv = |p: &veloscope_archive::ItemPath<'_>| {
        p.gr == "persistentvolumes" && p.version == veloscope_archive::VersionDir::Unversioned
    };
    // Excluded items are only counted unless --explain lists them or a stored spec is audited:
    // then a sidecar need decode only the namespaces the flags can include.
    let scope = (a.spec.is_none() && !a.explain)
        .then(|| veloscope_core::sidecar::NamespaceScope::of(a.filters))
        .flatten();
    let in_scope = |idx: &_, gr, ns| scope.as_ref().is_none_or(|s| s.accepts(idx, gr, ns));
    let part = match scope {
        Some(_) => veloscope_core::sidecar::Part::Sections(&in_scope),
        None => veloscope_core::sidecar::Part::All,
    };
    let loaded = veloscope_core::sidecar::load_part(
        backup::open(path)?,
        s,
        policy.as_ref().map(|_| &want_pv as backup::CaptureFn<'_>),
        part,
    )?;
    backup::require_valid(&loaded)?;
    backup::report_warnings(&loaded, s);
    let sel = select::run(
        &loaded,
        a.filters,
        a.spec.map(|s| (s, a.as_stored)),
        version,
        policy.as_ref(),
    )?;
    let idx = &loaded.index;
    let mut warnings = sel.resolver.warnings.clone();
    warnings.extend(sel.preview.warnings.iter().cloned());
    for name in select::unresolvable(&sel.spec, &sel.resolver) {
        warnings.push(format!(
            "resource {name:?} resolves to nothing: Velero keeps it as a literal pattern, which matches no resource"
        ));
    }
    if sel.spec.resource_policy.is_some() && policy.is_none() {
        warnings.push("the spec names a resource-policy ConfigMap that is not in the archive: pass it with --resource-policy-file to apply its volume policies and includeExcludePolicy".into());
    }
    warnings.extend(ordered_resource_warnings(idx, &sel.spec));
    if idx
        .resources
        .iter()
        .any(|r| r.resource.starts_with("volumesnapshot") || r.resource.starts_with("datauploads."))
    {
        warnings.push("the archive holds VolumeSnapshots, VolumeSnapshotContents or DataUploads, which Velero's plugins create during a backup; a preview cannot predict plugin-created items".into());
    }

    let decisions = &sel.preview.decisions;
    let included: Vec<usize> = (0..decisions.len())
        .filter(|&i| decisions[i].is_included())
        .collect();
    let pods: Vec<usize> = included
        .iter()
        .copied()
        .filter(|&i| idx.gr(&idx.items[i]) == "pods")
        .collect();
    let hooks = backup_hooks(
        idx,
        &sel.resolver,
        version,
        &sel.spec.hooks,
        &pods,
        &mut warnings,
    )
    .map_err(|e| anyhow!("{}: {e}", loaded.source.tarball().display()))?;
    let volumes = policy.as_ref().map(|p| {
        let flags: Vec<bool> = decisions.iter().map(Decision::is_included).collect();
        let bodies = pv_bodies(&loaded);
        volume_actions(idx, &flags, p, &bodies)
    });
    let report = build_report(
        path,
        &loaded,
        &sel,
        version,
        a.explain,
        &hooks,
        volumes.as_deref(),
        warnings,
    );
    match g.output {
        Format::Table => table(&report, out),
        f => emit(out, f, &report),
    }
}

/// `orderedResources` only reorders; names it lists that the archive lacks are ignored by Velero
/// (it logs them), so say which.
fn ordered_resource_warnings(idx: &Index, spec: &BackupSpec) -> Vec<String> {
    let mut out = Vec::new();
    for (plural, list) in &spec.ordered_resources {
        let grs: Vec<&str> = idx
            .resources
            .iter()
            .map(|r| r.resource.as_str())
            .filter(|gr| gr.split('.').next() == Some(plural.as_str()))
            .collect();
        if grs.is_empty() {
            out.push(format!(
                "orderedResources names {plural:?}, which is not a resource in the archive"
            ));
            continue;
        }
        for entry in list.split(',').filter(|e| !e.is_empty()) {
            let (ns, name) = match entry.split_once('/') {
                Some((ns, name)) => (Some(ns), name),
                None => (None, entry),
            };
            if !grs.iter().any(|gr| idx.position(gr, ns, name).is_some()) {
                out.push(format!("orderedResources lists {plural} {entry:?}, which is not in the archive; Velero ignores it"));
            }
        }
    }
    out
}

fn pv_bodies(loaded: &Backup) -> HashMap<usize, Value> {
    loaded
        .captured
        .iter()
        .filter_map(|c| {
            let name = c.entry.rsplit('/').next()?.strip_suffix(".json")?;
            let at = loaded.index.position("persistentvolumes", None, name)?;
            Some((at, serde_json::from_slice(&c.body).ok()?))
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn build_report<'a>(
    path: &Path,
    loaded: &'a Backup,
    sel: &'a Selection,
    version: VeleroVersion,
    explain: bool,
    hooks: &'a [HookRun],
    volumes: Option<&'a [VolumeDecision]>,
    warnings: Vec<String>,
) -> Report<'a> {
    let idx = &loaded.index;
    let decisions = &sel.preview.decisions;
    let mut included = Vec::new();
    let mut excluded = Vec::new();
    let mut per_resource: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut per_namespace: BTreeMap<&str, Tally> = BTreeMap::new();
    for (at, d) in decisions.iter().enumerate() {
        let mut o = item_out(idx, at);
        let r = per_resource.entry(o.resource).or_default();
        let n = o.namespace.map(|ns| per_namespace.entry(ns).or_default());
        match d {
            Decision::Included(via) => {
                r.included += 1;
                if let Some(n) = n {
                    n.included += 1;
                }
                o.via = via.as_ref().map(|v| via_text(idx, v));
                included.push(o);
            }
            Decision::Excluded(reason) => {
                r.excluded += 1;
                if let Some(n) = n {
                    n.excluded += 1;
                }
                o.reason = Some(*reason);
                excluded.push(o);
            }
        }
    }
    // Sections a partial sidecar read left out hold only items of namespaces the spec cannot
    // include: all excluded.
    let mut omitted = 0;
    for &(gr, ns, count) in &idx.omitted {
        omitted += count;
        per_resource.entry(idx.str(gr)).or_default().excluded += count;
        if let Some(ns) = ns {
            per_namespace.entry(idx.str(ns)).or_default().excluded += count;
        }
    }
    let mut counts = BTreeMap::new();
    counts.insert("included", Value::from(included.len()));
    counts.insert("excluded", Value::from(excluded.len() as u64 + omitted));
    counts.insert(
        "resources",
        per_resource
            .iter()
            .map(|(k, t)| serde_json::json!({"resource": k, "included": t.included, "excluded": t.excluded}))
            .collect(),
    );
    counts.insert(
        "namespaces",
        per_namespace
            .iter()
            .map(|(k, t)| serde_json::json!({"namespace": k, "included": t.included, "excluded": t.excluded}))
            .collect(),
    );
    let audit = sel.origin == SpecOrigin::Stored;
    let mut warnings = warnings;
    if audit && !excluded.is_empty() {
        warnings.push(format!(
            "{} archive items are not selected by the backup's own spec (see notSelected): plugins, a changed cluster or a hand-edited archive can explain them",
            excluded.len()
        ));
    }
    let not_selected = audit.then(|| {
        excluded
            .iter()
            .map(|e| ItemOut {
                resource: e.resource,
                namespace: e.namespace,
                name: e.name,
                via: None,
                reason: e.reason,
            })
            .collect()
    });
    Report {
        source: path.display().to_string(),
        spec_source: sel.origin,
        velero_version: version.to_string(),
        spec: &sel.spec,
        expanded_namespaces: sel
            .preview
            .expanded_namespaces
            .as_ref()
            .map(|(i, e)| BTreeMap::from([("includes", i.as_slice()), ("excludes", e.as_slice())])),
        included,
        excluded: explain.then_some(excluded),
        counts,
        hooks: hooks
            .iter()
            .map(|h| HookOut {
                phase: h.phase,
                source: h.source,
                hook: h.hook.as_deref(),
                pod: item_out(idx, h.pod),
                container: &h.container,
                command: &h.command,
                on_error: &h.on_error,
                timeout: &h.timeout,
            })
            .collect(),
        volumes: volumes.map(|v| {
            v.iter()
                .map(|d| VolumeOut {
                    persistent_volume: d.pv.map(|p| &*idx.items[p].name),
                    claim: d.pvc.map(|c| {
                        let i = &idx.items[c];
                        format!("{}/{}", idx.namespace(i).unwrap_or(""), i.name)
                    }),
                    action: d.action.as_deref(),
                    policy: d.policy,
                })
                .collect()
        }),
        not_selected,
        warnings,
    }
}

fn ns_name(o: &ItemOut<'_>) -> String {
    match o.namespace {
        Some(ns) => format!("{ns}/{}", o.name),
        None => o.name.to_string(),
    }
}

fn table(r: &Report<'_>, out: &mut impl Write) -> Result<()> {
    let origin = match r.spec_source {
        SpecOrigin::Flags => "from flags, normalised as the backup controller would",
        SpecOrigin::File => "from --spec, normalised as the backup controller would",
        SpecOrigin::FileAsStored => "from --spec, applied as stored (no normalisation)",
        SpecOrigin::Stored => "the backup's own stored spec (velero-backup.json), as stored",
        SpecOrigin::Default => "a backup without filters, normalised",
    };
    let n_inc = r.counts["included"].as_u64().unwrap_or(0);
    let n_exc = r.counts["excluded"].as_u64().unwrap_or(0);
    let related = r.included.iter().filter(|i| i.via.is_some()).count();
    let mut head = Table::plain();
    head.row(vec![
        "Spec:".into(),
        format!("{origin}; Velero {} rules", r.velero_version),
    ]);
    head.row(vec![
        "Selected:".into(),
        format!(
            "{n_inc} of {} items ({related} added as related items or CRDs)",
            n_inc + n_exc
        ),
    ]);
    if let Some(e) = &r.expanded_namespaces {
        head.row(vec![
            "Namespaces:".into(),
            format!(
                "expanded to includes [{}], excludes [{}]",
                e["includes"].join(", "),
                e["excludes"].join(", ")
            ),
        ]);
    }
    head.write(out)?;
    writeln!(out)?;
    let mut t = Table::new(&["RESOURCE", "INCLUDED", "EXCLUDED"]);
    for res in r.counts["resources"].as_array().into_iter().flatten() {
        t.row(vec![
            res["resource"].as_str().unwrap_or("").to_string(),
            res["included"].to_string(),
            res["excluded"].to_string(),
        ]);
    }
    t.write(out)?;
    if let Some(excluded) = &r.excluded {
        explain(out, &r.included, excluded)?;
    }
    if !r.hooks.is_empty() {
        writeln!(out, "\nHooks:")?;
        let mut t = Table::new(&[
            "PHASE",
            "POD",
            "CONTAINER",
            "COMMAND",
            "ON-ERROR",
            "TIMEOUT",
            "SOURCE",
        ]);
        for h in &r.hooks {
            t.row(vec![
                h.phase.into(),
                ns_name(&h.pod),
                h.container.into(),
                h.command.join(" "),
                h.on_error.into(),
                h.timeout.into(),
                match h.hook {
                    Some(name) => format!("spec hook {name:?}"),
                    None => "pod annotation".into(),
                },
            ]);
        }
        t.write(out)?;
    }
    if let Some(v) = &r.volumes {
        writeln!(out, "\nVolumes:")?;
        let mut t = Table::new(&["PERSISTENTVOLUME", "CLAIM", "ACTION", "POLICY"]);
        for d in v {
            t.row(vec![
                d.persistent_volume.unwrap_or("<none>").into(),
                d.claim.clone().unwrap_or_else(|| "<none>".into()),
                d.action.unwrap_or("<default>").into(),
                d.policy
                    .map_or("-".into(), |p| format!("volumePolicies[{p}]")),
            ]);
        }
        t.write(out)?;
    }
    if let Some(ns) = &r.not_selected
        && !ns.is_empty()
    {
        writeln!(
            out,
            "\nNot selected by the backup's own spec ({}):",
            ns.len()
        )?;
        let mut t = Table::new(&["RESOURCE", "ITEM", "REASON"]);
        for o in ns {
            t.row(vec![
                o.resource.into(),
                ns_name(o),
                o.reason.map_or("", |r| r.as_str()).into(),
            ]);
        }
        t.write(out)?;
    }
    crate::output::warnings_footer(out, &r.warnings)
}

/// Every item, grouped by resource: `+` included (with what pulled it in), `-` excluded with
/// the rule that decided, reasons aligned within a group.
fn explain(out: &mut impl Write, included: &[ItemOut<'_>], excluded: &[ItemOut<'_>]) -> Result<()> {
    let mut groups: BTreeMap<&str, Vec<(char, String, String)>> = BTreeMap::new();
    for i in included {
        let note = i
            .via
            .as_ref()
            .map(|v| format!("via {v}"))
            .unwrap_or_default();
        groups
            .entry(i.resource)
            .or_default()
            .push(('+', ns_name(i), note));
    }
    for e in excluded {
        let note = e.reason.map_or("", |r| r.as_str()).to_string();
        groups
            .entry(e.resource)
            .or_default()
            .push(('-', ns_name(e), note));
    }
    for (resource, mut rows) in groups {
        rows.sort_by(|a, b| a.1.cmp(&b.1));
        let inc = rows.iter().filter(|r| r.0 == '+').count();
        writeln!(
            out,
            "\n{resource} ({inc} included, {} excluded)",
            rows.len() - inc
        )?;
        let width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
        for (mark, name, note) in rows {
            let line = format!("  {mark} {name:<width$}   {note}");
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    Ok(())
}
