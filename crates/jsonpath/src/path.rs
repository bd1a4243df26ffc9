//! One kubectl path (`.items[*].metadata.name`) as RFC 9535 queries.

use crate::ParseError;
use serde_json::Value;
use serde_json_path::JsonPath;

/// A kubectl path, evaluated relative to the current object (`$`, `@` and nothing all mean it).
#[derive(Debug, Clone)]
pub struct Path {
    stages: Vec<Stage>,
    /// The path as written (kubectl's spelling).
    source: String,
}

/// The most paths a union (and unions after it) may multiply into: kubectl has no bound, but
/// `[a,…300 names][a,…300 names]` would hold 90,000 results per object.
const MAX_FANOUT: usize = 1024;

#[derive(Debug, Clone)]
enum Stage {
    Query(JsonPath),
    /// kubectl's `['a.b', 'c']`: each member is a path of its own (a dot inside quotes separates
    /// names, as in kubectl); results come member by member.
    Union(Vec<Path>),
}

impl Path {
    /// Parses a path such as `.metadata.name`, `{.metadata.name}` or `..image`.
    pub fn parse(text: &str) -> Result<Path, ParseError> {
        if nesting(text) > MAX_NESTING {
            return Err(ParseError::new(text, "nested too deeply"));
        }
        let mut b = Builder::new(text);
        b.path(text.trim())?;
        let mut p = b.finish()?;
        p.source = text.trim().to_string();
        if p.fanout() > MAX_FANOUT {
            return Err(ParseError::new(
                text,
                format!(
                    "its unions multiply into more than {MAX_FANOUT} paths per value; split the template"
                ),
            ));
        }
        Ok(p)
    }

    /// How many values one input can become at most through the unions (members multiply).
    fn fanout(&self) -> usize {
        self.stages.iter().fold(1usize, |n, s| match s {
            Stage::Query(_) => n,
            Stage::Union(members) => n.saturating_mul(
                members
                    .iter()
                    .map(Path::fanout)
                    .fold(0usize, usize::saturating_add),
            ),
        })
    }

    /// Whether the path has a union of several paths (`['a.b', 'c']`), whose results come
    /// member by member over all the values before it.
    pub fn has_union(&self) -> bool {
        self.stages.iter().any(|s| matches!(s, Stage::Union(_)))
    }

    /// The path as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// kubectl's relaxed spelling for custom columns: `name1.name2`, `.name1.name2`,
    /// `{name1.name2}` or `{.name1.name2}`.
    pub fn parse_relaxed(text: &str) -> Result<Path, ParseError> {
        let t = text.trim();
        let inner = t.strip_prefix('{').unwrap_or(t);
        let inner = inner.strip_suffix('}').unwrap_or(inner);
        if inner.is_empty() || inner.contains(['{', '}']) {
            return Err(ParseError::new(
                text,
                "expected 'name1.name2', '.name1.name2', '{name1.name2}' or '{.name1.name2}'",
            ));
        }
        if inner.starts_with(['.', '[', '@', '$']) {
            Path::parse(inner)
        } else {
            Path::parse(&format!(".{inner}"))
        }
    }

    /// The values the path selects, in document order; none when a key is missing.
    pub fn eval<'v>(&self, root: &'v Value) -> Vec<&'v Value> {
        let mut current = vec![root];
        for stage in &self.stages {
            current = match stage {
                Stage::Query(q) => current.iter().flat_map(|v| q.query(v).all()).collect(),
                Stage::Union(members) => members
                    .iter()
                    .flat_map(|m| current.iter().flat_map(move |v| m.eval(v)))
                    .collect(),
            };
        }
        current
    }
}

