use crate::glob::GlobPattern;
use std::collections::BTreeSet;

/// A sorted, de-duplicated set of glob patterns: Velero's `globStringSet`.
#[derive(Debug, Clone, Default)]
pub struct GlobSet {
    patterns: Vec<GlobPattern>,
}

impl GlobSet {
    pub fn new<'a>(items: impl IntoIterator<Item = &'a str>) -> GlobSet {
        GlobSet {
            patterns: items
                .into_iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .map(GlobPattern::new)
                .collect(),
        }
    }

    pub fn insert(&mut self, item: &str) {
        if !self.has(item) {
            self.patterns.push(GlobPattern::new(item));
            self.patterns.sort_by(|a, b| a.text.cmp(&b.text));
        }
    }

    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Exact membership (`sets.String.Has`).
    pub fn has(&self, item: &str) -> bool {
        self.patterns.iter().any(|p| p.text == item)
    }

    /// Glob match in sorted order; the first pattern that fails to compile ends the match with
    /// "no match" — Velero's `globStringSet.match` quirk.
    pub fn matches(&self, s: &str) -> bool {
        for p in &self.patterns {
            match p.matches(s) {
                None => return false,
                Some(true) => return true,
                Some(false) => {}
            }
        }
        false
    }

    pub fn items(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(|p| p.text.as_str())
    }
}

/// Velero's `IncludesExcludes` (format reference §3.1): excludes win; empty includes or a literal
/// `*` include everything.
#[derive(Debug, Clone, Default)]
pub struct IncludesExcludes {
    pub includes: GlobSet,
    pub excludes: GlobSet,
}

impl IncludesExcludes {
    pub fn new<I: AsRef<str>, E: AsRef<str>>(includes: &[I], excludes: &[E]) -> Self {
        IncludesExcludes {
            includes: GlobSet::new(includes.iter().map(AsRef::as_ref)),
            excludes: GlobSet::new(excludes.iter().map(AsRef::as_ref)),
        }
    }

    pub fn should_include(&self, s: &str) -> bool {
        if self.excludes.matches(s) {
            return false;
        }
        self.includes.is_empty() || self.includes.has("*") || self.includes.matches(s)
    }

    /// True when nothing is excluded and everything is included.
    pub fn include_everything(&self) -> bool {
        self.excludes.is_empty()
            && (self.includes.is_empty() || (self.includes.len() == 1 && self.includes.has("*")))
    }
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

    #[test]
    fn include_everything() {
        assert!(ie(&[], &[]).include_everything());
        assert!(ie(&["*"], &[]).include_everything());
        assert!(!ie(&["*"], &["x"]).include_everything());
        assert!(!ie(&["a"], &[]).include_everything());
    }
}
