//! Velero's resource filters for backups (format reference §3.4–3.7): the old
//! `GlobalIncludesExcludes` and the scoped `ScopeIncludesExcludes`, over names resolved by the
//! offline discovery.

use crate::includes::{GlobSet, IncludesExcludes};
use crate::reason::Reason;
use crate::resolve::{Resolution, Resolver};
use crate::version::{Feature, VeleroVersion};
use veloscope_model::policy::IncludeExcludePolicy;

#[derive(Debug, Clone)]
pub enum ResourceFilter {
    Old {
        ie: IncludesExcludes,
        include_cluster: Option<bool>,
        namespaces_everything: bool,
    },
    Scoped {
        namespaced: IncludesExcludes,
        cluster: IncludesExcludes,
        namespaces_everything: bool,
    },
}

/// `GetResourceIncludesExcludes`: `*` kept in includes, dropped from excludes; names resolved to
/// group-resources; unresolvable names kept verbatim (v1.4+) or dropped (before).
pub fn resolve_old(
    resolver: &Resolver,
    version: VeleroVersion,
    includes: &[String],
    excludes: &[String],
) -> IncludesExcludes {
    let map = |item: &String| -> Option<String> {
        match resolver.resolve(item) {
            Resolution::Resource(gr) => Some(gr),
            Resolution::Pattern(p) => version.has(Feature::KeepUnresolvableNames).then_some(p),
        }
    };
    let inc: Vec<String> = includes
        .iter()
        .filter_map(|i| if i == "*" { Some(i.clone()) } else { map(i) })
        .collect();
    let exc: Vec<String> = excludes
        .iter()
        .filter(|e| *e != "*")
        .filter_map(map)
        .collect();
    IncludesExcludes::new(&inc, &exc)
}

/// `scopeResourceMapFunc`: a resolvable name of the wrong scope is dropped.
fn resolve_scoped(resolver: &Resolver, items: &[String], namespaced: bool) -> GlobSet {
    let mut set = GlobSet::default();
    for item in items {
        if item == "*" {
            set.insert(item);
            continue;
        }
        match resolver.resolve(item) {
            Resolution::Resource(gr) => {
                if resolver.is_namespaced(&gr) == Some(namespaced) {
                    set.insert(&gr);
                }
            }
            Resolution::Pattern(p) => set.insert(&p),
        }
    }
    set
}

impl ResourceFilter {
    pub fn old(
        ie: IncludesExcludes,
        include_cluster: Option<bool>,
        namespaces_everything: bool,
    ) -> ResourceFilter {
        ResourceFilter::Old {
            ie,
            include_cluster,
            namespaces_everything,
        }
    }

    pub fn scoped(
        resolver: &Resolver,
        lists: [&[String]; 4],
        namespaces_everything: bool,
    ) -> ResourceFilter {
        let [ns_inc, ns_exc, cl_inc, cl_exc] = lists;
        ResourceFilter::Scoped {
            namespaced: IncludesExcludes {
                includes: resolve_scoped(resolver, ns_inc, true),
                excludes: resolve_scoped(resolver, ns_exc, true),
            },
            cluster: IncludesExcludes {
                includes: resolve_scoped(resolver, cl_inc, false),
                excludes: resolve_scoped(resolver, cl_exc, false),
            },
            namespaces_everything,
        }
    }

    /// `CombineWithPolicy` (§3.7): a policy entry is added only where the spec's own lists neither
    /// include nor exclude it already.
    pub fn combine_with_policy(&mut self, resolver: &Resolver, policy: &IncludeExcludePolicy) {
        let ResourceFilter::Scoped {
            namespaced,
            cluster,
            ..
        } = self
        else {
            return;
        };
        let add = |ie: &mut IncludesExcludes, items: &[String], ns: bool, to_excludes: bool| {
            for item in resolve_scoped(resolver, items, ns).items() {
                if !ie.includes.matches(item) && !ie.excludes.matches(item) {
                    if to_excludes {
                        ie.excludes.insert(item);
                    } else {
                        ie.includes.insert(item);
                    }
                }
            }
        };
        add(
            namespaced,
            &policy.excluded_namespace_scoped_resources,
            true,
            true,
        );
        add(
            namespaced,
            &policy.included_namespace_scoped_resources,
            true,
            false,
        );
        add(
            cluster,
            &policy.excluded_cluster_scoped_resources,
            false,
            true,
        );
        add(
            cluster,
            &policy.included_cluster_scoped_resources,
            false,
            false,
        );
    }

