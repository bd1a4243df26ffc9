//! `plan`: what a `velero restore create` would do with a backup: the ordered steps, what is
//! skipped and why, hooks, and optionally every object rendered as Velero would create it and
//! compared with the target cluster's.

use crate::backup::{self, LoadOptions};
use crate::filters::RestoreFilters;
use crate::{Backup, Error, Result, Session, indexed};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use veloscope_archive::{ItemPath, ScanEvent, VersionDir};
use veloscope_diff::{IgnoreRule, Matcher, Options};
use veloscope_model::RestoreSpec;
use veloscope_model::sidefiles::{BackupVolumeInfo, NativeSnapshot, ObjectList, SideFile};
use veloscope_restore::checks::{crd_warnings, drop_undecodable, without_restore_labels};
use veloscope_restore::existing::{
    ExistingPolicy, PvRenames, decide_existing, rename_clashing_pvs,
};
use veloscope_restore::hooks::{RestoreHook, restore_hooks};
use veloscope_restore::{self as restore, Action, Plan, RenderContext, VolumeFacts, render};
use veloscope_select::resources::resolve_old;
use veloscope_select::{Reason, Resolver, VeleroVersion};

/// One step of the plan as `plan` prints it, read from the planner's step in place.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepOut<'s> {
    pub order: usize,
    pub resource: &'s str,
    pub namespace: Option<&'s str>,
    pub name: &'s str,
    pub target_namespace: Option<&'s str>,
    /// The name it is created under when not its own (a PV renamed on a clash); `name` stays
    /// the archive item's, as `namespace` does beside `targetNamespace`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_name: Option<&'s str>,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'s str>,
}

/// The plan's steps in restore order, each shown as a [`StepOut`] as it is read or printed:
/// a plan of millions of steps is not held a second time in its printed form.
#[derive(Debug)]
pub struct Steps<'a> {
    steps: Vec<restore::Step>,
    index: &'a veloscope_index::Index,
}

impl Steps<'_> {
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = StepOut<'_>> {
        self.steps.iter().enumerate().map(|(i, s)| StepOut {
            order: i + 1,
            resource: &s.resource,
            namespace: s.namespace.as_deref(),
            name: &s.name,
            target_namespace: s.target_namespace.as_deref(),
            target_name: s.target_name.as_deref(),
            action: s.action,
            via: s
                .via
                .map(|v| veloscope_select::preview::item_ref(self.index, v)),
            note: s.note.as_deref(),
        })
    }
}

impl Serialize for Steps<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[derive(Debug, Serialize)]
pub struct SkipOut<'a> {
    pub resource: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    pub reason: Reason,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanReport<'a> {
    pub source: String,
    pub velero_version: String,
    pub spec: RestoreSpec,
    pub steps: Steps<'a>,
    pub skipped: Vec<SkipOut<'a>>,
    pub hooks: Vec<RestoreHook>,
    pub summary: BTreeMap<&'static str, BTreeMap<String, BTreeMap<&'static str, u64>>>,
    /// Claims that will be re-provisioned empty (also the first warnings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub empty_claims: Vec<String>,
    /// Items not decoded (see [`crate::Scope::restore`]), not restored: namespace excluded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<OmittedOut<'a>>,
    pub warnings: Vec<String>,
}

fn spec_from_flags(a: &RestoreFilters) -> Result<RestoreSpec> {
    if a.selector.is_some() && a.or_selector.is_some() {
        return Err(Error::usage(
            "either a 'selector' or an 'or-selector' can be specified, but not both",
        ));
    }
    let mut mapping = BTreeMap::new();
    for pair in a
        .namespace_mappings
        .iter()
        .flat_map(|m| m.split(','))
        .filter(|p| !p.is_empty())
    {
        let Some((src, dst)) = pair.split_once(':') else {
            return Err(Error::usage(format!(
                "invalid --namespace-mappings entry {pair:?}: expected src:dst"
            )));
        };
        let (src, dst) = (src.trim(), dst.trim());
        if let Some(before) = mapping.insert(src.to_string(), dst.to_string())
            && before != dst
        {
            return Err(Error::usage(format!(
                "--namespace-mappings maps {src} twice (to {before} and to {dst}); Velero's CLI would silently keep the last"
            )));
        }
    }
    let status = (!a.status_include_resources.is_empty() || !a.status_exclude_resources.is_empty())
        .then(|| veloscope_model::restore::RestoreStatusSpec {
            included_resources: a.status_include_resources.clone(),
            excluded_resources: a.status_exclude_resources.clone(),
        });
    let (label_selector, or_label_selectors) =
        crate::spec::label_selectors(a.selector.as_deref(), a.or_selector.as_deref())?;
    Ok(RestoreSpec {
        included_namespaces: a.include_namespaces.clone(),
        excluded_namespaces: a.exclude_namespaces.clone(),
        included_resources: a.include_resources.clone(),
        excluded_resources: a.exclude_resources.clone(),
        namespace_mapping: mapping,
        label_selector,
        or_label_selectors,
        include_cluster_resources: a.include_cluster_resources,
        restore_pvs: a.restore_volumes,
        preserve_node_ports: a.preserve_nodeports,
        existing_resource_policy: a.existing_resource_policy.clone(),
        restore_status: status,
        ..RestoreSpec::default()
    })
}

