use globset::{GlobBuilder, GlobMatcher};

/// A pattern compiled as `github.com/gobwas/glob` does with no separators: `*` spans any run of
/// characters (dots included), `?` one, `[a-z]`, `[!a-c]`, `{a,b}`, `\` escapes.
#[derive(Debug, Clone)]
pub struct GlobPattern {
    pub text: String,
    matcher: Option<GlobMatcher>,
}

impl GlobPattern {
    pub fn new(text: &str) -> GlobPattern {
        let matcher = GlobBuilder::new(text)
            .literal_separator(false)
            .backslash_escape(true)
            .empty_alternates(true)
            .build()
            .ok()
            .map(|g| g.compile_matcher());
        GlobPattern {
            text: text.to_string(),
            matcher,
        }
    }

    /// None when the pattern does not compile.
    pub fn matches(&self, s: &str) -> Option<bool> {
        self.matcher.as_ref().map(|m| m.is_match(s))
    }

    pub fn is_valid(&self) -> bool {
        self.matcher.is_some()
    }

    pub fn has_wildcard(text: &str) -> bool {
        text.contains(['*', '?', '['])
    }
}
