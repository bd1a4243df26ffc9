//! `preview`: what a Backup with a spec would have captured from the archive, item by item, with
//! the rule that decided, its hooks and its volume policies.

use crate::backup;
use crate::filters::BackupFilters;
use crate::selection::{self, Selection, SpecOrigin, via_text};
use crate::{Backup, Result, Session, spec};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use veloscope_archive::{ItemPath, VersionDir};
use veloscope_index::Index;
use veloscope_model::BackupSpec;
use veloscope_model::policy::ResourcePolicies;
use veloscope_select::hooks::{HookRun, backup_hooks};
use veloscope_select::volumes::{VolumeDecision, volume_actions};
use veloscope_select::{Decision, Reason, VeleroVersion};

/// What to preview: a spec file, the filter flags, or (on a backup folder with neither) the
/// backup's own stored spec.
#[derive(Debug, Clone, Copy)]
pub struct PreviewRequest<'a> {
    pub filters: &'a BackupFilters,
    pub spec: Option<&'a Path>,
    /// Apply the spec file as it is (no normalisation, no validation).
    pub as_stored: bool,
    pub velero_version: VeleroVersion,
    /// List the excluded items too.
    pub explain: bool,
}

#[derive(Debug, Serialize)]
pub struct ItemOut<'a> {
    pub resource: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    /// Its kind, as stored (for kubectl's `-o name` spelling; not part of the JSON contract).
    #[serde(skip)]
    pub kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

#[derive(Serialize, Default)]
struct Tally {
    included: u64,
    excluded: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookOut<'a> {
    pub phase: &'static str,
    pub source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook: Option<String>,
    pub pod: ItemOut<'a>,
    pub container: String,
    pub command: Vec<String>,
    pub on_error: String,
    pub timeout: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeOut<'a> {
    pub persistent_volume: Option<&'a str>,
    pub claim: Option<String>,
    pub action: Option<String>,
    pub policy: Option<usize>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewReport<'a> {
    pub source: String,
    pub spec_source: SpecOrigin,
    pub velero_version: String,
    pub spec: BackupSpec,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expanded_namespaces: Option<BTreeMap<&'static str, Vec<String>>>,
    pub included: Vec<ItemOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<Vec<ItemOut<'a>>>,
    pub counts: BTreeMap<&'static str, Value>,
    pub hooks: Vec<HookOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Vec<VolumeOut<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_selected: Option<Vec<ItemOut<'a>>>,
    pub warnings: Vec<String>,
}

fn item_out<'a>(idx: &'a Index, at: usize) -> ItemOut<'a> {
    let i = &idx.items[at];
    ItemOut {
        resource: idx.gr(i),
        namespace: idx.namespace(i),
        name: &i.name,
        kind: i.kind.map(|k| idx.str(k)),
        via: None,
        reason: None,
    }
}

impl PreviewRequest<'_> {
    fn policy(&self, limit: u64) -> Result<Option<ResourcePolicies>> {
        self.filters
            .resource_policy_file
            .as_deref()
            .map(|f| spec::policy(f, self.velero_version, limit).map(|p| p.0))
            .transpose()
    }
}

/// The PV bodies a resource policy's conditions read.
pub(crate) fn is_unversioned_pv(p: &ItemPath<'_>) -> bool {
    p.gr == "persistentvolumes" && p.version == VersionDir::Unversioned
}

impl Backup {
    /// What a Backup with this spec would have captured from the archive.
    pub fn preview(&self, r: &PreviewRequest<'_>, s: &Session<'_>) -> Result<PreviewReport<'_>> {
        let version = r.velero_version;
        let policy = r.policy(self.input_limit)?;
        let loaded = self;
        backup::require_valid(loaded)?;
        backup::report_warnings(loaded, s);
        let sel = selection::run(
            loaded,
            r.filters,
            r.spec.map(|f| (f, r.as_stored)),
            version,
            policy.as_ref(),
        )?;
        let idx = &loaded.index;
        let mut warnings = sel.resolver.warnings.clone();
        warnings.extend(sel.preview.warnings.iter().cloned());
        for name in selection::unresolvable(&sel.spec, &sel.resolver) {
            warnings.push(format!(
                "resource {name:?} resolves to nothing: Velero keeps it as a literal pattern, which matches no resource"
            ));
        }
        if sel.spec.resource_policy.is_some() && policy.is_none() {
            warnings.push("the spec names a resource-policy ConfigMap that is not in the archive: pass it with --resource-policy-file to apply its volume policies and includeExcludePolicy".into());
        }
        warnings.extend(ordered_resource_warnings(idx, &sel.spec));
        warnings.extend(crate::selection::unknown_namespaces(
            idx,
            &sel.spec.included_namespaces,
        ));
        if idx.resources.iter().any(|r| {
            r.resource.starts_with("volumesnapshot") || r.resource.starts_with("datauploads.")
        }) {
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
        .map_err(|e| crate::Error::usage_in(loaded.source.tarball().display(), e))?;
        let volumes = match policy.as_ref() {
            None => None,
            Some(p) => {
                let flags: Vec<bool> = decisions.iter().map(Decision::is_included).collect();
                let bodies = if loaded.captured.is_empty()
                    && !loaded.index.items_of("persistentvolumes").is_empty()
                {
                    pv_bodies(&loaded.index, &loaded.bodies(&is_unversioned_pv, s)?)
                } else {
                    pv_bodies(&loaded.index, &loaded.captured)
                };
                Some(volume_actions(idx, &flags, p, &bodies))
            }
        };
        Ok(build_report(
            loaded,
            &sel,
            version,
            r.explain,
            &hooks,
            volumes.as_deref(),
            warnings,
        ))
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

fn pv_bodies(index: &Index, captured: &[crate::Captured]) -> HashMap<usize, Value> {
    captured
        .iter()
        .filter_map(|c| {
            let name = c.entry.rsplit('/').next()?.strip_suffix(".json")?;
            let at = index.position("persistentvolumes", None, name)?;
            Some((at, crate::json::from_slice(&c.body).ok()?))
        })
        .collect()
}

fn build_report<'a>(
    loaded: &'a Backup,
    sel: &Selection,
    version: VeleroVersion,
    explain: bool,
    hooks: &[HookRun],
    volumes: Option<&[VolumeDecision]>,
    warnings: Vec<String>,
) -> PreviewReport<'a> {
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
                kind: e.kind,
                via: None,
                reason: e.reason,
            })
            .collect()
    });
    PreviewReport {
        source: loaded.named_as.clone(),
        spec_source: sel.origin,
        velero_version: version.to_string(),
        spec: sel.spec.clone(),
        expanded_namespaces: sel
            .preview
            .expanded_namespaces
            .as_ref()
            .map(|(i, e)| BTreeMap::from([("includes", i.clone()), ("excludes", e.clone())])),
        included,
        excluded: explain.then_some(excluded),
        counts,
        hooks: hooks
            .iter()
            .map(|h| HookOut {
                phase: h.phase,
                source: h.source,
                hook: h.hook.clone(),
                pod: item_out(idx, h.pod),
                container: h.container.clone(),
                command: h.command.clone(),
                on_error: h.on_error.clone(),
                timeout: h.timeout.clone(),
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
                    action: d.action.clone(),
                    policy: d.policy,
                })
                .collect()
        }),
        not_selected,
        warnings,
    }
}