/// How each PV's data was backed up, from the backup folder's side files.
fn volume_facts(loaded: &Backup, warnings: &mut Vec<String>) -> VolumeFacts {
    let mut f = VolumeFacts::default();
    let Some(folder) = loaded.source.folder() else {
        warnings.push("a bare tarball has no side files: PV decisions assume no snapshots and no pod volume backups".into());
        return f;
    };
    let mut read = |kind: SideFile| -> Option<Value> {
        folder.side_file::<Value>(kind).unwrap_or_else(|e| {
            warnings.push(format!("{e}; its volumes are planned without it"));
            None
        })
    };
    let as_list = |v: Option<Value>| -> Vec<Value> {
        v.and_then(|v| serde_json::from_value::<ObjectList>(v).ok())
            .unwrap_or_default()
    };
    for vi in read(SideFile::VolumeInfo)
        .and_then(|v| serde_json::from_value::<Vec<BackupVolumeInfo>>(v).ok())
        .unwrap_or_default()
    {
        if let Some(pv) = vi.pv_name {
            f.info.insert(pv, vi.backup_method.unwrap_or_default());
        }
    }
    for s in read(SideFile::VolumeSnapshots)
        .and_then(|v| serde_json::from_value::<Vec<NativeSnapshot>>(v).ok())
        .unwrap_or_default()
    {
        f.native.insert(s.spec.persistent_volume_name);
    }
    for pvb in as_list(read(SideFile::PodVolumeBackups)) {
        if let (Some(ns), Some(pvc)) = (
            pvb.pointer("/spec/pod/namespace").and_then(Value::as_str),
            pvb.pointer("/metadata/annotations/velero.io~1pvc-name")
                .and_then(Value::as_str),
        ) {
            f.pod_volume.insert((ns.to_string(), pvc.to_string()));
        }
    }
    for vs in as_list(read(SideFile::CsiVolumeSnapshots)) {
        if let (Some(ns), Some(pvc)) = (
            vs.pointer("/metadata/namespace").and_then(Value::as_str),
            vs.pointer("/spec/source/persistentVolumeClaimName")
                .and_then(Value::as_str),
        ) {
            f.csi.insert((ns.to_string(), pvc.to_string()));
        }
    }
    f
}

/// Items of a namespace a plan did not need to decode from the sidecar, all left out by the
/// filters (mostly the namespace filter), with why.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OmittedOut<'a> {
    pub resource: &'a str,
    pub namespace: Option<&'a str>,
    pub items: u64,
    pub reason: Reason,
}

