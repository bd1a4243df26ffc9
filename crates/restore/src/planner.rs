//! What a Velero restore would do with the archive (format reference §3.9, §5): Velero's
//! validation, the resource and namespace filters on source names, the cluster-scoped rules,
//! selectors, must-have resources, the restore order (CRDs, the priority lists, the rest sorted),
//! related items pulled in by restore actions, the items restore skips, per-PV decisions, and
//! namespaces created on demand under their mapped names.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use veloscope_archive::Details;
use veloscope_index::Index;
use veloscope_model::{RestoreSpec, Selector};
use veloscope_select::namespaces::should_expand;
use veloscope_select::resources::resolve_old;
use veloscope_select::validate;
use veloscope_select::{
    GlobPattern, IncludesExcludes, Reason, Resolution, Resolver, SelectError, VeleroVersion,
};

/// `nonRestorableResources` of the restore controller.
pub const NON_RESTORABLE: &[&str] = &[
    "nodes",
    "events",
    "events.events.k8s.io",
    "backups.velero.io",
    "restores.velero.io",
    "resticrepositories.velero.io",
    "csinodes.storage.k8s.io",
    "volumeattachments.storage.k8s.io",
    "backuprepositories.velero.io",
];

/// The default restore priorities of a Velero release (`defaultRestorePriorities`): (high, low).
pub fn default_priorities(v: VeleroVersion) -> (Vec<String>, Vec<String>) {
    let mut high: Vec<&str> = vec![
        "customresourcedefinitions",
        "namespaces",
        "storageclasses",
        "volumesnapshotclass.snapshot.storage.k8s.io",
        "volumesnapshotcontents.snapshot.storage.k8s.io",
        "volumesnapshots.snapshot.storage.k8s.io",
    ];
    if v >= VeleroVersion::new(1, 12) {
        high.push("datauploads.velero.io");
    }
    high.extend(["persistentvolumes", "persistentvolumeclaims"]);
    if v >= VeleroVersion::new(1, 18) {
        high.extend(["clusterroles", "roles"]);
    }
    if v >= VeleroVersion::new(1, 12) {
        high.push("serviceaccounts");
        if v >= VeleroVersion::new(1, 18) {
            high.extend(["clusterrolebindings", "rolebindings"]);
        }
        high.extend(["secrets", "configmaps", "limitranges"]);
    } else {
        high.extend(["secrets", "configmaps", "serviceaccounts", "limitranges"]);
    }
    if v >= VeleroVersion::new(1, 17) {
        high.push("priorityclasses");
    }
    high.extend([
        "pods",
        "replicasets.apps",
        "clusterclasses.cluster.x-k8s.io",
    ]);
    if v >= VeleroVersion::new(1, 12) {
        high.extend(["endpoints", "services"]);
    }
    let mut low = vec![
        "clusterbootstraps.run.tanzu.vmware.com",
        "clusters.cluster.x-k8s.io",
        "clusterresourcesets.addons.cluster.x-k8s.io",
    ];
    if v >= VeleroVersion::new(1, 15) {
        low.extend([
            "apps.kappctrl.k14s.io",
            "packageinstalls.packaging.carvel.dev",
        ]);
    }
    let own = |v: Vec<&str>| v.into_iter().map(str::to_string).collect();
    (own(high), own(low))
}

/// `--restore-resource-priorities a,b,-,c`: before `-` high, after low; no `-` all high.
pub fn parse_priorities(text: &str) -> Result<(Vec<String>, Vec<String>), SelectError> {
    let items: Vec<String> = text
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let dashes = items.iter().filter(|s| *s == "-").count();
    if dashes > 1 {
        return Err(SelectError::Invalid(format!(
            "invalid restore resource priorities {text:?}: at most one '-' separates high from low priorities"
        )));
    }
    match items.iter().position(|s| s == "-") {
        Some(i) => Ok((items[..i].to_vec(), items[i + 1..].to_vec())),
        None => Ok((items, vec![])),
    }
}

