//! Velero's backup namespace filter (format reference §3.3): include/exclude globs, expanded
//! against the cluster's namespaces from v1.18 on, where a pattern that matches nothing selects
//! nothing.

use crate::glob::GlobPattern;
use crate::includes::IncludesExcludes;
use crate::validate;

#[derive(Debug, Clone)]
pub struct NamespaceFilter {
    pub ie: IncludesExcludes,
    /// Set when wildcards were expanded: (includes, excludes) after expansion.
    pub expanded: Option<(Vec<String>, Vec<String>)>,
}

/// `wildcard.ShouldExpandWildcards`: includes non-empty, no literal `*`, and some pattern in
/// either list.
pub fn should_expand(includes: &[String], excludes: &[String]) -> bool {
    !includes.is_empty()
        && !includes.iter().any(|i| i == "*")
        && includes
            .iter()
            .chain(excludes)
            .any(|p| GlobPattern::has_wildcard(p))
}

fn expand(patterns: &[String], active: &[String]) -> Result<Vec<String>, crate::SelectError> {
    for p in patterns {
        validate::wildcard_pattern(p)?;
    }
    let mut out = std::collections::BTreeSet::new();
    for p in patterns {
        if !GlobPattern::has_wildcard(p) {
            out.insert(p.clone());
            continue;
        }
        let g = GlobPattern::new(p);
        if !g.is_valid() {
            return Err(crate::SelectError::Invalid(format!(
                "invalid wildcard pattern {p:?}"
            )));
        }
        for ns in active {
            if g.matches(ns) == Some(true) {
                out.insert(ns.clone());
            }
        }
    }
    Ok(out.into_iter().collect())
}

impl NamespaceFilter {
    pub fn new(
        includes: &[String],
        excludes: &[String],
        active: &[String],
        expand_wildcards: bool,
    ) -> Result<NamespaceFilter, crate::SelectError> {
        if expand_wildcards && should_expand(includes, excludes) {
            let inc = expand(includes, active)?;
            let exc = expand(excludes, active)?;
            return Ok(NamespaceFilter {
                ie: IncludesExcludes::new(&inc, &exc),
                expanded: Some((inc, exc)),
            });
        }
        Ok(NamespaceFilter {
            ie: IncludesExcludes::new(includes, excludes),
            expanded: None,
        })
    }

    pub fn should_include(&self, ns: &str) -> bool {
        if self.expanded.is_some() && self.ie.includes.is_empty() {
            return false;
        }
        self.ie.should_include(ns)
    }

    pub fn include_everything(&self) -> bool {
        self.ie.include_everything()
    }

    /// `getNamespacesToList`: None = list across all namespaces, else the included names that
    /// pass the filter.
    pub fn namespaces_to_list(&self) -> Option<Vec<String>> {
        if self.should_include("*") {
            return None;
        }
        Some(
            self.ie
                .includes
                .items()
                .filter(|i| self.should_include(i))
                .map(str::to_string)
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| s.to_string()).collect()
    }

    // TestExpandIncludesExcludes / TestResolveNamespaceList (reference §8, cases 9–11).
    #[test]
    fn expansion() {
        let active = v(&["default", "kube-system", "kube-public", "test"]);
        let f = NamespaceFilter::new(&v(&["kube-*"]), &[], &active, true).unwrap();
        assert_eq!(
            f.expanded.as_ref().unwrap().0,
            v(&["kube-public", "kube-system"])
        );
        let f = NamespaceFilter::new(&v(&["*"]), &[], &active, true).unwrap();
        assert!(f.expanded.is_none());
        let active2 = v(&["test-1", "test-2", "test-10", "default"]);
        let f = NamespaceFilter::new(&v(&["test-?"]), &[], &active2, true).unwrap();
        assert_eq!(f.expanded.as_ref().unwrap().0, v(&["test-1", "test-2"]));
        let active3 = v(&["default", "kube-test", "app-test", "prod"]);
        let f = NamespaceFilter::new(&v(&["default"]), &v(&["*-test"]), &active3, true).unwrap();
        assert_eq!(
            f.expanded.as_ref().unwrap().1,
            v(&["app-test", "kube-test"])
        );
        let f = NamespaceFilter::new(&v(&["nonexistent-*"]), &[], &active, true).unwrap();
        assert!(!f.should_include("default"));
        assert_eq!(f.namespaces_to_list(), Some(vec![]));
        let f = NamespaceFilter::new(
            &v(&["default", "nonexistent"]),
            &[],
            &v(&["default", "test"]),
            true,
        )
        .unwrap();
        assert!(f.expanded.is_none(), "no wildcard, no expansion");
        assert!(NamespaceFilter::new(&v(&["kube-**"]), &[], &active, true).is_err());
    }

    #[test]
    fn before_1_18_patterns_match_directly() {
        let f = NamespaceFilter::new(&v(&["nonexistent-*"]), &[], &v(&["default"]), false).unwrap();
        assert!(!f.should_include("default"));
        let f = NamespaceFilter::new(&v(&["*"]), &v(&["kube-*"]), &[], false).unwrap();
        assert!(!f.should_include("kube-system"));
        assert!(f.should_include("default"));
        assert_eq!(f.namespaces_to_list(), None);
    }
}
