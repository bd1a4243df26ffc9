use crate::args::{Format, Global, RestoreFilters};
use crate::output::{Table, emit};
use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use veloscope_archive::{ItemPath, ScanEvent, VersionDir};
use veloscope_core::Session;
use veloscope_core::backup::{self, Backup, LoadOptions};
use veloscope_core::sidecar;
use veloscope_core::spec::read_document;
use veloscope_diff::{IgnoreRule, Matcher, Options};
use veloscope_index::Index;
use veloscope_model::RestoreSpec;
use veloscope_model::catalogue::Origin;
use veloscope_model::sidefiles::{BackupVolumeInfo, NativeSnapshot, ObjectList, SideFile};
use veloscope_select::render::{RenderContext, render};
use veloscope_select::resources::resolve_old;
use veloscope_select::restore::{self, Action, Plan, VolumeFacts};
use veloscope_select::{Reason, Resolver, VeleroVersion};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StepOut<'a> {
    order: usize,
    resource: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    target_namespace: Option<&'a str>,
    action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct SkipOut<'a> {
    resource: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    reason: Reason,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HookOut {
    kind: &'static str,
    source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hook: Option<String>,
    pod: String,
    detail: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    source: String,
    velero_version: String,
    spec: &'a RestoreSpec,
    steps: Vec<StepOut<'a>>,
    skipped: Vec<SkipOut<'a>>,
    hooks: Vec<HookOut>,
    summary: BTreeMap<&'static str, BTreeMap<String, BTreeMap<&'static str, u64>>>,
    warnings: Vec<String>,
}