impl Backup {
    /// What a restore with these flags (or `--spec`) would do with this backup.
    pub fn plan(&self, a: &RestoreFilters, s: &Session<'_>) -> Result<PlanReport<'_>> {
        let version = a.velero_version;
        let priorities = match &a.restore_resource_priorities {
            Some(p) => restore::parse_priorities(p).map_err(Error::usage_from)?,
            None => restore::default_priorities(version),
        };
        let (raw, spec_name) = match &a.spec {
            Some(f) => {
                let doc = crate::spec::read_document(f, self.input_limit)?;
                let spec = RestoreSpec::from_document(&doc)
                    .map_err(|e| Error::usage_in(f.display(), e))?;
                (spec, veloscope_model::spec_document::name_of(&doc))
            }
            None => (spec_from_flags(a)?, None),
        };
        let loaded = self;
        backup::report_warnings(loaded, s);
        let file = loaded.source.tarball().display().to_string();
        let spec = restore::prepare(raw).map_err(|errs| {
            Error::usage(format!(
                "{file}: the Restore would fail validation: {}",
                errs.join("; ")
            ))
        })?;
        if let Some(bad) = restore::invalid_mapping_targets(&spec).first() {
            return Err(Error::usage(format!("{file}: {bad}")));
        }
        let idx = &loaded.index;
        let resolver = Resolver::for_index(idx);
        let mut warnings = resolver.warnings.clone();
        warnings.extend(crate::selection::unknown_namespaces(
            idx,
            &spec.included_namespaces,
        ));
        let volumes = volume_facts(loaded, &mut warnings);
        let total = idx.items.len() as u64;
        let progress = |done| s.observer.work("planning", done, total);
        let plan = restore::plan(
            idx,
            &resolver,
            &spec,
            version,
            &priorities,
            &volumes,
            &progress,
        );
        s.observer.work_finished();
        let mut plan = plan.map_err(|e| Error::usage_in(&file, e))?;
        warnings.append(&mut plan.warnings);
        drop_undecodable(idx, &mut plan, &mut warnings);
        let restored: HashSet<&str> = plan.steps.iter().map(|s| s.resource.as_str()).collect();
        warnings.extend(restore::actions::cluster_dependent(
            &|gr| restored.contains(gr),
            !volumes.pod_volume.is_empty(),
            spec.resource_modifier.is_some(),
        ));
        if idx.items.is_empty() {
            warnings
                .push("zero items to be restored: resources/ does not exist in the archive".into());
        }
        let backup_name = loaded
            .source
            .folder()
            .map(|f| f.name.clone())
            .unwrap_or_else(|| {
                Path::new(&loaded.named_as)
                    .file_name()
                    .map(|n| {
                        n.to_string_lossy()
                            .split('.')
                            .next()
                            .unwrap_or("")
                            .to_string()
                    })
                    .unwrap_or_default()
            });
        // The Restore's own name: --restore-name, else the --spec manifest's; Velero's CLI would
        // name it BACKUP-TIMESTAMP, which a plan cannot know.
        let restore_name = a
            .restore_name
            .clone()
            .or(spec_name)
            .unwrap_or_else(|| format!("{backup_name}-restore"));
        let ctx = RenderContext {
            backup_name: &backup_name,
            restore_name: &restore_name,
            mapping: &spec.namespace_mapping,
            preserve_node_ports: spec.preserve_node_ports == Some(true),
            restore_pvs: spec.restore_pvs,
            restore_status: spec.restore_status.as_ref().map(|s| {
                resolve_old(
                    &resolver,
                    version,
                    &s.included_resources,
                    &s.excluded_resources,
                )
            }),
        };
        let existing = match &a.existing {
            Some(p) => Some(Existing::load(p, s)?),
            None => {
                warnings.push("conflicts with objects already in the target cluster were not checked (pass --existing)".into());
                None
            }
        };
        if a.render.is_some() || existing.is_some() {
            let rendered = second_pass(
                loaded,
                s,
                &mut plan,
                &ctx,
                a.render.as_deref(),
                existing.as_ref(),
                &spec,
            );
            // Half a render (a full disk, an unreadable item) must not be left for `kubectl
            // apply -f`: the folder held only rendered files, so they are cleared.
            if let (Err(_), Some(dir)) = (&rendered, a.render.as_deref()) {
                let _ = crate::output::prepare_render_dir(dir);
            }
            rendered?;
        }
        let exists = existing
            .as_ref()
            .map(|e| move |gr: &str, ns: Option<&str>, name: &str| e.has(gr, ns, name).is_some());
        warnings.extend(crd_warnings(
            idx,
            &resolver,
            &plan,
            exists
                .as_ref()
                .map(|f| f as &dyn Fn(&str, Option<&str>, &str) -> bool),
        ));
        let empty_claims = std::mem::take(&mut plan.empty_claims);
        warnings.splice(0..0, empty_claims.iter().cloned());
        let hooks = restore_hooks(idx, &resolver, version, &spec, &plan);
        if hooks.iter().any(|h| h.kind == "init") {
            warnings.push("velero.io/init-restore-hook: the init containers listed under hooks are put first in those pods' initContainers; --render does not show them".into());
        }
        let mut report = build(loaded, spec, version, plan, hooks, warnings);
        report.empty_claims = empty_claims;
        Ok(report)
    }
}

/// The target cluster's objects, by (resource, namespace, name), with their bodies.
struct Existing {
    keys: HashMap<(String, Option<String>, String), Vec<u8>>,
}

impl Existing {
    fn load(path: &Path, s: &Session<'_>) -> Result<Existing> {
        let source = backup::open_or_dump(path)?;
        let mut keys = HashMap::new();
        let lo = LoadOptions {
            progress_bar: false,
            build_index: false,
            parse_metadata: false,
            ..LoadOptions::default()
        };
        backup::load_with(source, s, lo, None, &mut |ev| {
            if let ScanEvent::Item(e) = ev
                && e.path.version == VersionDir::Unversioned
            {
                keys.insert(
                    (
                        e.path.gr.to_string(),
                        e.path.namespace.map(str::to_string),
                        e.path.name.to_string(),
                    ),
                    e.body.to_vec(),
                );
            }
        })
        .map_err(|e| Error::input_from(format!("--existing {}", path.display()), e))?;
        Ok(Existing { keys })
    }

