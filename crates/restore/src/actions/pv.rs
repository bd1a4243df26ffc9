//! PersistentVolumes as Velero's restore (`pkg/restore/restore.go`, not a plugin action) creates
//! them: the claim reference loses its uid and resourceVersion and follows the namespace mapping.

use serde_json::{Value, json};
use std::collections::BTreeMap;

pub fn pv(pv: &mut Value, mapping: &BTreeMap<String, String>) {
    if let Some(claim) = pv
        .pointer_mut("/spec/claimRef")
        .and_then(Value::as_object_mut)
    {
        claim.remove("uid");
        claim.remove("resourceVersion");
        let remapped = claim
            .get("namespace")
            .and_then(Value::as_str)
            .and_then(|n| mapping.get(n))
            .cloned();
        if let Some(n) = remapped {
            claim.insert("namespace".into(), json!(n));
        }
    }
    if let Some(a) = pv
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.remove("pv.kubernetes.io/bound-by-controller");
    }
}