/// `getOrderedResources`: high (verbatim), then every archive group-resource not string-equal to
/// a priority entry sorted byte-wise, then low.
pub fn ordered_resources(high: &[String], low: &[String], archive: &[String]) -> Vec<String> {
    let listed: HashSet<&str> = high.iter().chain(low).map(String::as_str).collect();
    let mut middle: Vec<String> = archive
        .iter()
        .filter(|g| !listed.contains(g.as_str()))
        .cloned()
        .collect();
    middle.sort();
    high.iter()
        .cloned()
        .chain(middle)
        .chain(low.iter().cloned())
        .collect()
}

/// `validateAndComplete`: non-restorable resources appended to the excludes, then Velero's checks.
pub fn prepare(mut spec: RestoreSpec) -> Result<RestoreSpec, veloscope_model::ValidationErrors> {
    for n in NON_RESTORABLE {
        if !spec.excluded_resources.iter().any(|e| e == n) {
            spec.excluded_resources.push(n.to_string());
        }
    }
    let mut errs = Vec::new();
    for n in NON_RESTORABLE {
        if spec.included_resources.iter().any(|i| i == n) {
            errs.push(format!("{n} are non-restorable resources"));
        }
    }
    errs.extend(
        validate::includes_excludes(&spec.included_resources, &spec.excluded_resources)
            .into_iter()
            .map(|e| format!("Invalid included/excluded resource lists: {e}")),
    );
    errs.extend(
        validate::includes_excludes(&spec.included_namespaces, &spec.excluded_namespaces)
            .into_iter()
            .map(|e| format!("Invalid included/excluded namespace lists: {e}")),
    );
    if spec.or_label_selectors.is_some() && spec.label_selector.is_some() {
        errs.push("encountered labelSelector as well as orLabelSelectors in restore spec, only one can be specified".into());
    }
    if let Some(p) = &spec.existing_resource_policy
        && !p.is_empty()
        && p != "none"
        && p != "update"
    {
        errs.push(format!("Invalid ExistingResourcePolicy: {p}"));
    }
    if errs.is_empty() {
        Ok(spec)
    } else {
        Err(veloscope_model::ValidationErrors(errs))
    }
}

/// Mappings whose target is not a valid namespace name. Velero accepts the Restore and then
/// fails to create each object there; a plan refuses it before anything is rendered.
pub fn invalid_mapping_targets(spec: &RestoreSpec) -> Vec<String> {
    spec.namespace_mapping
        .iter()
        .filter(|(_, dst)| !veloscope_model::selector::is_dns1123_label(dst))
        .map(|(src, dst)| format!("namespace mapping {src}:{dst}: {dst:?} is not a valid namespace name (lowercase letters, digits and '-', at most 63 characters); Velero would fail to create the objects mapped there"))
        .collect()
}

/// How a PV's data was backed up, from the side files (format reference §5.5).
#[derive(Debug, Clone, Default)]
pub struct VolumeFacts {
    /// `-volumeinfo.json.gz`: PV name → backup method ("" when the data was skipped).
    pub info: HashMap<String, String>,
    /// PV names with a native snapshot record (`-volumesnapshots.json.gz`).
    pub native: HashSet<String>,
    /// (namespace, PVC) with a PodVolumeBackup (`velero.io/pvc-name` annotation).
    pub pod_volume: HashSet<(String, String)>,
    /// (namespace, PVC) with a legacy CSI VolumeSnapshot (`-csi-volumesnapshots.json.gz`).
    pub csi: HashSet<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    /// A namespace created on demand (from the archived Namespace object when there is one).
    CreateNamespace,
    Update,
    Skip,
}