    fn has(&self, gr: &str, ns: Option<&str>, name: &str) -> Option<&Vec<u8>> {
        self.keys
            .get(&(gr.to_string(), ns.map(str::to_string), name.to_string()))
    }
}

/// Reads the planned items' bodies: renders them in apply order, and against the target cluster
/// turns steps whose object exists into `skip` (policy none or no difference) or `update`.
fn second_pass(
    loaded: &Backup,
    s: &Session<'_>,
    plan: &mut Plan,
    ctx: &RenderContext<'_>,
    render_dir: Option<&Path>,
    existing: Option<&Existing>,
    spec: &RestoreSpec,
) -> Result<()> {
    let idx = &loaded.index;
    let mut render_to = render_dir.map(crate::output::RenderDir::open).transpose()?;
    let renames = existing.map_or_else(PvRenames::default, |e| {
        rename_clashing_pvs(idx, plan, spec, |pv| {
            e.has("persistentvolumes", None, pv).is_some()
        })
    });
    let width = plan.steps.len().to_string().len().max(4);
    let mut wanted: HashMap<usize, Vec<usize>> = HashMap::new();
    for (order, step) in plan.steps.iter().enumerate() {
        if let Some(at) = step.item {
            wanted.entry(at).or_default().push(order);
        }
    }
    let cleared: HashSet<(String, String)> = plan
        .reprovisioned
        .iter()
        .filter_map(|&pv| match &idx.items[pv].details {
            veloscope_archive::Details::Pv(p) => p
                .claim
                .as_ref()
                .map(|(n, c)| (n.to_string(), c.to_string())),
            _ => None,
        })
        .collect();
    let compare = Matcher::new(Options {
        ignore: [
            "metadata.uid",
            "metadata.resourceVersion",
            "metadata.generation",
            "metadata.creationTimestamp",
            "metadata.managedFields",
            "status",
        ]
        .into_iter()
        .filter_map(|r| IgnoreRule::parse(r).ok())
        .collect(),
        show_secrets: false,
        pending_budget: 0,
    });
    let mut rendered: HashMap<usize, Value> = HashMap::new();
    let lo = LoadOptions {
        progress_bar: false,
        ..LoadOptions::default()
    };
    let mut failure: Option<Error> = None;
    let file = loaded.source.tarball().display().to_string();
    let mut handle = |entry: &str, gr: &str, namespace: Option<&str>, name: &str, body: &[u8]| {
        if failure.is_some() {
            return;
        }
        let Some(at) = idx.position(gr, namespace, name) else {
            return;
        };
        let Some(orders) = wanted.get(&at) else {
            return;
        };
        // An item the plan restores must be rendered, or the render is wrong: never skip it.
        let body = match crate::error::parse_body(&file, entry, body) {
            Ok(body) => body,
            Err(e) => {
                failure = Some(e);
                return;
            }
        };
        for &order in orders {
            let step = &plan.steps[order];
            let clear = step.resource == "persistentvolumeclaims"
                && cleared.contains(&(
                    step.namespace.clone().unwrap_or_default(),
                    step.name.clone(),
                ));
            let mut obj = render(
                &step.resource,
                body.clone(),
                step.target_namespace.as_deref(),
                ctx,
                clear,
            );
            renames.rename(step, &mut obj);
            if let Some(out) = render_to.as_mut() {
                let ns = step
                    .target_namespace
                    .as_deref()
                    .map(|n| format!("{n}-"))
                    .unwrap_or_default();
                let fname = format!(
                    "{order:0width$}-{}-{ns}{}.yaml",
                    step.resource,
                    step.created_name().replace(['/', ':'], "_"),
                    order = order + 1
                );
                let text = veloscope_model::yaml::to_string(&obj);
                if let Err(err) = out.write(&fname, &text) {
                    failure = Some(err);
                }
            }
            rendered.insert(order, obj);
        }
    };
    // A few items are read at their seek points when the backup has a valid sidecar; many, or
    // none to seek by, in one pass over the archive.
    let reader = loaded
        .access
        .as_ref()
        .filter(|access| wanted.len() <= access.seek_points().max(16) / 2)
        .zip(indexed::ArchiveRef::of(&loaded.source));
    match reader {
        Some((access, archive)) => {
            let want = |p: &ItemPath<'_>| {
                p.version == VersionDir::Unversioned
                    && idx
                        .position(p.gr, p.namespace, p.name)
                        .is_some_and(|at| wanted.contains_key(&at))
            };
            for c in indexed::bodies(idx, access, &archive, &want, s)? {
                handle(&c.entry, &c.gr, c.namespace.as_deref(), &c.name, &c.body);
            }
        }
        None => backup::load_with(loaded.source.clone(), s, lo, None, &mut |ev| {
            if let ScanEvent::Item(e) = ev
                && e.path.version == VersionDir::Unversioned
            {
                handle(e.entry, e.path.gr, e.path.namespace, e.path.name, e.body);
            }
        })
        .map(drop)?,
    }
    if let Some(f) = failure {
        return Err(f);
    }
    if let Some(out) = render_to.as_mut() {
        for (order, step) in plan
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.item.is_none())
        {
            let fname = format!("{:0width$}-namespaces-{}.yaml", order + 1, step.name);
            let blank = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": step.name}});
            let text = veloscope_model::yaml::to_string(&blank);
            out.write(&fname, &text)?;
        }
    }
    let Some(existing) = existing else {
        return Ok(());
    };
    let policy = ExistingPolicy::of(spec);
    for (order, step) in plan.steps.iter_mut().enumerate() {
        let Some(current) = existing.has(
            &step.resource,
            step.target_namespace.as_deref(),
            step.created_name(),
        ) else {
            continue;
        };
        let ours = rendered.get(&order);
        let differs = ours.is_none_or(|obj| {
            let ours = serde_json::to_vec(&without_restore_labels(obj)).unwrap_or_default();
            let key = (
                step.resource.clone(),
                step.target_namespace.clone(),
                step.created_name().to_string(),
            );
            !matches!(compare.compare(&key, current, &ours), Ok(None))
        });
        let merged = || {
            serde_json::from_slice::<Value>(current)
                .ok()
                .zip(ours)
                .map(|(c, ours)| restore::merge_service_account::merged_fields(&c, ours))
                .unwrap_or_default()
        };
        decide_existing(step, policy, differs, merged);
    }
    Ok(())
}

