//! Field-level comparison of two JSON objects. Lists are matched by the natural key Kubernetes
//! gives their elements (containers and env by `name`, service ports by `port`+`protocol`, …),
//! so one inserted element does not show as every later one changed.

use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub path: String,
    /// The value before; null when the field was added.
    pub old: Value,
    /// The value after; null when the field was removed.
    pub new: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
    /// An array element found by its natural key, e.g. `name=web`.
    Match(String),
}

/// Renders a path: `spec.template.spec.containers[name=web].image`,
/// `metadata.labels["app.kubernetes.io/name"]`, `args[2]`.
pub fn render(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k)
                if !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Key(k) => {
                let _ = write!(s, "[{}]", Value::String(k.clone()));
            }
            Seg::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
            Seg::Match(m) => {
                let _ = write!(s, "[{m}]");
            }
        }
    }
    s
}

/// Candidate natural keys, tried in order; the first that every element on both sides has, and
/// that is unique on each side, wins.
const NATURAL_KEYS: &[&[&str]] = &[
    &["name"],
    &["port", "protocol"],
    &["containerPort", "protocol"],
    &["mountPath"],
    &["type"],
    &["ip"],
];

fn key_of(v: &Value, fields: &[&str]) -> Option<String> {
    let obj = v.as_object()?;
    let first = obj.get(fields[0])?;
    if first.is_null() {
        return None;
    }
    let mut parts = Vec::new();
    for f in fields {
        let text = match obj.get(*f) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        if !text.is_empty() {
            parts.push(format!("{f}={text}"));
        }
    }
    Some(parts.join(","))
}

fn natural_key(a: &[Value], b: &[Value]) -> Option<&'static [&'static str]> {
    NATURAL_KEYS.iter().copied().find(|fields| {
        [a, b].iter().all(|side| {
            let mut seen = BTreeSet::new();
            side.iter()
                .all(|v| key_of(v, fields).is_some_and(|k| seen.insert(k)))
        })
    })
}

pub fn diff(a: &Value, b: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk(&mut Vec::new(), a, b, &mut out);
    out
}

fn change(path: &[Seg], old: Value, new: Value, out: &mut Vec<Change>) {
    out.push(Change {
        path: render(path),
        old,
        new,
    });
}

fn walk(path: &mut Vec<Seg>, a: &Value, b: &Value, out: &mut Vec<Change>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                path.push(Seg::Key(k.clone()));
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => walk(path, p, q, out),
                    (Some(p), None) => change(path, p.clone(), Value::Null, out),
                    (None, Some(q)) => change(path, Value::Null, q.clone(), out),
                    (None, None) => {}
                }
                path.pop();
            }
        }
        (Value::Array(x), Value::Array(y)) if !x.is_empty() && !y.is_empty() => {
            match natural_key(x, y) {
                Some(fields) => {
                    let index: HashMap<String, &Value> = y
                        .iter()
                        .filter_map(|v| Some((key_of(v, fields)?, v)))
                        .collect();
                    let mut seen = BTreeSet::new();
                    for p in x {
                        let Some(k) = key_of(p, fields) else { continue };
                        path.push(Seg::Match(k.clone()));
                        match index.get(&k) {
                            Some(q) => walk(path, p, q, out),
                            None => change(path, p.clone(), Value::Null, out),
                        }
                        path.pop();
                        seen.insert(k);
                    }
                    for q in y {
                        let Some(k) = key_of(q, fields) else { continue };
                        if !seen.contains(&k) {
                            path.push(Seg::Match(k));
                            change(path, Value::Null, q.clone(), out);
                            path.pop();
                        }
                    }
                }
                None => {
                    for i in 0..x.len().max(y.len()) {
                        path.push(Seg::Index(i));
                        match (x.get(i), y.get(i)) {
                            (Some(p), Some(q)) => walk(path, p, q, out),
                            (Some(p), None) => change(path, p.clone(), Value::Null, out),
                            (None, Some(q)) => change(path, Value::Null, q.clone(), out),
                            (None, None) => {}
                        }
                        path.pop();
                    }
                }
            }
        }
        _ => {
            if a != b {
                change(path, a.clone(), b.clone(), out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inserted_container_is_one_change() {
        let a = json!({"spec": {"containers": [{"name": "app", "image": "a:1"}, {"name": "log", "image": "l:1"}]}});
        let b = json!({"spec": {"containers": [{"name": "init", "image": "i:1"}, {"name": "app", "image": "a:2"}, {"name": "log", "image": "l:1"}]}});
        let d = diff(&a, &b);
        let paths: Vec<&str> = d.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "spec.containers[name=app].image",
                "spec.containers[name=init]"
            ]
        );
        assert_eq!(d[0].old, json!("a:1"));
        assert_eq!(d[0].new, json!("a:2"));
        assert_eq!(d[1].old, Value::Null);
    }

    #[test]
    fn ports_by_port_and_protocol_and_odd_keys_quoted() {
        let a = json!({"ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}, {"port": 53, "protocol": "UDP"}],
                       "labels": {"app.kubernetes.io/name": "x"}});
        let b = json!({"ports": [{"port": 53, "protocol": "UDP"}, {"port": 80, "protocol": "TCP", "targetPort": 9090}],
                       "labels": {"app.kubernetes.io/name": "y"}});
        let paths: Vec<String> = diff(&a, &b).into_iter().map(|c| c.path).collect();
        assert_eq!(
            paths,
            [
                "labels[\"app.kubernetes.io/name\"]",
                "ports[port=80,protocol=TCP].targetPort"
            ]
        );
    }

    #[test]
    fn scalar_lists_compare_by_position() {
        let d = diff(
            &json!({"args": ["a", "b"]}),
            &json!({"args": ["a", "c", "d"]}),
        );
        let paths: Vec<&str> = d.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["args[1]", "args[2]"]);
        assert!(diff(&json!({"a": [1]}), &json!({"a": [1]})).is_empty());
    }
}
