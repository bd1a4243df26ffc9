use crate::glob::GlobPattern;
use std::collections::BTreeSet;

/// Velero's `IncludesExcludes` (format reference §3.1): excludes win; empty includes or a literal
/// `*` include everything. Patterns are tried in sorted order and the first one that fails to
/// compile ends the match with "no match" — Velero's `globStringSet.match` quirk.
#[derive(Debug, Clone, Default)]
pub struct IncludesExcludes {
    includes: Vec<GlobPattern>,
    excludes: Vec<GlobPattern>,
}

impl IncludesExcludes {
    pub fn new<I: AsRef<str>, E: AsRef<str>>(includes: &[I], excludes: &[E]) -> Self {
        IncludesExcludes {
            includes: sorted_set(includes.iter().map(AsRef::as_ref)),
            excludes: sorted_set(excludes.iter().map(AsRef::as_ref)),
        }
    }

    fn set_matches(set: &[GlobPattern], s: &str) -> bool {
        for p in set {
            match p.matches(s) {
                None => return false,
                Some(true) => return true,
                Some(false) => {}
            }
        }
        false
    }

    pub fn should_include(&self, s: &str) -> bool {
        if Self::set_matches(&self.excludes, s) {
            return false;
        }
        self.includes.is_empty()
            || self.includes.iter().any(|p| p.text == "*")
            || Self::set_matches(&self.includes, s)
    }

    /// True when nothing is excluded and everything is included.
    pub fn include_everything(&self) -> bool {
        self.excludes.is_empty()
            && (self.includes.is_empty()
                || (self.includes.len() == 1 && self.includes[0].text == "*"))
    }

    pub fn includes(&self) -> impl Iterator<Item = &str> {
        self.includes.iter().map(|p| p.text.as_str())
    }

    pub fn excludes(&self) -> impl Iterator<Item = &str> {
        self.excludes.iter().map(|p| p.text.as_str())
    }
}

fn sorted_set<'a>(items: impl Iterator<Item = &'a str>) -> Vec<GlobPattern> {
    items
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(GlobPattern::new)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ie(i: &[&str], e: &[&str]) -> IncludesExcludes {
        IncludesExcludes::new(i, e)
    }

    // TestShouldInclude cases of pkg/util/collections/includes_excludes_test.go (reference §8, 1–3).
    #[test]
    fn velero_should_include_table() {
        assert!(ie(&[], &[]).should_include("foo"));
        assert!(ie(&["*"], &[]).should_include("foo"));
        assert!(ie(&["foo", "bar", "baz"], &[]).should_include("foo"));
        assert!(!ie(&["foo", "baz"], &[]).should_include("bar"));
        assert!(!ie(&["*"], &["foo"]).should_include("foo"));
        assert!(ie(&["*"], &["foo"]).should_include("bar"));
        assert!(!ie(&["foo"], &["foo"]).should_include("foo"));
        assert!(ie(&["*.bar"], &[]).should_include("foo.bar"));
        assert!(!ie(&["*.bar"], &[]).should_include("bar.foo"));
        assert!(!ie(&["*"], &["*.bar"]).should_include("foo.bar"));
        assert!(ie(&["*"], &["*.bar"]).should_include("bar.foo"));
    }

    #[test]
    fn invalid_pattern_sorted_first_stops_matching() {
        // "[" sorts before "pods" and fails to compile: pods is not included.
        assert!(!ie(&["[", "pods"], &[]).should_include("pods"));
        assert!(ie(&["pods", "zz["], &[]).should_include("pods"));
    }

    #[test]
    fn gobwas_features() {
        assert!(ie(&["ns-[0-9]"], &[]).should_include("ns-4"));
        assert!(!ie(&["ns-[!0-9]"], &[]).should_include("ns-4"));
        assert!(ie(&["{a,b}-x"], &[]).should_include("b-x"));
        assert!(ie(&["test-?"], &[]).should_include("test-1"));
        assert!(!ie(&["test-?"], &[]).should_include("test-10"));
        assert!(ie(&["*s"], &[]).should_include("deployments.apps"));
    }
}
