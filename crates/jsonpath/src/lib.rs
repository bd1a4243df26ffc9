//! kubectl's JSONPath: the `{…}` template of `-o jsonpath` (text, quoted strings, `range`/`end`)
//! and the paths of `-o custom-columns`, with kubectl's spellings (`.a.b`, `..name`,
//! `['a.b']`, `[?(@.x=="y")]`, `kubernetes\.io/name`) translated to RFC 9535 queries that
//! `serde_json_path` evaluates. Missing keys print nothing, as `kubectl get` does by default
//! (`--allow-missing-template-keys=true`).
//!
//! ```
//! use veloscope_jsonpath::Template;
//!
//! let pod = serde_json::json!({
//!     "metadata": {"name": "web"},
//!     "spec": {"containers": [{"image": "nginx"}, {"image": "envoy"}]},
//! });
//! let template = Template::parse("{.metadata.name}: {.spec.containers[*].image}")?;
//! assert_eq!(template.render(&pod), "web: nginx envoy");
//! # Ok::<(), veloscope_jsonpath::ParseError>(())
//! ```

mod path;
mod template;

pub use path::Path;
pub use template::{ItemPieces, Itemwise, Template};

use serde_json::Value;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{message} in {text:?}")]
pub struct ParseError {
    pub text: String,
    pub message: String,
}

impl ParseError {
    fn new(text: &str, message: impl Into<String>) -> ParseError {
        ParseError {
            text: text.to_string(),
            message: message.into(),
        }
    }
}

/// kubectl's `--sort-by` order of two values: missing first, numbers by value, strings and
/// others by their text.
pub fn compare(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    match (a, b) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(std::cmp::Ordering::Equal),
        (Some(x), Some(y)) => template_text(x).cmp(&template_text(y)),
    }
}

/// kubectl's `--sort-by`: orders `rows` by their keys (each row's first value of the path, or
/// None), stably, as [`compare`] orders two values. Every command sorts through it.
pub fn sort_by_keys<T>(rows: &mut Vec<T>, keys: Vec<Option<Value>>) {
    let mut keyed: Vec<(Option<Value>, T)> = keys.into_iter().zip(rows.drain(..)).collect();
    keyed.sort_by(|x, y| compare(x.0.as_ref(), y.0.as_ref()));
    rows.extend(keyed.into_iter().map(|(_, r)| r));
}

/// A result as `-o jsonpath` prints it: strings as they are, objects and arrays as compact JSON,
/// other scalars as their JSON text.
pub fn template_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value as `-o custom-columns` prints it: Go's `%v` (`map[k:v]`, `[a b]`, `<nil>`), which
/// is what kubectl's column printer uses.
pub fn go_text(v: &Value) -> String {
    let mut out = String::new();
    go_write(v, &mut out);
    out
}

fn go_write(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::String(s) => out.push_str(s),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                go_write(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push_str("map[");
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                go_write(x, out);
            }
            out.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_formatting_matches_fmt_v() {
        let v = json!({"b": [1, "x"], "a": {"c": null}});
        assert_eq!(go_text(&v), "map[a:map[c:<nil>] b:[1 x]]");
        assert_eq!(template_text(&v), r#"{"a":{"c":null},"b":[1,"x"]}"#);
        assert_eq!(template_text(&json!("s")), "s");
    }
}
