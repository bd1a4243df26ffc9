//! Velero's pod action (`pkg/restore/actions/pod_action.go`): `nodeName` and `priority` cleared,
//! and the service-account token volumes (`<sa>-token-*`) and their mounts removed.

use super::obj_mut;
use serde_json::Value;

pub fn pod(pod: &mut Value) {
    let sa = pod
        .pointer("/spec/serviceAccountName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Some(spec) = obj_mut(pod, "spec") else {
        return;
    };
    spec.remove("nodeName");
    spec.remove("priority");
    if sa.is_empty() {
        return;
    }
    let prefix = format!("{sa}-token-");
    let token = |v: &Value, key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .is_some_and(|n| n.starts_with(&prefix))
    };
    if let Some(vols) = spec.get_mut("volumes").and_then(Value::as_array_mut) {
        vols.retain(|v| !token(v, "name"));
    }
    for list in ["containers", "initContainers"] {
        for c in spec
            .get_mut(list)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(mounts) = c.get_mut("volumeMounts").and_then(Value::as_array_mut) {
                mounts.retain(|m| !token(m, "name"));
            }
        }
    }
}
