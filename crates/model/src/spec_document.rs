//! The spec part of a `--spec` file: a whole Velero object, a bare `{"spec": …}` without its
//! `kind`, or the spec alone. A key the Velero spec does not have is an error, never ignored: a
//! misspelt `includedNamespace` would otherwise widen a plan without a word.

use crate::ValueError;
use serde_json::Value;

/// The spec of `doc`, an object of `kind` (or the spec itself), checked against `fields`, the
/// spec's JSON field names in Velero's API types.
pub fn spec_of(
    doc: &Value,
    kind: &str,
    spec: Option<&Value>,
    fields: &[&str],
) -> Result<Value, ValueError> {
    let found = match (doc.get("kind").and_then(Value::as_str), spec) {
        (Some(k), Some(s)) if k == kind => s.clone(),
        (Some(k), None) if k == kind => Value::Object(Default::default()),
        (Some(other), _) => {
            return Err(ValueError::Spec(format!(
                "expected a velero.io/v1 {kind} or its spec, found kind {other}"
            )));
        }
        (None, _) => match doc.as_object() {
            // A manifest without its kind: apiVersion, metadata and a spec object.
            Some(m)
                if m.get("spec").is_some_and(Value::is_object)
                    && m.keys()
                        .all(|k| matches!(k.as_str(), "apiVersion" | "metadata" | "spec")) =>
            {
                m["spec"].clone()
            }
            _ => doc.clone(),
        },
    };
    let Some(map) = found.as_object() else {
        return Err(ValueError::Spec(format!(
            "the {kind} spec is not an object"
        )));
    };
    if let Some(unknown) = map.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(ValueError::Spec(format!(
            "unknown field {unknown:?} in the {kind} spec (Velero's {kind} has no such field; veloscope never ignores one)"
        )));
    }
    Ok(found)
}

/// The `metadata.name` of a whole object.
pub fn name_of(doc: &Value) -> Option<String> {
    doc.pointer("/metadata/name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}
