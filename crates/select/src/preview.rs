//! What a Backup would have captured, item by item, with the archive standing in for the cluster
//! (format reference §3.3–3.8): collection by resource type and namespace, label selectors, the
//! namespace tracker, the per-item inclusion checks, related items that backup actions add, and
//! the CRDs of backed-up custom resources.

use crate::SelectError;
use crate::backup::{EXCLUDE_LABEL, uses_old_filters};
use crate::namespaces::NamespaceFilter;
use crate::reason::Reason;
use crate::resolve::Resolver;
use crate::resources::{ResourceFilter, resolve_old};
use crate::version::{Feature, VeleroVersion};
use std::collections::{BTreeSet, HashMap, VecDeque};
use veloscope_archive::Details;
use veloscope_index::{Index, Item};
use veloscope_model::policy::ResourcePolicies;
use veloscope_model::{BackupSpec, Selector};

pub const CRD_GR: &str = "customresourcedefinitions.apiextensions.k8s.io";

/// Why an included item was not selected by the filters themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Added by the backup action of another item (pod → PVC, PVC → PV, …): its index.
    Item(usize),
    /// The CRD of a backed-up custom resource: the group-resource.
    Crd(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Included(Option<Via>),
    Excluded(Reason),
}

impl Decision {
    pub fn is_included(&self) -> bool {
        matches!(self, Decision::Included(_))
    }
}

/// The outcome for every item of the index, in index order.
#[derive(Debug, Clone)]
pub struct Preview {
    pub decisions: Vec<Decision>,
    pub warnings: Vec<String>,
    /// Namespace includes/excludes after wildcard expansion, when it happened.
    pub expanded_namespaces: Option<(Vec<String>, Vec<String>)>,
}

/// The resources whose items Velero collects from one group only (format reference §3.8 step 2):
/// (plural, winning group, losing group).
const COHABITING: &[(&str, &str, &str)] = &[
    ("deployments", "apps", "extensions"),
    ("daemonsets", "apps", "extensions"),
    ("replicasets", "apps", "extensions"),
    ("networkpolicies", "networking.k8s.io", "extensions"),
    ("events", "", "events.k8s.io"),
];

fn gr_string(resource: &str, group: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

/// The selectors of a spec, as the item collector lists with them: OR selectors when the list is
/// non-empty, else the single selector, else none. A null OR entry matches nothing.
pub struct Selectors {
    single: Option<Selector>,
    any: Vec<Option<Selector>>,
}

impl Selectors {
    pub fn from_spec(spec: &BackupSpec) -> Result<Selectors, SelectError> {
        let single = spec
            .label_selector
            .as_ref()
            .map(|s| s.to_selector())
            .transpose()?;
        let any = veloscope_model::LabelSelector::to_selectors(&spec.or_label_selectors)?;
        Ok(Selectors { single, any })
    }

    pub fn is_set(&self) -> bool {
        self.single.is_some() || !self.any.is_empty()
    }

    /// Whether a listing with these selectors returns the item.
    pub fn lists(&self, index: &Index, item: &Item) -> bool {
        let get = |k: &str| index.label(item, k);
        if !self.any.is_empty() {
            return self.any.iter().flatten().any(|s| s.matches(get));
        }
        self.single.as_ref().is_none_or(|s| s.matches(get))
    }

    /// The namespace tracker's test (rule a): the single selector, then any OR selector.
    fn tracks(&self, index: &Index, item: &Item) -> bool {
        let get = |k: &str| index.label(item, k);
        self.single.as_ref().is_some_and(|s| s.matches(get))
            || self.any.iter().flatten().any(|s| s.matches(get))
    }
}

struct Engine<'a> {
    index: &'a Index,
    resolver: &'a Resolver,
    namespaces: NamespaceFilter,
    resources: ResourceFilter,
    decisions: Vec<Decision>,
    warnings: Vec<String>,
}

