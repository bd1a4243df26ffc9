//! The one manifest loader: YAML (and JSON, a subset) documents read event by event, so that
//! duplicate keys are reported instead of silently resolved (the later value wins, as in the API
//! server and Go's decoder), each document keeps its line, alias expansion is bounded (a "billion
//! laughs" document is refused) and deep nesting costs linear time.

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    /// Line (1-based) where the document starts.
    pub line: usize,
    /// Paths of keys that appear twice in one mapping (the later value wins, as in the API server).
    pub duplicates: Vec<String>,
}

enum Frame {
    Map(Map<String, Value>, Option<String>, usize),
    Seq(Vec<Value>, usize),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ManifestError {
    #[error("not YAML or JSON: {0}")]
    Syntax(String),
    #[error("aliases expand to more than {0} values (a YAML alias bomb?)")]
    AliasBomb(usize),
    #[error("no document")]
    Empty,
}

/// Values an alias may bring in per document, beyond the document's own: enough for any real
/// manifest's anchors, far from what an alias bomb asks.
const ALIAS_BUDGET: usize = 1 << 20;

#[derive(Default)]
struct Loader {
    docs: Vec<Document>,
    stack: Vec<Frame>,
    /// Anchored values with the number of values each holds.
    anchors: Vec<(usize, Value, usize)>,
    duplicates: Vec<String>,
    line: usize,
    root: Option<Value>,
    /// Values brought in by aliases in this document.
    expanded: usize,
    /// Why the rest of the input is ignored.
    failed: Option<ManifestError>,
}

/// The number of values in a value (itself included).
fn size(v: &Value) -> usize {
    let mut n = 0;
    let mut todo = vec![v];
    while let Some(v) = todo.pop() {
        n += 1;
        match v {
            Value::Array(a) => todo.extend(a),
            Value::Object(o) => todo.extend(o.values()),
            _ => {}
        }
    }
    n
}

fn scalar(text: String, style: TScalarStyle) -> Value {
    if style != TScalarStyle::Plain {
        return Value::String(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Value::Number(i.into());
    }
    if let Some(h) = text
        .strip_prefix("0x")
        .and_then(|h| i64::from_str_radix(h, 16).ok())
    {
        return Value::Number(h.into());
    }
    if let Some(o) = text
        .strip_prefix("0o")
        .and_then(|o| i64::from_str_radix(o, 8).ok())
    {
        return Value::Number(o.into());
    }
    if text.chars().any(|c| c.is_ascii_digit())
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text)
}

fn key_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Loader {
    /// The path of the container at depth `depth` (the frames below it), rendered.
    fn path_to(&self, depth: usize) -> String {
        let mut s = String::new();
        for f in &self.stack[..depth] {
            match f {
                Frame::Map(_, Some(k), _) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                }
                Frame::Seq(items, _) => s.push_str(&format!("[{}]", items.len())),
                Frame::Map(_, None, _) => {}
            }
        }
        s
    }

    fn push_value(&mut self, v: Value, anchor: usize) {
        if anchor > 0 {
            let n = size(&v);
            self.anchors.push((anchor, v.clone(), n));
        }
        let depth = self.stack.len();
        let mut duplicate = None;
        match self.stack.last_mut() {
            None => self.root = Some(v),
            Some(Frame::Seq(items, _)) => items.push(v),
            Some(Frame::Map(map, pending, _)) => match pending.take() {
                None => *pending = Some(key_text(&v)),
                Some(k) => {
                    if map.contains_key(&k) {
                        duplicate = Some(k.clone());
                    }
                    map.insert(k, v);
                }
            },
        }
        // The path is rendered only for a duplicate: rendering it for every value would make
        // deep documents cost the square of their depth.
        if let Some(k) = duplicate {
            let prefix = self.path_to(depth - 1);
            self.duplicates.push(if prefix.is_empty() {
                k
            } else {
                format!("{prefix}.{k}")
            });
        }
    }
}

impl Loader {
    /// Stops loading (the parser itself refuses nesting deeper than a few hundred levels, so
    /// what was built drops without deep recursion).
    fn fail(&mut self, e: ManifestError) {
        self.failed = Some(e);
        self.stack.clear();
        self.anchors.clear();
        self.root = None;
    }
}

