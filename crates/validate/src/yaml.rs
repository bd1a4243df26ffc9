//! YAML (and JSON) documents read event by event, so that duplicate keys are reported instead of
//! silently resolved, and each document keeps its line.

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

#[derive(Default)]
struct Loader {
    docs: Vec<Document>,
    stack: Vec<Frame>,
    anchors: Vec<(usize, Value)>,
    duplicates: Vec<String>,
    line: usize,
    root: Option<Value>,
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
            self.anchors.push((anchor, v.clone()));
        }
        let depth = self.stack.len();
        let prefix = if depth > 0 {
            self.path_to(depth - 1)
        } else {
            String::new()
        };
        match self.stack.last_mut() {
            None => self.root = Some(v),
            Some(Frame::Seq(items, _)) => items.push(v),
            Some(Frame::Map(map, pending, _)) => match pending.take() {
                None => *pending = Some(key_text(&v)),
                Some(k) => {
                    if map.contains_key(&k) {
                        let p = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        self.duplicates.push(p);
                    }
                    map.insert(k, v);
                }
            },
        }
    }
}

impl MarkedEventReceiver for Loader {
    fn on_event(&mut self, ev: Event, mark: Marker) {
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
            }
            Event::Scalar(text, style, anchor, _) => self.push_value(scalar(text, style), anchor),
            Event::Alias(id) => {
                let v = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map(|(_, v)| v.clone())
                    .unwrap_or(Value::Null);
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
pub fn documents(text: &str) -> Result<Vec<Document>, String> {
    let mut loader = Loader::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut loader, true).map_err(|e| e.to_string())?;
    Ok(loader
        .docs
        .into_iter()
        .filter(|d| !d.value.is_null())
        .collect())
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
}