    /// True when only the v1.17+ VolumeSnapshot auto-excludes stand between this filter and the
    /// "full backup" shortcut that collects every cluster-scoped type (reference §3.6: what
    /// Velero's code does, UNVERIFIED on a live cluster).
    pub fn auto_excludes_block_full_backup(&self) -> bool {
        let ResourceFilter::Scoped {
            namespaced,
            cluster,
            namespaces_everything,
        } = self
        else {
            return false;
        };
        let only = |s: &GlobSet, item: &str| s.len() == 1 && s.has(item);
        *namespaces_everything
            && cluster.includes.is_empty()
            && only(
                &cluster.excludes,
                "volumesnapshotcontents.snapshot.storage.k8s.io",
            )
            && namespaced.includes.is_empty()
            && only(
                &namespaced.excludes,
                "volumesnapshots.snapshot.storage.k8s.io",
            )
    }

    /// `ShouldInclude(gr)`: whether the type is collected. `namespaced` is None for a type the
    /// discovery cannot resolve.
    pub fn should_include(&self, gr: &str, namespaced: Option<bool>) -> Result<(), Reason> {
        let Some(namespaced) = namespaced else {
            return Err(Reason::ResourceExcluded);
        };
        match self {
            ResourceFilter::Old {
                ie,
                include_cluster,
                namespaces_everything,
            } => {
                if !namespaced && *include_cluster == Some(false) {
                    return Err(Reason::ClusterScopedNotIncluded);
                }
                if gr != "namespaces"
                    && !namespaced
                    && include_cluster.is_none()
                    && !namespaces_everything
                {
                    return Err(Reason::ClusterScopedNotIncluded);
                }
                ie.should_include(gr)
                    .then_some(())
                    .ok_or(Reason::ResourceExcluded)
            }
            ResourceFilter::Scoped {
                namespaced: nsf,
                cluster,
                namespaces_everything,
            } => {
                if namespaced {
                    if nsf.excludes.has("*") || nsf.excludes.matches(gr) {
                        return Err(Reason::ResourceExcluded);
                    }
                    return (nsf.includes.is_empty()
                        || nsf.includes.has("*")
                        || nsf.includes.matches(gr))
                    .then_some(())
                    .ok_or(Reason::ResourceExcluded);
                }
                if cluster.excludes.has("*") || cluster.excludes.matches(gr) {
                    return Err(Reason::ResourceExcluded);
                }
                if cluster.includes.is_empty()
                    && cluster.excludes.is_empty()
                    && *namespaces_everything
                    && nsf.include_everything()
                {
                    return Ok(());
                }
                (cluster.includes.has("*") || cluster.includes.matches(gr) || gr == "namespaces")
                    .then_some(())
                    .ok_or(Reason::ClusterScopedNotIncluded)
            }
        }
    }

