//! kubectl's `-o jsonpath` template: text, `{path}`, `{"quoted"}`, `{range path}…{end}`.

use crate::{ParseError, Path, template_text};
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Path(Path),
    Range(Path, Vec<Node>),
}

/// Ranges nested deeper than this are refused: rendering (and dropping) a template recurses once
/// per range, and 50,000 of them overflowed the stack.
const MAX_RANGES: usize = 32;

impl Template {
    pub fn parse(text: &str) -> Result<Template, ParseError> {
        let err = |m: &str| ParseError::new(text, m);
        // The open ranges, innermost last, each with the nodes gathered so far.
        let mut stack: Vec<(Option<Path>, Vec<Node>)> = vec![(None, Vec::new())];
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        let mut literal = String::new();
        while i < chars.len() {
            if chars[i] != '{' {
                literal.push(chars[i]);
                i += 1;
                continue;
            }
            let end = action_end(&chars, i).ok_or_else(|| err("unclosed action: missing }"))?;
            let action: String = chars[i + 1..end].iter().collect();
            let action = action.trim();
            let nodes = &mut stack.last_mut().ok_or_else(|| err("unbalanced range"))?.1;
            if !literal.is_empty() {
                nodes.push(Node::Text(std::mem::take(&mut literal)));
            }
            if let Some(p) = action.strip_prefix("range ") {
                if stack.len() > MAX_RANGES {
                    return Err(ParseError::new(
                        text,
                        format!("ranges nested more than {MAX_RANGES} deep"),
                    ));
                }
                stack.push((Some(Path::parse(p.trim())?), Vec::new()));
            } else if action == "end" {
                let (Some(path), body) = stack.pop().ok_or_else(|| err("unbalanced range"))? else {
                    return Err(err("not in range, nothing to end"));
                };
                let parent = &mut stack.last_mut().ok_or_else(|| err("unbalanced range"))?.1;
                parent.push(Node::Range(path, body));
            } else if action.starts_with(['"', '\'']) {
                nodes.push(Node::Text(
                    unquote(action).ok_or_else(|| err("bad quoted text"))?,
                ));
            } else if action.is_empty() {
                return Err(err("an empty action {}"));
            } else {
                nodes.push(Node::Path(Path::parse(action)?));
            }
            i = end + 1;
        }
        if !literal.is_empty()
            && let Some((_, nodes)) = stack.last_mut()
        {
            nodes.push(Node::Text(literal));
        }
        match stack.pop() {
            Some((None, nodes)) if stack.is_empty() => Ok(Template { nodes }),
            _ => Err(err("range without end")),
        }
    }

    /// The template as work on one item of a List at a time, when it reads the list only through
    /// `.items[*]` (`{range .items[*]}…{end}`, `{.items[*].metadata.name}`, text around them):
    /// then a caller need not hold the whole list. None for any other template.
    pub fn itemwise(&self) -> Option<Itemwise> {
        let rest = |p: &Path| -> Option<Path> {
            // A union gives its results member by member over every item: not item by item.
            let r = p.source().strip_prefix(".items[*]")?;
            Path::parse(r).ok().filter(|r| !r.has_union())
        };
        let parts = self
            .nodes
            .iter()
            .map(|n| match n {
                Node::Text(t) => Some(Part::Text(t.clone())),
                Node::Path(p) => rest(p).map(Part::Values),
                Node::Range(p, body) => rest(p).map(|r| Part::Range(r, body.clone())),
            })
            .collect::<Option<Vec<Part>>>()?;
        Some(Itemwise { parts })
    }

    /// Renders the template against one object (kubectl hands it the List for many).
    pub fn render(&self, root: &Value) -> String {
        self.render_with(root, &|v| v.to_string())
    }

    /// Renders with each selected value's text passed through `value` (to escape it for a
    /// terminal, say) and the template's own text as written.
    pub fn render_with(&self, root: &Value, value: &dyn Fn(&str) -> String) -> String {
        let mut out = String::new();
        render(&self.nodes, root, value, &mut out);
        out
    }
}

/// A List template taken apart per item (see [`Template::itemwise`]).
#[derive(Debug, Clone)]
pub struct Itemwise {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    /// `{.items[*]REST}`: REST's values of every item, space-separated.
    Values(Path),
    /// `{range .items[*]REST}BODY{end}`.
    Range(Path, Vec<Node>),
}

/// What one item gives each part of an [`Itemwise`] template.
pub type ItemPieces = Vec<Vec<String>>;

impl Itemwise {
    /// One item's pieces, each value passed through `value`.
    pub fn item(&self, item: &Value, value: &dyn Fn(&str) -> String) -> ItemPieces {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(_) => Vec::new(),
                Part::Values(path) => path
                    .eval(item)
                    .into_iter()
                    .map(|v| value(&template_text(v)))
                    .collect(),
                Part::Range(path, body) => path
                    .eval(item)
                    .into_iter()
                    .map(|v| {
                        let mut out = String::new();
                        render(body, v, value, &mut out);
                        out
                    })
                    .collect(),
            })
            .collect()
    }

    /// The output for the items' pieces, in the list's order.
    pub fn assemble(&self, items: &[ItemPieces]) -> String {
        let mut out = String::new();
        for (i, part) in self.parts.iter().enumerate() {
            let pieces = items.iter().flat_map(|p| p.get(i).into_iter().flatten());
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Values(_) => {
                    for (k, v) in pieces.enumerate() {
                        if k > 0 {
                            out.push(' ');
                        }
                        out.push_str(v);
                    }
                }
                Part::Range(..) => pieces.for_each(|p| out.push_str(p)),
            }
        }
        out
    }
}