fn spec_from_flags(a: &RestoreFilters) -> Result<RestoreSpec> {
    if a.selector.is_some() && a.or_selector.is_some() {
        bail!("either a 'selector' or an 'or-selector' can be specified, but not both");
    }
    let mut mapping = BTreeMap::new();
    for pair in a
        .namespace_mappings
        .iter()
        .flat_map(|m| m.split(','))
        .filter(|p| !p.is_empty())
    {
        let Some((src, dst)) = pair.split_once(':') else {
            bail!("invalid --namespace-mappings entry {pair:?}: expected src:dst");
        };
        mapping.insert(src.trim().to_string(), dst.trim().to_string());
    }
    let status = (!a.status_include_resources.is_empty() || !a.status_exclude_resources.is_empty())
        .then(|| veloscope_model::restore::RestoreStatusSpec {
            included_resources: a.status_include_resources.clone(),
            excluded_resources: a.status_exclude_resources.clone(),
        });
    let (label_selector, or_label_selectors) =
        veloscope_core::spec::label_selectors(a.selector.as_deref(), a.or_selector.as_deref())?;
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

pub fn run(
    path: &Path,
    a: &RestoreFilters,
    g: &Global,
    s: &Session<'_>,
    out: &mut impl Write,
) -> Result<()> {
    let version: VeleroVersion = a.velero_version.parse().map_err(|e: String| anyhow!(e))?;
    let priorities = match &a.restore_resource_priorities {
        Some(p) => restore::parse_priorities(p).map_err(|e| anyhow!(e))?,
        None => restore::default_priorities(version),
    };
    let raw = match &a.spec {
        Some(f) => RestoreSpec::from_document(&read_document(f)?)
            .map_err(|e| anyhow!("{}: {e}", f.display()))?,
        None => spec_from_flags(a)?,
    };
    let loaded = backup::load(path, s, None)?;
    backup::report_warnings(&loaded, s);
    let file = loaded.source.tarball().display().to_string();
    let spec = restore::prepare(raw).map_err(|errs| {
        anyhow!(
            "{file}: the Restore would fail validation: {}",
            errs.join("; ")
        )
    })?;
    let idx = &loaded.index;
    let resolver = Resolver::for_index(idx);
    let mut warnings = resolver.warnings.clone();
    let volumes = volume_facts(&loaded, &mut warnings);
    let mut plan = restore::plan(idx, &resolver, &spec, version, &priorities, &volumes)
        .map_err(|e| anyhow!("{file}: {e}"))?;
    warnings.append(&mut plan.warnings);
    drop_undecodable(idx, &mut plan, &mut warnings);
    if idx.items.is_empty() {
        warnings.push("zero items to be restored: resources/ does not exist in the archive".into());
    }
    let backup_name = loaded
        .source
        .folder()
        .map(|f| f.name.clone())
        .unwrap_or_else(|| {
            path.file_name()
                .map(|n| {
                    n.to_string_lossy()
                        .split('.')
                        .next()
                        .unwrap_or("")
                        .to_string()
                })
                .unwrap_or_default()
        });
    let restore_name = a
        .restore_name
        .clone()
        .unwrap_or_else(|| format!("{backup_name}-restore"));
    let ctx = RenderContext {
        backup_name: &backup_name,
        restore_name: &restore_name,
        mapping: &spec.namespace_mapping,
        preserve_node_ports: spec.preserve_node_ports == Some(true),
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
        second_pass(
            &loaded,
            s,
            &mut plan,
            &ctx,
            a.render.as_deref(),
            existing.as_ref(),
            &spec,
        )?;
    }
    warnings.extend(crd_warnings(idx, &resolver, &plan, existing.as_ref()));
    let hooks = restore_hooks(idx, &resolver, version, &spec, &plan);
    let report = build(path, idx, &spec, version, &plan, hooks, warnings);
    match g.output {
        Format::Table => table(&report, out),
        f => emit(out, f, &report),
    }
}

/// Items whose JSON does not decode: Velero records an error for each and goes on.
fn drop_undecodable(idx: &Index, plan: &mut Plan, warnings: &mut Vec<String>) {
    let mut bad = HashSet::new();
    for inv in &idx.invalid {
        warnings.push(format!("error decoding {:?}: {}", inv.entry, inv.message));
        if let Ok(veloscope_archive::EntryPath::Item(p)) =
            veloscope_archive::path::classify(&inv.entry)
            && let Some(at) = idx.position(p.gr, p.namespace, p.name)
        {
            bad.insert(at);
        }
    }
    if bad.is_empty() {
        return;
    }
    plan.steps
        .retain(|s| s.item.is_none_or(|at| !bad.contains(&at)));
    plan.skipped.retain(|s| !bad.contains(&s.item));
    plan.skipped
        .extend(bad.into_iter().map(|item| restore::Skip {
            item,
            reason: Reason::DecodeError,
            note: None,
        }));
    plan.skipped.sort_by_key(|s| s.item);
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
        .with_context(|| format!("--existing {}", path.display()))?;
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
    if let Some(dir) = render_dir {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
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
    let mut failure: Option<anyhow::Error> = None;
    let mut handle = |gr: &str, namespace: Option<&str>, name: &str, body: &[u8]| {
        if failure.is_some() {
            return;
        }
        let Some(at) = idx.position(gr, namespace, name) else {
            return;
        };
        let Some(orders) = wanted.get(&at) else {
            return;
        };
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return;
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
            if step.resource == "namespaces"
                && let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut)
            {
                m.insert("name".into(), Value::String(step.name.clone()));
            }
            if let Some(dir) = render_dir {
                let ns = step
                    .target_namespace
                    .as_deref()
                    .map(|n| format!("{n}-"))
                    .unwrap_or_default();
                let fname = format!(
                    "{order:0width$}-{}-{ns}{}.yaml",
                    step.resource,
                    step.name.replace(['/', ':'], "_"),
                    order = order + 1
                );
                let text = serde_yaml::to_string(&obj).unwrap_or_default();
                if let Err(err) = std::fs::write(dir.join(&fname), text) {
                    failure = Some(anyhow!("{}: {err}", dir.join(fname).display()));
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
        .zip(sidecar::ArchiveRef::of(&loaded.source));
    match reader {
        Some((access, archive)) => {
            let want = |p: &ItemPath<'_>| {
                p.version == VersionDir::Unversioned
                    && idx
                        .position(p.gr, p.namespace, p.name)
                        .is_some_and(|at| wanted.contains_key(&at))
            };
            for c in sidecar::bodies(idx, access, &archive, &want, s)? {
                handle(&c.gr, c.namespace.as_deref(), &c.name, &c.body);
            }
        }
        None => backup::load_with(loaded.source.clone(), s, lo, None, &mut |ev| {
            if let ScanEvent::Item(e) = ev
                && e.path.version == VersionDir::Unversioned
            {
                handle(e.path.gr, e.path.namespace, e.path.name, e.body);
            }
        })
        .map(drop)?,
    }
    if let Some(f) = failure {
        return Err(f);
    }
    if let Some(dir) = render_dir {
        for (order, step) in plan
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.item.is_none())
        {
            let fname = format!("{:0width$}-namespaces-{}.yaml", order + 1, step.name);
            let blank = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": step.name}});
            std::fs::write(dir.join(&fname), serde_yaml::to_string(&blank)?)
                .with_context(|| dir.join(fname).display().to_string())?;
        }
    }
    let Some(existing) = existing else {
        return Ok(());
    };
    let update = spec.existing_resource_policy.as_deref() == Some("update");
    for (order, step) in plan.steps.iter_mut().enumerate() {
        let Some(current) =
            existing.has(&step.resource, step.target_namespace.as_deref(), &step.name)
        else {
            continue;
        };
        let differs = rendered.get(&order).is_none_or(|obj| {
            let ours = serde_json::to_vec(&without_restore_labels(obj)).unwrap_or_default();
            let key = (
                step.resource.clone(),
                step.target_namespace.clone(),
                step.name.clone(),
            );
            !matches!(compare.compare(&key, current, &ours), Ok(None))
        });
        (step.action, step.note) = match (update, differs) {
            (true, true) => (
                Action::Update,
                Some("exists and differs: patched (existingResourcePolicy update)".into()),
            ),
            (_, false) => (Action::Skip, Some("exists, unchanged".into())),
            (false, true) => (
                Action::Skip,
                Some(
                    "exists and differs: left as is (existingResourcePolicy none); Velero warns"
                        .into(),
                ),
            ),
        };
    }
    Ok(())
}

/// The object as it was before Velero labelled it, to compare with what the cluster has.
fn without_restore_labels(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
            labels.remove("velero.io/backup-name");
            labels.remove("velero.io/restore-name");
        }
        if meta
            .get("labels")
            .and_then(Value::as_object)
            .is_some_and(|l| l.is_empty())
        {
            meta.remove("labels");
        }
    }
    o
}