/// Accumulates RFC 9535 text for the current query stage.
struct Builder<'t> {
    text: &'t str,
    query: String,
    stages: Vec<Stage>,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Builder<'t> {
        Builder {
            text,
            query: "$".into(),
            stages: Vec::new(),
        }
    }

    fn err(&self, message: impl Into<String>) -> ParseError {
        ParseError::new(self.text, message)
    }

    fn flush(&mut self) -> Result<(), ParseError> {
        if self.query != "$" {
            let q = JsonPath::parse(&self.query).map_err(|e| self.err(e.to_string()))?;
            self.stages.push(Stage::Query(q));
            self.query = "$".into();
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Path, ParseError> {
        self.flush()?;
        Ok(Path {
            stages: self.stages,
            source: String::new(),
        })
    }

    fn name(&mut self, name: &str) {
        self.query.push_str(&quoted_selector(name));
    }

    fn path(&mut self, p: &str) -> Result<(), ParseError> {
        let p = p
            .strip_prefix('$')
            .or_else(|| p.strip_prefix('@'))
            .unwrap_or(p);
        let chars: Vec<char> = p.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '.' if chars.get(i + 1) == Some(&'.') => {
                    self.query.push_str("..");
                    i += 2;
                    i = self.member(&chars, i, true)?;
                }
                '.' => {
                    i = self.member(&chars, i + 1, false)?;
                }
                '[' => {
                    let end = closing(&chars, i).ok_or_else(|| self.err("unclosed ["))?;
                    let inner: String = chars[i + 1..end].iter().collect();
                    self.bracket(inner.trim())?;
                    i = end + 1;
                }
                c if i == 0 && !c.is_whitespace() => {
                    // kubectl accepts a leading name without its dot only in relaxed paths,
                    // which add the dot; here it is a mistake.
                    return Err(self.err(format!("unexpected {c:?}: a path starts with '.'")));
                }
                c => return Err(self.err(format!("unexpected {c:?}"))),
            }
        }
        Ok(())
    }

    /// A name after `.` or `..` (or `*`), up to the next unescaped `.` or `[`.
    fn member(
        &mut self,
        chars: &[char],
        mut i: usize,
        recursive: bool,
    ) -> Result<usize, ParseError> {
        if chars.get(i) == Some(&'*') {
            self.query.push_str("[*]");
            return Ok(i + 1);
        }
        let mut name = String::new();
        while let Some(&c) = chars.get(i) {
            match c {
                '\\' if i + 1 < chars.len() => {
                    name.push(chars[i + 1]);
                    i += 2;
                    continue;
                }
                '.' | '[' => break,
                c => name.push(c),
            }
            i += 1;
        }
        if name.is_empty() {
            if recursive && chars.get(i) == Some(&'[') {
                return Ok(i);
            }
            if i < chars.len() {
                return Err(self.err("an empty name"));
            }
            // A trailing `.` (`{.}`) is the current object.
            return Ok(i);
        }
        self.name(&name);
        Ok(i)
    }

    fn bracket(&mut self, inner: &str) -> Result<(), ParseError> {
        if let Some(filter) = inner.strip_prefix('?') {
            let translated = self.filter(filter.trim())?;
            self.query.push_str(&format!("[?{translated}]"));
            return Ok(());
        }
        if inner.starts_with(['\'', '"']) {
            let members = split_quoted(inner).ok_or_else(|| self.err("unclosed quote"))?;
            if let [only] = members.as_slice() {
                for name in split_dots(only) {
                    self.name(&name);
                }
                return Ok(());
            }
            self.flush()?;
            let mut paths = Vec::new();
            for m in members {
                let mut b = Builder::new(self.text);
                for name in split_dots(&m) {
                    b.name(&name);
                }
                paths.push(b.finish()?);
            }
            self.stages.push(Stage::Union(paths));
            return Ok(());
        }
        if inner.is_empty()
            || !inner
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '-' | ':' | ',' | '*' | ' '))
        {
            return Err(self.err(format!("unexpected subscript [{inner}]")));
        }
        self.query.push_str(&format!("[{inner}]"));
        Ok(())
    }

    /// A filter's body with each `@…` path spelled as RFC 9535 wants it (`@['a-b']['c']`).
    fn filter(&self, body: &str) -> Result<String, ParseError> {
        let chars: Vec<char> = body.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                q @ ('\'' | '"') => {
                    let end = (i + 1..chars.len())
                        .find(|&j| chars[j] == q && chars[j - 1] != '\\')
                        .ok_or_else(|| self.err("unclosed quote"))?;
                    out.extend(&chars[i..=end]);
                    i = end + 1;
                }
                '@' => {
                    let mut j = i + 1;
                    while j < chars.len() {
                        match chars[j] {
                            '[' => {
                                j = closing(&chars, j).ok_or_else(|| self.err("unclosed ["))? + 1
                            }
                            c if c.is_whitespace() || "=!<>)&|,".contains(c) => break,
                            _ => j += 1,
                        }
                    }
                    let mut b = Builder::new(self.text);
                    b.path(&chars[i + 1..j].iter().collect::<String>())?;
                    if !b.stages.is_empty() {
                        return Err(self.err("a union inside a filter"));
                    }
                    out.push('@');
                    out.push_str(&b.query[1..]);
                    i = j;
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        Ok(out)
    }
}

/// Brackets and parentheses nested deeper than this are refused: parsing recurses on them.
const MAX_NESTING: usize = 64;

/// How deeply `[` and `(` nest in a text.
fn nesting(text: &str) -> usize {
    let (mut depth, mut most) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '[' | '(' => {
                depth += 1;
                most = most.max(depth);
            }
            ']' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    most
}

/// `['name']` with the name escaped for RFC 9535.
fn quoted_selector(name: &str) -> String {
    let mut s = String::from("['");
    for c in name.chars() {
        match c {
            '\'' => s.push_str("\\'"),
            '\\' => s.push_str("\\\\"),
            c if (c as u32) < 0x20 => s.push_str(&format!("\\u{:04x}", c as u32)),
            c => s.push(c),
        }
    }
    s.push_str("']");
    s
}

