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