    /// `ShouldExclude(gr)`: whether an item of the type is refused even when it arrives as a
    /// related item.
    pub fn should_exclude(&self, gr: &str, namespaced: Option<bool>) -> Option<Reason> {
        match self {
            ResourceFilter::Old {
                ie,
                include_cluster,
                ..
            } => {
                if ie.excludes.matches(gr) {
                    return Some(Reason::ResourceExcluded);
                }
                let namespaced = namespaced?;
                if !namespaced {
                    if *include_cluster == Some(false) {
                        return Some(Reason::ClusterScopedNotIncluded);
                    }
                    if include_cluster.is_none() && !ie.should_include(gr) {
                        return Some(Reason::ResourceExcluded);
                    }
                }
                None
            }
            ResourceFilter::Scoped {
                namespaced: nsf,
                cluster,
                ..
            } => {
                let namespaced = namespaced?;
                let list = if namespaced { nsf } else { cluster };
                list.excludes
                    .matches(gr)
                    .then_some(Reason::ResourceExcluded)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use veloscope_index::IndexBuilder;

    fn resolver() -> Resolver {
        Resolver::for_index(&IndexBuilder::new().finish(Default::default()).into_index())
    }

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| s.to_string()).collect()
    }

    fn scoped(lists: [&[&str]; 4], everything: bool) -> ResourceFilter {
        let [a, b, c, d] = lists.map(v);
        ResourceFilter::scoped(&resolver(), [&a, &b, &c, &d], everything)
    }

    // TestNamespaceScopedShouldInclude (reference §8, case 4).
    #[test]
    fn namespace_scoped_should_include() {
        assert!(
            scoped([&[], &["*"], &[], &[]], true)
                .should_include("pods", Some(true))
                .is_err()
        );
        assert!(
            scoped([&["*s"], &[], &[], &[]], true)
                .should_include("pods", Some(true))
                .is_ok()
        );
        assert!(
            scoped([&[], &["*.bar"], &[], &[]], true)
                .should_include("pods", Some(true))
                .is_ok()
        );
    }

    // TestClusterScopedShouldInclude (reference §8, cases 5 and 6).
    #[test]
    fn cluster_scoped_should_include() {
        let pv = |f: &ResourceFilter| f.should_include("persistentvolumes", Some(false)).is_ok();
        assert!(
            !pv(&scoped([&[], &[], &[], &[]], false)),
            "namespace includes [default]"
        );
        assert!(
            pv(&scoped([&[], &[], &[], &[]], true)),
            "full backup shortcut"
        );
        assert!(!pv(&scoped([&[], &[], &[], &["persistentvolumes"]], true)));
        let f = scoped([&[], &[], &["foo", "baz"], &[]], false);
        assert!(
            f.should_include("namespaces", Some(false)).is_ok(),
            "namespaces by default"
        );
        let f = scoped([&[], &[], &[], &["*spaces"]], false);
        assert!(f.should_include("namespaces", Some(false)).is_err());
        assert!(
            f.should_include("gizmos.example.com", None).is_err(),
            "unknown to discovery"
        );
    }

    // Scoped lists drop resolvable names of the wrong scope (TestGetScopedResourceIncludesExcludes).
    #[test]
    fn scoped_lists_drop_wrong_scope_names() {
        let r = resolver();
        let set = resolve_scoped(&r, &v(&["deployments.apps", "persistentvolumes"]), true);
        assert_eq!(set.items().collect::<Vec<_>>(), ["deployments.apps"]);
        let set = resolve_scoped(&r, &v(&["deployments.apps", "persistentvolumes"]), false);
        assert_eq!(set.items().collect::<Vec<_>>(), ["persistentvolumes"]);
    }

    // GlobalIncludesExcludes: includeClusterResources nil with a partial namespace filter.
    #[test]
    fn old_filter_cluster_rules() {
        let ie = resolve_old(&resolver(), VeleroVersion::LATEST, &[], &v(&["*"]));
        assert!(ie.excludes.is_empty(), "a * exclude is dropped");
        let f = ResourceFilter::old(IncludesExcludes::default(), None, false);
        assert_eq!(
            f.should_include("persistentvolumes", Some(false)),
            Err(Reason::ClusterScopedNotIncluded)
        );
        assert!(
            f.should_include("namespaces", Some(false)).is_ok(),
            "namespaces are exempt"
        );
        assert!(
            f.should_exclude("persistentvolumes", Some(false)).is_none(),
            "related PVs still arrive"
        );
        let f = ResourceFilter::old(IncludesExcludes::default(), Some(false), true);
        assert!(f.should_exclude("persistentvolumes", Some(false)).is_some());
    }
}