/// Custom resources whose CRD is neither restored nor already in the target cluster.
fn crd_warnings(
    idx: &Index,
    resolver: &Resolver,
    plan: &Plan,
    existing: Option<&Existing>,
) -> Vec<String> {
    let crd = "customresourcedefinitions.apiextensions.k8s.io";
    let restored: HashSet<&str> = plan
        .steps
        .iter()
        .filter(|s| s.resource == crd)
        .map(|s| s.name.as_str())
        .collect();
    let mut grs: Vec<&str> = plan.steps.iter().map(|s| s.resource.as_str()).collect();
    grs.sort();
    grs.dedup();
    let mut out = Vec::new();
    for gr in grs {
        let builtin = resolver.info(gr).is_some_and(|i| {
            i.origin == Origin::Builtin
                && !gr.ends_with(".velero.io")
                && !gr.contains("snapshot.storage.k8s.io")
        });
        if builtin || restored.contains(gr) {
            continue;
        }
        match existing {
            Some(e) if e.has(crd, None, gr).is_some() => {}
            Some(_) => out.push(format!("{gr}: will fail: no CRD (neither restored nor in the target cluster)")),
            None => out.push(format!("{gr}: its CRD is not restored ({}); the restore fails unless the cluster already has it",
                if idx.position(crd, None, gr).is_some() { "excluded by the filters" } else { "not in the archive" })),
        }
    }
    out
}

/// Restore hooks: the spec's postHooks (exec and init) and the pods' own annotations.
fn restore_hooks(
    idx: &Index,
    resolver: &Resolver,
    version: VeleroVersion,
    spec: &RestoreSpec,
    plan: &Plan,
) -> Vec<HookOut> {
    let mut out = Vec::new();
    for step in plan
        .steps
        .iter()
        .filter(|s| s.resource == "pods" && s.action != Action::Skip)
    {
        let Some(at) = step.item else { continue };
        let item = &idx.items[at];
        let pod = format!(
            "{}/{}",
            step.target_namespace.as_deref().unwrap_or(""),
            step.name
        );
        let ann = |k: &str| idx.annotation(item, k).filter(|v| !v.is_empty());
        if let Some(cmd) = ann("post.hook.restore.velero.io/command") {
            let container =
                ann("post.hook.restore.velero.io/container").unwrap_or("<first container>");
            out.push(HookOut {
                kind: "exec",
                source: "annotation",
                hook: None,
                pod: pod.clone(),
                detail: format!(
                    "{container}: {cmd} (on-error {}, exec-timeout {})",
                    ann("post.hook.restore.velero.io/on-error").unwrap_or("Continue"),
                    ann("post.hook.restore.velero.io/exec-timeout").unwrap_or("30s")
                ),
            });
        }
        if let Some(image) = ann("init.hook.restore.velero.io/container-image") {
            out.push(HookOut {
                kind: "init",
                source: "annotation",
                hook: None,
                pod: pod.clone(),
                detail: format!(
                    "{} ({image}): {}",
                    ann("init.hook.restore.velero.io/container-name").unwrap_or("restore-init"),
                    ann("init.hook.restore.velero.io/command").unwrap_or("")
                ),
            });
        }
        let ns = idx.namespace(item).unwrap_or("");
        for h in &spec.hooks.resources {
            let nsie = veloscope_select::IncludesExcludes::new(
                &h.included_namespaces,
                &h.excluded_namespaces,
            );
            let rie = resolve_old(
                resolver,
                version,
                &h.included_resources,
                &h.excluded_resources,
            );
            let sel_ok = h
                .label_selector
                .as_ref()
                .and_then(|s| s.to_selector().ok())
                .is_none_or(|s| s.matches(|k| idx.label(item, k)));
            if !(nsie.should_include(ns) && rie.should_include("pods") && sel_ok) {
                continue;
            }
            for ph in &h.post_hooks {
                if let Some(e) = &ph.exec {
                    let c = if e.container.is_empty() {
                        "<first container>"
                    } else {
                        &e.container
                    };
                    out.push(HookOut {
                        kind: "exec",
                        source: "spec",
                        hook: Some(h.name.clone()),
                        pod: pod.clone(),
                        detail: format!(
                            "{c}: {} (on-error {}, exec-timeout {})",
                            e.command.join(" "),
                            e.on_error.as_deref().unwrap_or("Continue"),
                            e.exec_timeout.as_deref().unwrap_or("30s")
                        ),
                    });
                }
                if let Some(i) = &ph.init {
                    let names: Vec<&str> = i
                        .init_containers
                        .iter()
                        .filter_map(|c| c.get("name").and_then(Value::as_str))
                        .collect();
                    out.push(HookOut {
                        kind: "init",
                        source: "spec",
                        hook: Some(h.name.clone()),
                        pod: pod.clone(),
                        detail: format!("init containers: {}", names.join(", ")),
                    });
                }
            }
        }
    }
    out
}