fn build(
    loaded: &Backup,
    spec: RestoreSpec,
    version: VeleroVersion,
    plan: Plan,
    hooks: Vec<RestoreHook>,
    warnings: Vec<String>,
) -> PlanReport<'_> {
    let idx = &loaded.index;
    let omitted_reasons = plan.omitted_reasons.clone();
    let mut summary: BTreeMap<&'static str, BTreeMap<String, BTreeMap<&'static str, u64>>> =
        BTreeMap::new();
    for s in &plan.steps {
        let action = match s.action {
            Action::Create | Action::CreateNamespace => "create",
            Action::Update => "update",
            Action::Skip => "skip",
        };
        *summary
            .entry("resources")
            .or_default()
            .entry(s.resource.clone())
            .or_default()
            .entry(action)
            .or_default() += 1;
        if let Some(ns) = &s.target_namespace {
            *summary
                .entry("namespaces")
                .or_default()
                .entry(ns.clone())
                .or_default()
                .entry(action)
                .or_default() += 1;
        }
    }
    let steps = Steps {
        steps: plan.steps,
        index: idx,
    };
    let skipped: Vec<SkipOut<'_>> = plan
        .skipped
        .into_iter()
        .map(|s| {
            let item = &idx.items[s.item];
            *summary
                .entry("resources")
                .or_default()
                .entry(idx.gr(item).to_string())
                .or_default()
                .entry("skipped")
                .or_default() += 1;
            SkipOut {
                resource: idx.gr(item),
                namespace: idx.namespace(item),
                name: &item.name,
                reason: s.reason,
                note: s.note,
            }
        })
        .collect();
    PlanReport {
        source: loaded.named_as.clone(),
        velero_version: version.to_string(),
        spec,
        steps,
        skipped,
        hooks,
        summary,
        empty_claims: Vec::new(),
        omitted: idx
            .omitted
            .iter()
            .zip(&omitted_reasons)
            .map(|(&(gr, ns, items), &reason)| OmittedOut {
                resource: idx.str(gr),
                namespace: ns.map(|n| idx.str(n)),
                items,
                reason,
            })
            .collect(),
        warnings,
    }
}