#[derive(Debug, Clone)]
pub struct Step {
    /// The archive item; None for a namespace created blank (no Namespace object archived).
    pub item: Option<usize>,
    pub resource: String,
    /// Source namespace.
    pub namespace: Option<String>,
    pub name: String,
    pub target_namespace: Option<String>,
    /// The name it is created under, when not its own (a PV renamed on a clash).
    pub target_name: Option<String>,
    pub action: Action,
    /// The item whose restore action pulled this one in.
    pub via: Option<usize>,
    pub note: Option<String>,
}

impl Step {
    /// The name the object is created under.
    pub fn created_name(&self) -> &str {
        self.target_name.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone)]
pub struct Skip {
    pub item: usize,
    pub reason: Reason,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub skipped: Vec<Skip>,
    pub warnings: Vec<String>,
    /// Claims that will be re-provisioned empty, said before every other warning.
    pub empty_claims: Vec<String>,
    /// PVs whose claims get their `spec.volumeName` cleared (dynamically re-provisioned).
    pub reprovisioned: HashSet<usize>,
    /// PVs restored from a native snapshot (renamed when they clash, see `plan` in the core).
    pub from_snapshot: HashSet<usize>,
    /// Why the items of each section the index did not decode are not restored, by position in
    /// `Index::omitted` (only sections no restore of the filtered namespaces can reach).
    pub omitted_reasons: Vec<Reason>,
}

struct Planner<'a> {
    index: &'a Index,
    resolver: &'a Resolver,
    spec: &'a RestoreSpec,
    version: VeleroVersion,
    volumes: &'a VolumeFacts,
    resources: IncludesExcludes,
    namespaces: IncludesExcludes,
    single: Selector,
    any: Vec<Option<Selector>>,
    must_have: Vec<&'static str>,
    restored: HashSet<usize>,
    created_namespaces: HashSet<String>,
    /// Service accounts created so far, by target namespace (Velero's secret action looks for
    /// a token secret's account among the accounts in the cluster when the secret comes).
    accounts: HashMap<String, Vec<String>>,
    plan: Plan,
}