fn build<'a>(
    path: &Path,
    idx: &'a Index,
    spec: &'a RestoreSpec,
    version: VeleroVersion,
    plan: &'a Plan,
    hooks: Vec<HookOut>,
    warnings: Vec<String>,
) -> Report<'a> {
    let mut summary: BTreeMap<&'static str, BTreeMap<String, BTreeMap<&'static str, u64>>> =
        BTreeMap::new();
    let steps: Vec<StepOut<'a>> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
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
            StepOut {
                order: i + 1,
                resource: &s.resource,
                namespace: s.namespace.as_deref(),
                name: &s.name,
                target_namespace: s.target_namespace.as_deref(),
                action: s.action,
                via: s.via.map(|v| veloscope_select::preview::item_ref(idx, v)),
                note: s.note.as_deref(),
            }
        })
        .collect();
    let skipped: Vec<SkipOut<'a>> = plan
        .skipped
        .iter()
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
                note: s.note.as_deref(),
            }
        })
        .collect();
    Report {
        source: path.display().to_string(),
        velero_version: version.to_string(),
        spec,
        steps,
        skipped,
        hooks,
        summary,
        warnings,
    }
}

fn table(r: &Report<'_>, out: &mut impl Write) -> Result<()> {
    let count = |a: Action| r.steps.iter().filter(|s| s.action == a).count();
    writeln!(
        out,
        "Restore plan (Velero {} rules): {} steps — {} create, {} namespaces created on demand, {} update, {} skip; {} archive items not restored\n",
        r.velero_version,
        r.steps.len(),
        count(Action::Create),
        count(Action::CreateNamespace),
        count(Action::Update),
        count(Action::Skip),
        r.skipped.len()
    )?;
    let mut t = Table::new(&["ORDER", "ACTION", "RESOURCE", "NAMESPACE", "NAME", "NOTE"]);
    for s in &r.steps {
        let ns = match (s.namespace, s.target_namespace) {
            (Some(src), Some(dst)) if src != dst => format!("{src} → {dst}"),
            (_, Some(dst)) => dst.to_string(),
            _ => String::new(),
        };
        let mut note = s.note.unwrap_or("").to_string();
        if let Some(v) = &s.via {
            note = if note.is_empty() {
                format!("via {v}")
            } else {
                format!("via {v}; {note}")
            };
        }
        let action = match s.action {
            Action::Create => "create",
            Action::CreateNamespace => "create-namespace",
            Action::Update => "update",
            Action::Skip => "skip",
        };
        t.row(vec![
            s.order.to_string(),
            action.into(),
            s.resource.into(),
            ns,
            s.name.into(),
            note,
        ]);
    }
    t.write(out)?;
    if !r.skipped.is_empty() {
        writeln!(out, "\nNot restored ({}):", r.skipped.len())?;
        let mut t = Table::new(&["RESOURCE", "ITEM", "REASON"]);
        for s in &r.skipped {
            let item = match s.namespace {
                Some(ns) => format!("{ns}/{}", s.name),
                None => s.name.to_string(),
            };
            let reason = match s.note {
                Some(n) => format!("{}: {n}", s.reason),
                None => s.reason.to_string(),
            };
            t.row(vec![s.resource.into(), item, reason]);
        }
        t.write(out)?;
    }
    if !r.hooks.is_empty() {
        writeln!(out, "\nHooks:")?;
        let mut t = Table::new(&["KIND", "POD", "HOOK", "SOURCE"]);
        for h in &r.hooks {
            t.row(vec![
                h.kind.into(),
                h.pod.clone(),
                h.detail.clone(),
                h.hook
                    .clone()
                    .map_or("pod annotation".into(), |n| format!("spec hook {n:?}")),
            ]);
        }
        t.write(out)?;
    }
    crate::output::warnings_footer(out, &r.warnings)
}
