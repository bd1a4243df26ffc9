//! A structural-schema validator over the OpenAPI v3 schemas of CRDs, reporting in the API
//! server's words: types, required fields, enums, formats, nullable, item counts, maps
//! (`additionalProperties`), `x-kubernetes-preserve-unknown-fields`, `x-kubernetes-int-or-string`,
//! and unknown fields (whose severity the field-validation mode decides).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A schema violation: always an error.
    Invalid { path: String, message: String },
    /// A field the schema does not know.
    /// A field the schema does not have; `nearest`, a known field it may be a typo of.
    Unknown {
        path: String,
        nearest: Option<String>,
    },
    /// A field the schema marks deprecated.
    Deprecated { path: String, note: String },
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// RFC 3339 date-time, as the API server's `date-time` format requires.
fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't')
        && b[13] == b':'
        && b[16] == b':'
        && b.iter()
            .take(19)
            .enumerate()
            .all(|(i, c)| matches!(i, 4 | 7 | 10 | 13 | 16) || c.is_ascii_digit())
        && (s.ends_with('Z') || s.ends_with('z') || s[19..].contains(['+', '-']))
}

pub fn validate(schema: &Value, v: &Value, path: &str, out: &mut Vec<Problem>) {
    let bad = |out: &mut Vec<Problem>, message: String| {
        out.push(Problem::Invalid {
            path: path.to_string(),
            message,
        })
    };
    if v.is_null() {
        let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true)
            || schema.get("x-kubernetes-preserve-unknown-fields").is_some();
        if !nullable && let Some(t) = schema.get("type").and_then(Value::as_str) {
            bad(
                out,
                format!("Invalid value: \"null\": {path} in body must be of type {t}: \"null\""),
            );
        }
        return;
    }
    let int_or_string = schema
        .get("x-kubernetes-int-or-string")
        .and_then(Value::as_bool)
        == Some(true);
    if int_or_string {
        if !matches!(type_name(v), "integer" | "string") {
            bad(
                out,
                format!(
                    "Invalid value: \"{}\": {path} in body must be of type integer-or-string: \"{}\"",
                    type_name(v),
                    type_name(v)
                ),
            );
        }
        return;
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let got = type_name(v);
        let ok = got == t || (t == "number" && got == "integer");
        if !ok {
            bad(
                out,
                format!("Invalid value: \"{got}\": {path} in body must be of type {t}: \"{got}\""),
            );
            return;
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(v)
    {
        let supported: Vec<String> = options.iter().map(shown).collect();
        bad(
            out,
            format!(
                "Unsupported value: {}: supported values: {}",
                shown(v),
                supported.join(", ")
            ),
        );
    }
    if let (Some("date-time"), Some(s)) = (schema.get("format").and_then(Value::as_str), v.as_str())
        && !is_date_time(s)
    {
        bad(
            out,
            format!(
                "Invalid value: {}: {path} in body must be of type date-time: {}",
                shown(v),
                shown(v)
            ),
        );
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), v.as_f64())
        && n < min
    {
        bad(
            out,
            format!("Invalid value: {n}: {path} in body should be greater than or equal to {min}"),
        );
    }
    if let (Some(max), Some(n)) = (schema.get("maximum").and_then(Value::as_f64), v.as_f64())
        && n > max
    {
        bad(
            out,
            format!("Invalid value: {n}: {path} in body should be less than or equal to {max}"),
        );
    }
    match v {
        Value::Array(items) => {
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                bad(
                    out,
                    format!(
                        "Invalid value: {}: {path} in body should have at least {min} items",
                        items.len()
                    ),
                );
            }
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    validate(item_schema, item, &format!("{path}[{i}]"), out);
                }
            }
        }
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            for r in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !map.contains_key(r) {
                    out.push(Problem::Invalid {
                        path: join(path, r),
                        message: "Required value".into(),
                    });
                }
            }
            let preserve = schema
                .get("x-kubernetes-preserve-unknown-fields")
                .and_then(Value::as_bool)
                == Some(true);
            let additional = schema.get("additionalProperties");
            for (k, child) in map {
                let child_path = join(path, k);
                match (props.and_then(|p| p.get(k)), additional) {
                    (Some(s), _) => {
                        if let Some(d) = s.get("description").and_then(Value::as_str)
                            && let Some(at) = d.find("Deprecated")
                        {
                            let note = d[at..]
                                .lines()
                                .next()
                                .unwrap_or("Deprecated")
                                .trim()
                                .to_string();
                            out.push(Problem::Deprecated {
                                path: child_path.clone(),
                                note,
                            });
                        }
                        validate(s, child, &child_path, out)
                    }
                    (None, Some(s)) if s.is_object() => validate(s, child, &child_path, out),
                    (None, Some(Value::Bool(true))) => {}
                    _ if preserve => {}
                    _ if props.is_none() && schema.get("type").is_none() => {}
                    _ => out.push(Problem::Unknown {
                        path: child_path,
                        nearest: props.and_then(|p| nearest_field(k, p.keys())),
                    }),
                }
            }
        }
        _ => {}
    }
}

/// The known field closest to `name` by edit distance (a typo's fix), if one is close enough.
fn nearest_field<'a>(name: &str, known: impl Iterator<Item = &'a String>) -> Option<String> {
    let limit = (name.chars().count() / 3).max(2);
    known
        .map(|k| {
            (
                strsim::levenshtein(&name.to_ascii_lowercase(), &k.to_ascii_lowercase()),
                k,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(schema: Value, v: Value) -> Vec<Problem> {
        let mut out = Vec::new();
        validate(&schema, &v, "spec", &mut out);
        out
    }

    #[test]
    fn api_server_messages() {
        let schema = json!({"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"},
            "onError": {"type": "string", "enum": ["Continue", "Fail"]},
            "command": {"type": "array", "minItems": 1, "items": {"type": "string"}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "when": {"type": "string", "format": "date-time"},
            "port": {"x-kubernetes-int-or-string": true},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "maybe": {"type": "string", "nullable": true}}});
        let p = problems(
            schema.clone(),
            json!({"onError": "Sometimes", "command": [], "labels": {"a": 1}, "when": "yesterday",
            "port": true, "free": {"x": 1}, "maybe": null, "extra": 1}),
        );
        let text: Vec<String> = p
            .iter()
            .map(|p| match p {
                Problem::Invalid { path, message } => format!("{path}: {message}"),
                Problem::Unknown { path, .. } => format!("unknown field \"{path}\""),
                Problem::Deprecated { path, .. } => format!("deprecated {path}"),
            })
            .collect();
        assert_eq!(
            text,
            [
                "spec.name: Required value",
                "spec.command: Invalid value: 0: spec.command in body should have at least 1 items",
                "unknown field \"spec.extra\"",
                "spec.labels.a: Invalid value: \"integer\": spec.labels.a in body must be of type string: \"integer\"",
                "spec.onError: Unsupported value: \"Sometimes\": supported values: \"Continue\", \"Fail\"",
                "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer-or-string: \"boolean\"",
                "spec.when: Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\"",
            ]
        );
        assert!(
            problems(
                schema,
                json!({"name": "x", "when": "2024-01-01T00:00:00Z", "port": "http"})
            )
            .is_empty()
        );
    }
}
