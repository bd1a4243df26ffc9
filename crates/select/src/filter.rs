use crate::SelectError;
use crate::glob::GlobPattern;
use crate::includes::IncludesExcludes;
use crate::resolve::{Resolution, Resolver};
use veloscope_index::{Index, Item};
use veloscope_model::Selector;

/// The filter flags `ls` shares with `velero backup create`.
#[derive(Debug, Clone, Default)]
pub struct FilterSpec {
    pub include_namespaces: Vec<String>,
    pub exclude_namespaces: Vec<String>,
    pub include_resources: Vec<String>,
    pub exclude_resources: Vec<String>,
    pub include_cluster_resources: Option<bool>,
    pub selector: Option<String>,
    pub or_selector: Option<String>,
}

/// An item filter built from [`FilterSpec`]: namespaces and resources by include/exclude globs,
/// cluster-scoped items by Velero's `includeClusterResources` rule (nil: only when no namespace
/// filter narrows the set), then the label selector or any of the OR selectors.
#[derive(Debug, Clone)]
pub struct ItemFilter {
    namespaces: IncludesExcludes,
    resources: IncludesExcludes,
    include_cluster: Option<bool>,
    selectors: Vec<Selector>,
}

impl ItemFilter {
    pub fn new(spec: &FilterSpec, resolver: &Resolver) -> Result<ItemFilter, SelectError> {
        let resolve_list = |names: &[String]| -> Result<Vec<String>, SelectError> {
            names
                .iter()
                .map(|n| match resolver.resolve(n) {
                    Resolution::Resource(gr) => Ok(gr),
                    Resolution::Pattern(p) if p == "*" || GlobPattern::has_wildcard(&p) => Ok(p),
                    Resolution::Pattern(p) if resolver.in_archive(&p) => Ok(p),
                    Resolution::Pattern(p) => Err(SelectError::UnknownResource(p)),
                })
                .collect()
        };
        let selectors = match (&spec.selector, &spec.or_selector) {
            (Some(_), Some(_)) => {
                return Err(SelectError::Invalid(
                    "--selector and --or-selector cannot be used together, only one can be specified".into(),
                ));
            }
            (Some(s), None) => vec![Selector::parse(s)?],
            (None, Some(s)) => Selector::parse_or(s)?,
            (None, None) => vec![],
        };
        Ok(ItemFilter {
            namespaces: IncludesExcludes::new(&spec.include_namespaces, &spec.exclude_namespaces),
            resources: IncludesExcludes::new(
                &resolve_list(&spec.include_resources)?,
                &resolve_list(&spec.exclude_resources)?,
            ),
            include_cluster: spec.include_cluster_resources,
            selectors,
        })
    }

    pub fn matches(&self, index: &Index, item: &Item) -> bool {
        let gr = index.gr(item);
        if !self.resources.should_include(gr) {
            return false;
        }
        let scope_ok = match index.namespace(item) {
            Some(ns) => self.namespaces.should_include(ns),
            None => match self.include_cluster {
                Some(flag) => flag,
                None => self.namespaces.include_everything(),
            },
        };
        scope_ok
            && (self.selectors.is_empty()
                || self
                    .selectors
                    .iter()
                    .any(|s| s.matches(|k| index.label(item, k))))
    }
}
