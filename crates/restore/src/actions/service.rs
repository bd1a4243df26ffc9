//! Velero's service action (`pkg/restore/actions/service_action.go`): a Service's cluster IPs are
//! cleared (headless Services keep `None`), and node ports the cluster assigned are dropped unless
//! `preserveNodePorts`; ports a user set (last-applied-configuration, else managedFields) stay.

use super::obj_mut;
use serde_json::Value;
use std::collections::HashSet;

/// The node ports a user set explicitly, as Velero's service action finds them.
#[derive(Default)]
struct ExplicitPorts {
    /// Named ports with a nodePort in last-applied-configuration.
    names: HashSet<String>,
    /// nodePort values of unnamed ports there.
    values: HashSet<i64>,
    /// (port, protocol) with `f:nodePort` in managedFields.
    keys: HashSet<(i64, String)>,
    health_check: bool,
}

/// From `last-applied-configuration` when present, else from managedFields
/// (`k:{"port":P,"protocol":X}` with `f:nodePort`).
fn explicit_node_ports(svc: &Value) -> ExplicitPorts {
    let mut e = ExplicitPorts::default();
    let last = svc
        .pointer("/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration")
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str::<Value>(s).ok());
    if let Some(last) = last {
        for p in last
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if p.get("nodePort")
                .and_then(Value::as_i64)
                .is_some_and(|n| n > 0)
            {
                match p.get("name").and_then(Value::as_str) {
                    Some(n) if !n.is_empty() => {
                        e.names.insert(n.to_string());
                    }
                    _ => {
                        e.values.insert(p["nodePort"].as_i64().unwrap_or(0));
                    }
                }
            }
        }
        e.health_check = last
            .pointer("/spec/healthCheckNodePort")
            .and_then(Value::as_i64)
            .is_some_and(|n| n > 0);
        return e;
    }
    let mut hc = false;
    for mf in svc
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(spec) = mf.pointer("/fieldsV1/f:spec") else {
            continue;
        };
        hc |= spec.get("f:healthCheckNodePort").is_some();
        for (k, v) in spec
            .get("f:ports")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let Some(json_key) = k.strip_prefix("k:") else {
                continue;
            };
            if v.get("f:nodePort").is_none() {
                continue;
            }
            if let Ok(key) = serde_json::from_str::<Value>(json_key) {
                let port = key.get("port").and_then(Value::as_i64).unwrap_or(0);
                let proto = key
                    .get("protocol")
                    .and_then(Value::as_str)
                    .unwrap_or("TCP")
                    .to_string();
                e.keys.insert((port, proto));
            }
        }
    }
    e.health_check = hc;
    e
}

pub fn service(svc: &mut Value, preserve: bool) {
    let explicit_ports = explicit_node_ports(svc);
    let Some(spec) = obj_mut(svc, "spec") else {
        return;
    };
    if spec.get("clusterIP").and_then(Value::as_str) != Some("None") {
        spec.remove("clusterIP");
        spec.remove("clusterIPs");
    }
    if preserve || spec.get("type").and_then(Value::as_str) == Some("ExternalName") {
        return;
    }
    let lb_local = spec.get("type").and_then(Value::as_str) == Some("LoadBalancer")
        && spec.get("externalTrafficPolicy").and_then(Value::as_str) == Some("Local");
    if lb_local && !explicit_ports.health_check {
        spec.remove("healthCheckNodePort");
    }
    for p in spec
        .get_mut("ports")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let node = p.get("nodePort").and_then(Value::as_i64).unwrap_or(0);
        let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
        let proto = p
            .get("protocol")
            .and_then(Value::as_str)
            .unwrap_or("TCP")
            .to_string();
        let explicit = (!name.is_empty() && explicit_ports.names.contains(&name))
            || (name.is_empty() && explicit_ports.values.contains(&node))
            || explicit_ports.keys.contains(&(port, proto));
        if !explicit && let Some(o) = p.as_object_mut() {
            o.remove("nodePort");
        }
    }
}
