//! Velero's role binding and cluster role binding actions (`rolebinding_action.go`,
//! `clusterrolebinding_action.go`): subjects in a mapped namespace follow the mapping.

use serde_json::{Value, json};
use std::collections::BTreeMap;

pub fn role_binding(binding: &mut Value, mapping: &BTreeMap<String, String>) {
    if let Some(subjects) = binding.get_mut("subjects").and_then(Value::as_array_mut) {
        for s in subjects {
            let remapped = s
                .get("namespace")
                .and_then(Value::as_str)
                .and_then(|n| mapping.get(n))
                .cloned();
            if let Some(n) = remapped {
                s["namespace"] = json!(n);
            }
        }
    }
}
