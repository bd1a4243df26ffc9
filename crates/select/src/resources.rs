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