/// Previews `spec` (already normalised, see [`crate::backup::prepare`]) over `index`.
pub fn preview(
    index: &Index,
    resolver: &Resolver,
    spec: &BackupSpec,
    version: VeleroVersion,
    policy: Option<&ResourcePolicies>,
) -> Result<Preview, SelectError> {
    let selectors = Selectors::from_spec(spec)?;
    let active = active_namespaces(index);
    let namespaces = NamespaceFilter::new(
        &spec.included_namespaces,
        &spec.excluded_namespaces,
        &active,
        version.has(Feature::ExpandNamespaceWildcards),
    )?;
    let everything = namespaces.include_everything();
    let mut resources = if uses_old_filters(spec) {
        ResourceFilter::old(
            resolve_old(
                resolver,
                version,
                &spec.included_resources,
                &spec.excluded_resources,
            ),
            spec.include_cluster_resources,
            everything,
        )
    } else {
        ResourceFilter::scoped(
            resolver,
            [
                &spec.included_namespace_scoped_resources,
                &spec.excluded_namespace_scoped_resources,
                &spec.included_cluster_scoped_resources,
                &spec.excluded_cluster_scoped_resources,
            ],
            everything,
        )
    };
    if let Some(p) = policy.and_then(|p| p.include_exclude_policy.as_ref()) {
        resources.combine_with_policy(resolver, p);
    }
    let mut e = Engine {
        index,
        resolver,
        namespaces,
        resources,
        decisions: vec![Decision::Excluded(Reason::ResourceExcluded); index.items.len()],
        warnings: Vec::new(),
    };
    e.warn_missing_namespaces(&active);
    if !version.has(Feature::ExpandNamespaceWildcards)
        && spec
            .included_namespaces
            .iter()
            .any(|n| n != "*" && crate::glob::GlobPattern::has_wildcard(n))
    {
        e.warnings.push(format!(
            "before Velero 1.18 an included namespace pattern is listed as a literal namespace name, so it selects nothing (--velero-version is {version})"
        ));
    }
    if spec.label_selector.as_ref().is_some_and(|s| s.is_empty()) {
        e.warnings.push("labelSelector {} formats to \"<none>\", which the API server may reject; Velero's list calls could fail (previewed as matching everything)".into());
    }
    let tracked = e.collect(&selectors);
    e.collect_namespaces(&selectors, tracked);
    e.add_related();
    e.add_crds();
    if e.resources.auto_excludes_block_full_backup()
        && e.decisions
            .contains(&Decision::Excluded(Reason::ClusterScopedNotIncluded))
    {
        e.warnings.push("per Velero's code (v1.17+), the VolumeSnapshot auto-excludes keep a filter-less backup from collecting cluster-scoped resources directly, so only Namespaces, related items and CRDs of backed-up custom resources are selected; this is UNVERIFIED on a live cluster (pass --velero-version 1.16 for the older behaviour)".into());
    }
    Ok(Preview {
        decisions: e.decisions,
        warnings: e.warnings,
        expanded_namespaces: e.namespaces.expanded.clone(),
    })
}

/// The cluster's namespaces, as the archive knows them: Namespace objects and the namespaces
/// that hold items.
pub fn active_namespaces(index: &Index) -> Vec<String> {
    let mut set: BTreeSet<String> = index
        .items_of("namespaces")
        .iter()
        .map(|i| i.name.to_string())
        .collect();
    set.extend(index.namespaces.iter().map(|n| n.namespace.clone()));
    set.into_iter().collect()
}