/// Plans the restore of `spec` (already through [`prepare`]) from `index`.
pub fn plan(
    index: &Index,
    resolver: &Resolver,
    spec: &RestoreSpec,
    version: VeleroVersion,
    priorities: &(Vec<String>, Vec<String>),
    volumes: &VolumeFacts,
    progress: &dyn Fn(u64),
) -> Result<Plan, SelectError> {
    let single = match &spec.label_selector {
        Some(s) => s.to_selector()?,
        None => Selector::everything(),
    };
    let any = veloscope_model::LabelSelector::to_selectors(&spec.or_label_selectors)?;
    let mut warnings = Vec::new();
    let namespaces = if should_expand(&spec.included_namespaces, &spec.excluded_namespaces)
        && version >= VeleroVersion::new(1, 18)
    {
        if spec.excluded_namespaces.iter().any(|e| e == "*") {
            return Err(SelectError::Invalid(
                "wildcard '*' is not allowed in restore excludes".into(),
            ));
        }
        let active: Vec<String> = index
            .namespaces
            .iter()
            .map(|n| n.namespace.clone())
            .collect();
        let expand = |pats: &[String]| -> Result<Vec<String>, SelectError> {
            let mut out = BTreeSet::new();
            for p in pats {
                validate::wildcard_pattern(p)?;
                if GlobPattern::has_wildcard(p) {
                    let g = GlobPattern::new(p);
                    out.extend(
                        active
                            .iter()
                            .filter(|a| g.matches(a) == Some(true))
                            .cloned(),
                    );
                } else {
                    out.insert(p.clone());
                }
            }
            Ok(out.into_iter().collect())
        };
        let (inc, exc) = (
            expand(&spec.included_namespaces)?,
            expand(&spec.excluded_namespaces)?,
        );
        if inc.is_empty() {
            warnings.push("the included namespace patterns match no namespace of the archive; on restore an empty include list means every namespace (Velero code, UNVERIFIED)".into());
        }
        IncludesExcludes::new(&inc, &exc)
    } else {
        IncludesExcludes::new(&spec.included_namespaces, &spec.excluded_namespaces)
    };
    let mut must_have = Vec::new();
    if version >= VeleroVersion::new(1, 13) {
        must_have.push("datauploads.velero.io");
    }
    if version >= VeleroVersion::new(1, 17) {
        must_have.push("volumesnapshotcontents.snapshot.storage.k8s.io");
    }
    let mut p = Planner {
        index,
        resolver,
        spec,
        version,
        volumes,
        resources: resolve_old(
            resolver,
            version,
            &spec.included_resources,
            &spec.excluded_resources,
        ),
        namespaces,
        single,
        any,
        must_have,
        restored: HashSet::new(),
        created_namespaces: HashSet::new(),
        accounts: HashMap::new(),
        plan: Plan {
            warnings,
            ..Plan::default()
        },
    };
    let mut processed = HashSet::new();
    p.process("customresourcedefinitions", &mut processed);
    let archive: Vec<String> = index.resources.iter().map(|r| r.resource.clone()).collect();
    for name in ordered_resources(&priorities.0, &priorities.1, &archive) {
        p.process(&name, &mut processed);
        progress(p.restored.len() as u64);
    }
    // Linear: a bitmap of what is already listed, not a search of the skipped list per item.
    let mut listed = vec![false; index.items.len()];
    for at in p
        .restored
        .iter()
        .copied()
        .chain(p.plan.skipped.iter().map(|s| s.item))
    {
        if let Some(l) = listed.get_mut(at) {
            *l = true;
        }
    }
    for (at, listed) in listed.into_iter().enumerate() {
        if !listed {
            p.plan.skipped.push(Skip {
                item: at,
                reason: p.filter_reason(at),
                note: None,
            });
        }
    }
    p.plan.skipped.sort_by_key(|s| s.item);
    p.plan.omitted_reasons = index
        .omitted
        .iter()
        .map(|&(gr, ns, _)| p.reason_for(index.str(gr), ns.map(|n| index.str(n))))
        .collect();
    // Only the order of what is restored matters: one namespace of a resource has no order.
    let mut namespaces_of: HashMap<&str, HashSet<&str>> = HashMap::new();
    for st in &p.plan.steps {
        if let Some(ns) = &st.namespace {
            namespaces_of.entry(&st.resource).or_default().insert(ns);
        }
    }
    if namespaces_of.values().any(|n| n.len() > 1) {
        p.plan.warnings.push("within a resource Velero restores namespaces in Go map order, which is random; the plan lists them sorted".into());
    }
    // Data that will not come back is said first, not only as a row of the skipped list.
    let claims: HashSet<(&str, &str)> = p
        .plan
        .steps
        .iter()
        .filter(|st| st.resource == "persistentvolumeclaims")
        .filter_map(|st| Some((st.namespace.as_deref()?, st.name.as_str())))
        .collect();
    let empty: Vec<String> = p
        .plan
        .skipped
        .iter()
        .filter(|s| s.note.as_deref() == Some(NO_DATA))
        .filter_map(|s| match &index.items[s.item].details {
            Details::Pv(pv) => pv.claim.as_ref().map(|(ns, claim)| (s.item, ns, claim)),
            _ => None,
        })
        .filter(|(_, ns, claim)| claims.contains(&(&***ns, &***claim)))
        .map(|(pv, ns, claim)| {
            format!(
                "PVC {}/{claim} will be re-provisioned empty: its volume {} has no snapshot, no pod volume backup and no data upload (reclaim policy Delete)",
                p.target(ns),
                index.items[pv].name
            )
        })
        .collect();
    p.plan.empty_claims = empty;
    Ok(p.plan)
}

/// Why a PV is re-provisioned with nothing in it.
const NO_DATA: &str = "no snapshot and reclaim policy Delete";