fn render(nodes: &[Node], current: &Value, value: &dyn Fn(&str) -> String, out: &mut String) {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Path(p) => {
                for (i, v) in p.eval(current).into_iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(&value(&template_text(v)));
                }
            }
            Node::Range(p, body) => {
                for v in p.eval(current) {
                    render(body, v, value, out);
                }
            }
        }
    }
}

/// The `}` ending the action opened at `open`, skipping quoted text.
fn action_end(chars: &[char], open: usize) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut i = open + 1;
    while i < chars.len() {
        match (quote, chars[i]) {
            (Some(_), '\\') => i += 1,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, c @ ('"' | '\'')) => quote = Some(c),
            (None, '}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// A quoted string with Go's escapes (`\n`, `\t`, `\\`, `\"`, `\xHH`, `\uHHHH`).
fn unquote(s: &str) -> Option<String> {
    let q = s.chars().next()?;
    let body = s.strip_prefix(q)?.strip_suffix(q)?;
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        out.push(match e {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'a' => '\u{7}',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'v' => '\u{b}',
            'x' | 'u' | 'U' => {
                let digits = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = chars.by_ref().take(digits).collect();
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            other => other,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(t: &str, v: &Value) -> String {
        Template::parse(t).unwrap().render(v)
    }

    #[test]
    fn kubectl_reference_examples() {
        let v = json!({"kind": "List", "items": [
            {"metadata": {"name": "127.0.0.1"}, "status": {"capacity": {"cpu": "4"}}},
            {"metadata": {"name": "127.0.0.2"}, "status": {"capacity": {"cpu": "8"}}}]});
        assert_eq!(run("kind is {.kind}", &v), "kind is List");
        assert_eq!(run(r#"{"{"}"#, &v), "{");
        assert_eq!(run("{.items[*].metadata.name}", &v), "127.0.0.1 127.0.0.2");
        assert_eq!(
            run(
                "{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}",
                &v
            ),
            r#"[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] "#
        );
        assert_eq!(
            run(r"{range .items[*]}{.metadata.name}{'\t'}{end}", &v),
            "127.0.0.1\t127.0.0.2\t"
        );
        assert_eq!(
            run(r#"{range .items[*]}{.metadata.name}{"\n"}{end}"#, &v),
            "127.0.0.1\n127.0.0.2\n"
        );
    }

    /// Item by item, the same output as over the whole List.
    #[test]
    fn itemwise_matches_the_whole_list() {
        let v = json!({"kind": "List", "items": [
            {"metadata": {"name": "a"}, "spec": {"c": [{"i": 1}, {"i": 2}]}},
            {"metadata": {"name": "b"}, "spec": {"c": []}},
            {"metadata": {"name": "c"}}]});
        for t in [
            "{.items[*].metadata.name}",
            r#"names: {.items[*].metadata.name}{"\n"}"#,
            r#"{range .items[*]}{.metadata.name}:{range .spec.c[*]}{.i},{end};{end}"#,
            "{.items[*].spec.c[*].i} and {range .items[*]}[{.metadata.name}]{end}",
        ] {
            let template = Template::parse(t).unwrap();
            let itemwise = template.itemwise().unwrap_or_else(|| panic!("{t}"));
            let id = |s: &str| s.to_string();
            let pieces: Vec<ItemPieces> = v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| itemwise.item(i, &id))
                .collect();
            assert_eq!(itemwise.assemble(&pieces), template.render(&v), "{t}");
        }
        for whole in [
            "{.kind}",
            "{.items[0].metadata.name}",
            "{..name}",
            "{range .items[1:]}x{end}",
            "{.items[*]['metadata.name', 'spec']}",
        ] {
            assert!(
                Template::parse(whole).unwrap().itemwise().is_none(),
                "{whole}"
            );
        }
    }

    /// Hostile templates are refused with a message, not a crash or gigabytes of results.
    #[test]
    fn deep_ranges_and_multiplying_unions_are_refused() {
        let deep = "{range .a[*]}".repeat(50_000) + &"{end}".repeat(50_000);
        let e = Template::parse(&deep).err().map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|e| e.contains("nested more than")),
            "{e:?}"
        );
        let names: Vec<String> = (0..300).map(|i| format!("'n{i}'")).collect();
        let union = format!("[{}]", names.join(","));
        let e = Template::parse(&format!("{{.a{union}{union}}}"))
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|e| e.contains("multiply")),
            "{e:?}"
        );
        // A union of a few members stays as kubectl takes it.
        assert!(Template::parse("{.a['b','c']['d','e']}").is_ok());
    }

    #[test]
    fn nested_ranges() {
        let v =
            json!({"items": [{"n": "a", "c": [{"i": 1}, {"i": 2}]}, {"n": "b", "c": [{"i": 3}]}]});
        assert_eq!(
            run("{range .items[*]}{.n}:{range .c[*]}{.i},{end};{end}", &v),
            "a:1,2,;b:3,;"
        );
    }

    #[test]
    fn malformed_templates_are_errors() {
        for bad in ["{.a", "{range .items[*]}{.a}", "{end}", "{}", "{.a[}"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }
}