impl Engine<'_> {
    fn namespaced(&self, gr: &str) -> Option<bool> {
        self.resolver.is_namespaced(gr)
    }

    fn warn_missing_namespaces(&mut self, active: &[String]) {
        for ns in self.namespaces.ie.includes.items() {
            if ns != "*"
                && !crate::glob::GlobPattern::has_wildcard(ns)
                && !active.iter().any(|a| a == ns)
            {
                self.warnings.push(format!(
                    "included namespace {ns:?} is not in the archive (Velero logs \"fail to get the namespace {ns} specified in backup.Spec.IncludedNamespaces\")"
                ));
            }
        }
    }

    /// `itemInclusionChecks` without must-include.
    fn check(&self, at: usize) -> Decision {
        let item = &self.index.items[at];
        let gr = self.index.gr(item);
        if self.index.label(item, EXCLUDE_LABEL) == Some("true") {
            return Decision::Excluded(Reason::ExcludeLabel);
        }
        match self.index.namespace(item) {
            Some(ns) => {
                if !self.namespaces.should_include(ns) {
                    return Decision::Excluded(Reason::NamespaceExcluded);
                }
                if let Err(r) = self.resources.should_include(gr, self.namespaced(gr)) {
                    return Decision::Excluded(r);
                }
            }
            None if gr != "namespaces" => {
                if let Some(r) = self.resources.should_exclude(gr, self.namespaced(gr)) {
                    return Decision::Excluded(r);
                }
            }
            None => {}
        }
        if item.deleting {
            return Decision::Excluded(Reason::BeingDeleted);
        }
        Decision::Included(None)
    }

    fn cohabiting_loser(&self, gr: &str) -> bool {
        COHABITING.iter().any(|(res, win, lose)| {
            gr == gr_string(res, lose) && {
                let winner = gr_string(res, win);
                self.resolver.in_archive(&winner)
                    && self
                        .resources
                        .should_include(&winner, self.namespaced(&winner))
                        .is_ok()
            }
        })
    }

    /// Collects every type but namespaces; returns the namespaces tracked by listed items.
    fn collect(&mut self, selectors: &Selectors) -> BTreeSet<String> {
        let mut tracked = BTreeSet::new();
        let to_list = self.namespaces.namespaces_to_list();
        for r in &self.index.resources {
            let gr = r.resource.as_str();
            if gr == "namespaces" {
                continue;
            }
            let range = self.index.range_of(gr);
            let verdict = self
                .resources
                .should_include(gr, self.namespaced(gr))
                .and_then(|()| {
                    if self.cohabiting_loser(gr) {
                        Err(Reason::Cohabiting)
                    } else {
                        Ok(())
                    }
                });
            if let Err(reason) = verdict {
                for at in range {
                    self.decisions[at] = Decision::Excluded(reason);
                }
                continue;
            }
            for at in range {
                let item = &self.index.items[at];
                let ns = self.index.namespace(item);
                if let (Some(ns), Some(list)) = (ns, &to_list)
                    && !list.iter().any(|l| l == ns)
                {
                    self.decisions[at] = Decision::Excluded(Reason::NamespaceExcluded);
                    continue;
                }
                if !selectors.lists(self.index, item) {
                    self.decisions[at] = Decision::Excluded(Reason::LabelSelector);
                    continue;
                }
                if let Some(ns) = ns {
                    tracked.insert(ns.to_string());
                }
                self.decisions[at] = self.check(at);
            }
        }
        tracked
    }

    /// `collectNamespaces` + `nsTracker` (§3.8 step 5).
    fn collect_namespaces(&mut self, selectors: &Selectors, mut tracked: BTreeSet<String>) {
        let range = self.index.range_of("namespaces");
        if let Err(reason) = self.resources.should_include("namespaces", Some(false)) {
            for at in range {
                self.decisions[at] = Decision::Excluded(reason);
            }
            return;
        }
        let everything = self.namespaces.include_everything();
        for at in range.clone() {
            let item = &self.index.items[at];
            let active = match &item.details {
                Details::Namespace { phase } => phase.as_deref().is_none_or(|p| p == "Active"),
                _ => true,
            };
            if !active {
                continue;
            }
            if selectors.tracks(self.index, item)
                || ((!everything || !selectors.is_set())
                    && self.namespaces.should_include(&item.name))
            {
                tracked.insert(item.name.to_string());
            }
        }
        for at in range {
            let item = &self.index.items[at];
            self.decisions[at] = if tracked.contains(&*item.name) {
                self.check(at)
            } else if matches!(&item.details, Details::Namespace { phase: Some(p) } if &**p != "Active")
            {
                Decision::Excluded(Reason::NamespaceNotActive)
            } else if !self.namespaces.should_include(&item.name) {
                Decision::Excluded(Reason::NamespaceExcluded)
            } else {
                Decision::Excluded(Reason::LabelSelector)
            };
        }
    }

    /// The related items Velero's built-in backup actions return for an included item.
    fn related(
        &self,
        at: usize,
        sa_bindings: &HashMap<(String, String), Vec<usize>>,
    ) -> Vec<(String, Option<String>, String)> {
        let item = &self.index.items[at];
        let ns = self.index.namespace(item).map(str::to_string);
        let mut out = Vec::new();
        match &item.details {
            Details::Pod(p) => {
                if let Some(pc) = &p.priority_class {
                    out.push((
                        "priorityclasses.scheduling.k8s.io".into(),
                        None,
                        pc.to_string(),
                    ));
                }
                for c in &p.claims {
                    out.push(("persistentvolumeclaims".into(), ns.clone(), c.to_string()));
                }
            }
            Details::Pvc(p) => {
                if let (Some("Bound"), Some(v)) = (p.phase.as_deref(), &p.volume_name) {
                    out.push(("persistentvolumes".into(), None, v.to_string()));
                }
            }
            _ if self.index.gr(item) == "serviceaccounts" => {
                let key = (ns.unwrap_or_default(), item.name.to_string());
                let mut roles = BTreeSet::new();
                for &b in sa_bindings.get(&key).into_iter().flatten() {
                    let binding = &self.index.items[b];
                    out.push((
                        self.index.gr(binding).to_string(),
                        None,
                        binding.name.to_string(),
                    ));
                    if let Details::Binding(d) = &binding.details
                        && let Some((_, role)) = &d.role_ref
                    {
                        roles.insert(role.to_string());
                    }
                }
                for role in roles {
                    out.push(("clusterroles.rbac.authorization.k8s.io".into(), None, role));
                }
            }
            _ => {}
        }
        out
    }

    fn add_related(&mut self) {
        let crb = "clusterrolebindings.rbac.authorization.k8s.io";
        let mut sa_bindings: HashMap<(String, String), Vec<usize>> = HashMap::new();
        for at in self.index.range_of(crb) {
            if let Details::Binding(b) = &self.index.items[at].details {
                for s in b.subjects.iter().filter(|s| &*s.kind == "ServiceAccount") {
                    let key = (
                        s.namespace.as_deref().unwrap_or("").to_string(),
                        s.name.to_string(),
                    );
                    sa_bindings.entry(key).or_default().push(at);
                }
            }
        }
        let mut missing: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
        let mut queue: VecDeque<usize> = (0..self.decisions.len())
            .filter(|&i| self.decisions[i].is_included())
            .collect();
        while let Some(at) = queue.pop_front() {
            for (gr, ns, name) in self.related(at, &sa_bindings) {
                let Some(target) = self.index.position(&gr, ns.as_deref(), &name) else {
                    let key = match &ns {
                        Some(ns) => format!("{gr}/{ns}/{name}"),
                        None => format!("{gr}/{name}"),
                    };
                    missing.entry(key).or_insert((at, 0)).1 += 1;
                    continue;
                };
                if self.decisions[target].is_included() {
                    continue;
                }
                let d = self.check(target);
                if d.is_included() {
                    self.decisions[target] = Decision::Included(Some(Via::Item(at)));
                    queue.push_back(target);
                } else {
                    self.decisions[target] = d;
                }
            }
        }
        for (target, (first, count)) in missing {
            let by = match count {
                1 => format!("{} refers", self.item_ref(first)),
                n => format!("{} and {} more items refer", self.item_ref(first), n - 1),
            };
            self.warnings
                .push(format!("{by} to {target}, which is not in the archive"));
        }
    }

    /// `backupCRD`: when the CRD type is neither included nor excluded, the CRD of every
    /// backed-up group-resource is backed up too.
    fn add_crds(&mut self) {
        let crd_scope = self.namespaced(CRD_GR);
        if self.resources.should_exclude(CRD_GR, crd_scope).is_some()
            || self.resources.should_include(CRD_GR, crd_scope).is_ok()
        {
            return;
        }
        let backed_up: BTreeSet<String> = (0..self.decisions.len())
            .filter(|&i| self.decisions[i].is_included())
            .map(|i| self.index.gr(&self.index.items[i]).to_string())
            .collect();
        for gr in backed_up {
            let Some(at) = self.index.position(CRD_GR, None, &gr) else {
                continue;
            };
            if self.decisions[at].is_included() {
                continue;
            }
            let d = self.check(at);
            self.decisions[at] = match d {
                Decision::Included(_) => Decision::Included(Some(Via::Crd(gr))),
                other => other,
            };
        }
    }

    fn item_ref(&self, at: usize) -> String {
        item_ref(self.index, at)
    }
}

/// `resource/namespace/name` or `resource/name`, as in `via` and in warnings.
pub fn item_ref(index: &Index, at: usize) -> String {
    let item = &index.items[at];
    match index.namespace(item) {
        Some(ns) => format!("{}/{ns}/{}", index.gr(item), item.name),
        None => format!("{}/{}", index.gr(item), item.name),
    }
}