impl Planner<'_> {
    fn is_must_have(&self, gr: &str) -> bool {
        self.must_have.contains(&gr)
    }

    fn target(&self, ns: &str) -> String {
        self.spec
            .namespace_mapping
            .get(ns)
            .cloned()
            .unwrap_or_else(|| ns.to_string())
    }

    fn selected(&self, at: usize) -> bool {
        let item = &self.index.items[at];
        let get = |k: &str| self.index.label(item, k);
        if !self.single.matches(get) {
            return false;
        }
        self.any.is_empty() || self.any.iter().flatten().any(|s| s.matches(get))
    }

    /// Why an item that no step restores was left out, for the `skipped` list.
    fn filter_reason(&self, at: usize) -> Reason {
        let item = &self.index.items[at];
        self.reason_for(self.index.gr(item), self.index.namespace(item))
    }

    /// Why the filters leave out an item of `gr` in `ns`.
    fn reason_for(&self, gr: &str, ns: Option<&str>) -> Reason {
        if NON_RESTORABLE.contains(&gr) {
            return Reason::NonRestorable;
        }
        if !self.resources.should_include(gr) && !self.is_must_have(gr) {
            return Reason::ResourceExcluded;
        }
        match ns {
            Some(ns) if !self.namespaces.should_include(ns) => Reason::NamespaceExcluded,
            None if self.spec.include_cluster_resources != Some(true) => {
                Reason::ClusterScopedNotIncluded
            }
            _ => Reason::LabelSelector,
        }
    }

    fn process(&mut self, name: &str, processed: &mut HashSet<String>) {
        let gr = match self.resolver.resolve(name) {
            Resolution::Resource(gr) => gr,
            Resolution::Pattern(p) => p,
        };
        if processed.contains(&gr) {
            return;
        }
        if !self.resources.should_include(&gr) && !self.is_must_have(&gr) {
            return;
        }
        let range = self.index.range_of(&gr);
        if range.is_empty() {
            return;
        }
        let must = self.is_must_have(&gr);
        // Group by namespace (sorted), items by file name (`name.json`, byte order).
        let mut by_ns: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
        for at in range {
            let ns = self
                .index
                .namespace(&self.index.items[at])
                .map(str::to_string);
            by_ns.entry(ns).or_default().push(at);
        }
        for (ns, mut items) in by_ns {
            match &ns {
                Some(ns) if !self.namespaces.should_include(ns) && !must => continue,
                None if self.spec.include_cluster_resources == Some(false) => continue,
                None if self.spec.include_cluster_resources != Some(true)
                    && !self.namespaces.include_everything() =>
                {
                    continue;
                }
                _ => {}
            }
            items.sort_by(|a, b| {
                let name = |i: &usize| format!("{}.json", self.index.items[*i].name);
                name(a).cmp(&name(b))
            });
            for at in items {
                if !must && !self.selected(at) {
                    continue;
                }
                self.restore_item(at, None);
            }
        }
        processed.insert(gr);
    }

    fn skip(&mut self, at: usize, reason: Reason, note: Option<String>) {
        self.restored.insert(at);
        self.plan.skipped.push(Skip {
            item: at,
            reason,
            note,
        });
    }

    /// `restoreItem`: the checks and actions of one item, then its related items.
    fn restore_item(&mut self, at: usize, via: Option<usize>) {
        if self.restored.contains(&at) {
            return;
        }
        let item = &self.index.items[at];
        let gr = self.index.gr(item).to_string();
        let ns = self.index.namespace(item).map(str::to_string);
        let mut note = None;
        match (&gr[..], &item.details) {
            ("pods", Details::Pod(p)) => {
                if self
                    .index
                    .annotation(item, "kubernetes.io/config.mirror")
                    .is_some_and(|v| !v.is_empty())
                {
                    return self.skip(at, Reason::MirrorPod, None);
                }
                if matches!(p.phase.as_deref(), Some("Succeeded" | "Failed")) {
                    return self.skip(
                        at,
                        Reason::CompletedPod,
                        p.phase.as_deref().map(|x| format!("phase {x}")),
                    );
                }
            }
            ("jobs.batch", Details::Job { completed: true }) => {
                return self.skip(at, Reason::CompletedJob, None);
            }
            ("persistentvolumes", Details::Pv(pv)) => match self.pv_decision(&item.name, pv) {
                Err(why) => {
                    self.plan.reprovisioned.insert(at);
                    return self.skip(at, Reason::VolumeReprovisioned, Some(why));
                }
                Ok(how) => {
                    if self.spec.restore_pvs != Some(false)
                        && (self.volumes.native.contains(&*item.name)
                            || self.volumes.info.get(&*item.name).map(String::as_str)
                                == Some("NativeSnapshot"))
                    {
                        self.plan.from_snapshot.insert(at);
                    }
                    note = Some(how)
                }
            },
            _ => {}
        }
        let target_ns = ns.as_deref().map(|n| self.target(n));
        if let (Some(src), Some(target)) = (&ns, &target_ns)
            && !self.created_namespaces.contains(target)
        {
            self.create_namespace(src, target);
        }
        if let Some((reason, note)) = self.skipped_by_action(at, &gr, target_ns.as_deref()) {
            return self.skip(at, reason, Some(note));
        }
        if gr == "namespaces" {
            self.created_namespaces.insert(self.target(&item.name));
        }
        if gr == "serviceaccounts"
            && let Some(t) = &target_ns
        {
            self.accounts
                .entry(t.clone())
                .or_default()
                .push(item.name.to_string());
        }
        let name = if gr == "namespaces" {
            self.target(&item.name)
        } else {
            item.name.to_string()
        };
        self.restored.insert(at);
        self.plan.steps.push(Step {
            item: Some(at),
            resource: gr.clone(),
            namespace: ns.clone(),
            name,
            target_namespace: target_ns,
            target_name: None,
            action: Action::Create,
            via,
            note,
        });
        for (rgr, rns, rname) in self.related(at) {
            let Some(target) = self.index.position(&rgr, rns.as_deref(), &rname) else {
                self.plan.warnings.push(format!(
                    "{} refers to {rgr} {rname}, which is not in the archive",
                    veloscope_select::preview::item_ref(self.index, at)
                ));
                continue;
            };
            // Related items re-check only the resource filter, the namespace filter and an
            // explicit includeClusterResources=false: not the selectors, not the cluster "auto" rule.
            if !self.resources.should_include(&rgr) {
                continue;
            }
            match &rns {
                Some(n) if !self.namespaces.should_include(n) => continue,
                None if self.spec.include_cluster_resources == Some(false) => continue,
                _ => {}
            }
            self.restore_item(target, Some(at));
        }
    }

    /// The restore item actions that leave an item out (`SkipRestore`), with the action's name.
    fn skipped_by_action(
        &self,
        at: usize,
        gr: &str,
        target_ns: Option<&str>,
    ) -> Option<(Reason, String)> {
        let item = &self.index.items[at];
        match (gr, &item.details) {
            ("apiservices.apiregistration.k8s.io", _)
                if self
                    .index
                    .label(item, "kube-aggregator.kubernetes.io/automanaged")
                    .is_some() =>
            {
                Some((
                    Reason::SkippedByAction,
                    "velero.io/apiservice: managed by Kubernetes (kube-aggregator.kubernetes.io/automanaged)".into(),
                ))
            }
            (
                "volumesnapshots.snapshot.storage.k8s.io"
                | "volumesnapshotcontents.snapshot.storage.k8s.io"
                | "volumesnapshotclasses.snapshot.storage.k8s.io",
                _,
            ) if self.spec.restore_pvs == Some(false) => Some((
                Reason::SkippedByAction,
                "velero.io/csi-volumesnapshot-restorer: restorePVs is false".into(),
            )),
            ("secrets", Details::ServiceAccountToken) => {
                let ns = target_ns?;
                // Kubernetes creates `default` in every namespace; the others are the accounts
                // this restore created before (serviceaccounts come before secrets since 1.12).
                let restored = self.accounts.get(ns).into_iter().flatten();
                let account = std::iter::once("default")
                    .chain(restored.map(String::as_str))
                    .find(|sa| item.name.starts_with(&format!("{sa}-token-")))?;
                Some((
                    Reason::SkippedByAction,
                    format!("velero.io/secret: the token secret of service account {account}, which Kubernetes fills in again"),
                ))
            }
            _ => None,
        }
    }

    fn create_namespace(&mut self, source: &str, target: &str) {
        self.created_namespaces.insert(target.to_string());
        let archived = self.index.position("namespaces", None, source);
        if let Some(at) = archived {
            self.restored.insert(at);
        }
        self.plan.steps.push(Step {
            item: archived,
            resource: "namespaces".into(),
            namespace: None,
            name: target.to_string(),
            target_namespace: None,
            target_name: None,
            action: Action::CreateNamespace,
            via: None,
            note: Some(match archived {
                Some(_) if source != target => format!("from the archived Namespace {source}"),
                Some(_) => "from the archived Namespace".into(),
                None => "blank: no Namespace object in the archive".into(),
            }),
        });
    }

    /// The related items Velero's restore actions return.
    fn related(&self, at: usize) -> Vec<(String, Option<String>, String)> {
        let item = &self.index.items[at];
        let ns = self.index.namespace(item).map(str::to_string);
        match &item.details {
            Details::Pod(p) => {
                let mut out: Vec<_> = p
                    .claims
                    .iter()
                    .map(|c| {
                        (
                            "persistentvolumeclaims".to_string(),
                            ns.clone(),
                            c.to_string(),
                        )
                    })
                    .collect();
                if let Some(pc) = &p.priority_class {
                    out.push((
                        "priorityclasses.scheduling.k8s.io".into(),
                        None,
                        pc.to_string(),
                    ));
                }
                out
            }
            Details::Pvc(p) => match (p.phase.as_deref(), &p.volume_name) {
                (Some("Bound"), Some(v)) => vec![("persistentvolumes".into(), None, v.to_string())],
                _ => vec![],
            },
            _ => vec![],
        }
    }

    /// Ok(how the PV is created) or Err(why it is re-provisioned instead).
    fn pv_decision(
        &self,
        name: &str,
        pv: &veloscope_archive::details::PvDetails,
    ) -> Result<String, String> {
        let delete = pv.reclaim_policy.as_deref() == Some("Delete");
        let claim = pv
            .claim
            .as_ref()
            .map(|(n, c)| (n.to_string(), c.to_string()));
        let native = |v: &Self| {
            if v.spec.restore_pvs == Some(false) {
                "as is: restorePVs is false, the native snapshot is not restored".to_string()
            } else {
                "from its native snapshot".to_string()
            }
        };
        let as_is = || {
            Ok(
                "as is (Retain policy, no snapshot): claimRef namespace remapped, binding reset"
                    .to_string(),
            )
        };
        if let Some(method) = self.volumes.info.get(name) {
            return match method.as_str() {
                "NativeSnapshot" => Ok(native(self)),
                "PodVolumeBackup" => Err("its data comes back through a pod volume restore".into()),
                "CSISnapshot" => {
                    Err("its data comes back from a CSI snapshot or data upload".into())
                }
                _ if delete => Err(NO_DATA.into()),
                _ => as_is(),
            };
        }
        if self.volumes.native.contains(name) {
            return Ok(native(self));
        }
        if let Some(c) = &claim {
            if self.volumes.pod_volume.contains(c) {
                return Err("its data comes back through a pod volume restore".into());
            }
            if self.volumes.csi.contains(c) {
                return Err("its data comes back from a CSI snapshot".into());
            }
        }
        if delete {
            return Err(NO_DATA.into());
        }
        let _ = self.version;
        as_is()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| s.to_string()).collect()
    }

    // Test_getOrderedResources (reference §8, case 22).
    #[test]
    fn ordered_resources_like_velero() {
        let got = ordered_resources(
            &v(&["prio-3", "prio-2", "prio-1"]),
            &v(&["prio-0"]),
            &v(&[
                "prio-3",
                "prio-0",
                "backup-resource-3",
                "backup-resource-2",
                "backup-resource-1",
            ]),
        );
        assert_eq!(
            got,
            v(&[
                "prio-3",
                "prio-2",
                "prio-1",
                "backup-resource-1",
                "backup-resource-2",
                "backup-resource-3",
                "prio-0"
            ])
        );
    }

    // pkg/types/priority_test.go.
    #[test]
    fn priority_flag() {
        assert_eq!(
            parse_priorities("a,b,-,c").unwrap(),
            (v(&["a", "b"]), v(&["c"]))
        );
        assert_eq!(parse_priorities("a,b").unwrap(), (v(&["a", "b"]), v(&[])));
        assert!(parse_priorities("a,-,b,-,c").is_err());
    }

    #[test]
    fn priority_history() {
        let (h18, l18) = default_priorities(VeleroVersion::new(1, 18));
        assert_eq!(
            h18,
            v(&[
                "customresourcedefinitions",
                "namespaces",
                "storageclasses",
                "volumesnapshotclass.snapshot.storage.k8s.io",
                "volumesnapshotcontents.snapshot.storage.k8s.io",
                "volumesnapshots.snapshot.storage.k8s.io",
                "datauploads.velero.io",
                "persistentvolumes",
                "persistentvolumeclaims",
                "clusterroles",
                "roles",
                "serviceaccounts",
                "clusterrolebindings",
                "rolebindings",
                "secrets",
                "configmaps",
                "limitranges",
                "priorityclasses",
                "pods",
                "replicasets.apps",
                "clusterclasses.cluster.x-k8s.io",
                "endpoints",
                "services"
            ])
        );
        assert_eq!(l18.len(), 5);
        let (h10, l10) = default_priorities(VeleroVersion::new(1, 10));
        assert_eq!(
            &h10[6..11],
            &v(&[
                "persistentvolumes",
                "persistentvolumeclaims",
                "secrets",
                "configmaps",
                "serviceaccounts"
            ])
        );
        assert!(!h10.contains(&"endpoints".to_string()));
        assert_eq!(l10.len(), 3);
        let (h16, _) = default_priorities(VeleroVersion::new(1, 16));
        assert!(!h16.contains(&"priorityclasses".to_string()));
        let (h17, _) = default_priorities(VeleroVersion::new(1, 17));
        let pc = h17.iter().position(|x| x == "priorityclasses").unwrap();
        assert_eq!(h17[pc + 1], "pods");
        assert!(!h17.contains(&"clusterroles".to_string()));
    }

    // restore_controller_test.go: including a non-restorable resource (reference §8, case 27).
    #[test]
    fn non_restorable_includes_fail_twice() {
        let spec = RestoreSpec {
            included_resources: v(&["nodes"]),
            ..Default::default()
        };
        let errs = prepare(spec).unwrap_err();
        assert_eq!(
            errs.0,
            v(&[
                "nodes are non-restorable resources",
                "Invalid included/excluded resource lists: excludes list cannot contain an item in the includes list: nodes"
            ])
        );
        let node = RestoreSpec {
            included_resources: v(&["node"]),
            ..Default::default()
        };
        assert!(
            prepare(node).is_ok(),
            "exact-string check: `node` is not caught"
        );
        let bad = RestoreSpec {
            existing_resource_policy: Some("replace".into()),
            ..Default::default()
        };
        assert_eq!(
            prepare(bad).unwrap_err().0,
            v(&["Invalid ExistingResourcePolicy: replace"])
        );
    }
}