impl MarkedEventReceiver for Loader {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.failed.is_some() {
            return;
        }
        match ev {
            Event::DocumentStart => {
                self.line = mark.line();
                self.root = None;
                self.duplicates.clear();
            }
            Event::DocumentEnd => {
                let value = self.root.take().unwrap_or(Value::Null);
                self.docs.push(Document {
                    value,
                    line: self.line.max(1),
                    duplicates: std::mem::take(&mut self.duplicates),
                });
                self.anchors.clear();
                self.expanded = 0;
            }
            Event::Scalar(text, style, anchor, _) => self.push_value(scalar(text, style), anchor),
            Event::Alias(id) => {
                let found = self.anchors.iter().rev().find(|(a, _, _)| *a == id);
                let n = found.map_or(1, |(_, _, n)| *n);
                self.expanded = self.expanded.saturating_add(n);
                if self.expanded > ALIAS_BUDGET {
                    self.fail(ManifestError::AliasBomb(ALIAS_BUDGET));
                    return;
                }
                let v = found.map(|(_, v, _)| v.clone()).unwrap_or(Value::Null);
                self.push_value(v, 0);
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq(Vec::new(), anchor)),
            Event::SequenceEnd => {
                if let Some(Frame::Seq(items, anchor)) = self.stack.pop() {
                    self.push_value(Value::Array(items), anchor);
                }
            }
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map(Map::new(), None, anchor)),
            Event::MappingEnd => {
                if let Some(Frame::Map(map, _, anchor)) = self.stack.pop() {
                    self.push_value(Value::Object(map), anchor);
                }
            }
            _ => {}
        }
    }
}

/// Every document of a YAML or JSON text; empty documents are dropped.
pub fn documents(text: &str) -> Result<Vec<Document>, ManifestError> {
    let mut loader = Loader::default();
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut loader, true)
        .map_err(|e| ManifestError::Syntax(e.to_string()))?;
    if let Some(e) = loader.failed {
        return Err(e);
    }
    Ok(loader
        .docs
        .into_iter()
        .filter(|d| !d.value.is_null())
        .collect())
}

/// The first document of a YAML or JSON text (a spec, a policy).
pub fn first_document(text: &str) -> Result<Value, ManifestError> {
    documents(text)?
        .into_iter()
        .next()
        .map(|d| d.value)
        .ok_or(ManifestError::Empty)
}

/// The first document, as a `T`.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ManifestError> {
    serde_json::from_value(first_document(text)?).map_err(|e| ManifestError::Syntax(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn multi_document_types_and_duplicates() {
        let docs = documents("a: 1\nb: true\nc: '1'\nd: ~\ne: [x, 2.5]\n---\nspec:\n  ttl: 1h\n  ttl: 2h\n  list:\n  - {name: a, name: b}\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(
            docs[0].value,
            json!({"a": 1, "b": true, "c": "1", "d": null, "e": ["x", 2.5]})
        );
        assert_eq!(docs[1].value["spec"]["ttl"], "2h", "the later value wins");
        assert_eq!(docs[1].duplicates, ["spec.ttl", "spec.list[0].name"]);
        assert_eq!(docs[1].line, 6, "the line of its --- marker");
        let json_doc = documents(r#"{"kind": "Backup", "spec": {"ttl": "1h"}}"#).unwrap();
        assert_eq!(json_doc[0].value["spec"]["ttl"], "1h");
        assert!(documents("a: [1,").is_err());
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (i, prev) in ["b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g"])
        {
            bomb.push_str(&format!("{i}: &{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert_eq!(
            documents(&bomb).unwrap_err(),
            ManifestError::AliasBomb(ALIAS_BUDGET)
        );
        let fine = documents("base: &b {x: 1}\nuse: *b\n").unwrap();
        assert_eq!(fine[0].value["use"], json!({"x": 1}));
    }

    #[test]
    fn deep_nesting_is_linear() {
        let depth = 50_000;
        let text = "[".repeat(depth) + &"]".repeat(depth);
        let start = std::time::Instant::now();
        assert!(matches!(documents(&text), Err(ManifestError::Syntax(_))));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        let ok = "[".repeat(100) + &"]".repeat(100);
        assert_eq!(documents(&ok).unwrap().len(), 1);
    }
}