/// The index of the `]` closing the `[` at `open`, skipping quoted text and nested brackets.
fn closing(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (i, &c) in chars.iter().enumerate().skip(open) {
        match (quote, c) {
            (Some(q), c) if c == q && chars[i - 1] != '\\' => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `'a', "b.c"` → its members, unquoted (escapes other than `\.` resolved).
fn split_quoted(inner: &str) -> Option<Vec<String>> {
    let mut members = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let Some(q) = chars.next() else { break };
        if q != '\'' && q != '"' {
            return None;
        }
        let mut m = String::new();
        loop {
            match chars.next()? {
                '\\' => {
                    let e = chars.next()?;
                    if e == '.' {
                        m.push('\\');
                    }
                    m.push(e);
                }
                c if c == q => break,
                c => m.push(c),
            }
        }
        members.push(m);
    }
    Some(members)
}

/// A quoted member's names: kubectl splits on dots not escaped with `\`.
fn split_dots(member: &str) -> Vec<String> {
    let mut names = vec![String::new()];
    let mut chars = member.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => names
                .last_mut()
                .into_iter()
                .for_each(|n| n.extend(chars.next())),
            '.' => names.push(String::new()),
            c => names.last_mut().into_iter().for_each(|n| n.push(c)),
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn texts(path: &str, v: &Value) -> Vec<String> {
        Path::parse(path)
            .unwrap()
            .eval(v)
            .into_iter()
            .map(crate::template_text)
            .collect()
    }

    /// The input of kubectl's JSONPath reference page.
    fn reference() -> Value {
        json!({
          "kind": "List",
          "items": [
            {"kind": "None", "metadata": {"name": "127.0.0.1", "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
             "status": {"capacity": {"cpu": "4"}, "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}]}},
            {"kind": "None", "metadata": {"name": "127.0.0.2"},
             "status": {"capacity": {"cpu": "8"}, "addresses": [
                {"type": "LegacyHostIP", "address": "127.0.0.2"},
                {"type": "another", "address": "127.0.0.3"}]}}
          ],
          "users": [
            {"name": "myself", "user": {}},
            {"name": "e2e", "user": {"username": "admin", "password": "secret"}}
          ]
        })
    }

    #[test]
    fn the_reference_pages_examples() {
        let v = reference();
        assert_eq!(texts(".kind", &v), ["List"]);
        assert_eq!(texts("['kind']", &v), ["List"]);
        assert_eq!(texts("..name", &v).len(), 4);
        assert_eq!(
            texts(".items[*].metadata.name", &v),
            ["127.0.0.1", "127.0.0.2"]
        );
        assert_eq!(texts(".users[0].name", &v), ["myself"]);
        assert_eq!(
            texts(".items[*]['metadata.name', 'status.capacity']", &v),
            ["127.0.0.1", "127.0.0.2", r#"{"cpu":"4"}"#, r#"{"cpu":"8"}"#]
        );
        assert_eq!(
            texts(r#".users[?(@.name=="e2e")].user.password"#, &v),
            ["secret"]
        );
        assert_eq!(
            texts(r".items[0].metadata.labels.kubernetes\.io/hostname", &v),
            ["127.0.0.1"]
        );
        assert_eq!(texts(".items[-1:].metadata.name", &v), ["127.0.0.2"]);
        assert_eq!(texts(".users[0:2].name", &v), ["myself", "e2e"]);
        assert_eq!(texts("@", &v).len(), 1);
    }

    #[test]
    fn filters_with_names_rfc_shorthand_refuses() {
        let v = json!({"c": [{"type": "Ready", "a-b": {"x.y": 1}}, {"type": "Other"}]});
        assert_eq!(texts(r#".c[?(@.type=="Ready")].type"#, &v), ["Ready"]);
        assert_eq!(texts(r#".c[?(@.a-b)].type"#, &v), ["Ready"]);
        assert_eq!(texts(r#".c[?(@.type!='Ready')].type"#, &v), ["Other"]);
    }

    #[test]
    fn missing_keys_select_nothing() {
        assert!(texts(".nope.deeper", &reference()).is_empty());
    }

    #[test]
    fn relaxed_paths_as_custom_columns_take_them() {
        let v = json!({"metadata": {"name": "n"}});
        for p in [
            "metadata.name",
            ".metadata.name",
            "{metadata.name}",
            "{.metadata.name}",
        ] {
            let got = Path::parse_relaxed(p).unwrap();
            assert_eq!(got.eval(&v), vec![&json!("n")], "{p}");
        }
        assert!(Path::parse_relaxed("{.a}{.b}").is_err());
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!(".a{}", "[?(@.b".repeat(5000));
        assert!(Path::parse(&deep).is_err());
    }

    #[test]
    fn malformed_paths_are_errors() {
        for bad in [".a[", ".a[x]", ".a['b", "a", ".a[?(@.b=='x)]"] {
            assert!(Path::parse(bad).is_err(), "{bad}");
        }
    }
}
