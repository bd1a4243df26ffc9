//! Objects as a Velero restore would create them (format reference §5.5 "Rewritten"): metadata
//! reset, status kept only where restoreStatus says, the backup/restore labels, the target
//! namespace, and what the built-in restore actions change in Services, Pods, Jobs, PVCs, PVs and
//! role bindings.

use crate::includes::IncludesExcludes;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};

/// Labels longer than 63 characters: the first 57 plus 6 hex characters of their SHA-256
/// (`label.GetValidName`).
pub fn valid_label_value(name: &str) -> String {
    if name.len() <= 63 {
        return name.to_string();
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}{}", &name[..57], &hex[..6])
}

pub struct RenderContext<'a> {
    pub backup_name: &'a str,
    pub restore_name: &'a str,
    pub mapping: &'a BTreeMap<String, String>,
    pub preserve_node_ports: bool,
    /// `restoreStatus` resolved: None = never restore status.
    pub restore_status: Option<IncludesExcludes>,
}

const METADATA_DROPPED: &[&str] = &[
    "generateName",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
];

fn obj_mut<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    v.get_mut(key).and_then(Value::as_object_mut)
}

/// Rewrites `body` of group-resource `gr` for creation in `target_ns`. `volume_name_cleared` for
/// a PVC whose PV is dynamically re-provisioned.
pub fn render(
    gr: &str,
    mut body: Value,
    target_ns: Option<&str>,
    ctx: &RenderContext<'_>,
    volume_name_cleared: bool,
) -> Value {
    let keep_status = {
        let ann = body
            .pointer("/metadata/annotations/velero.io~1restore-status")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_ascii_lowercase());
        match ann.as_deref() {
            Some("true") => true,
            Some("false") => false,
            _ => ctx
                .restore_status
                .as_ref()
                .is_some_and(|ie| ie.should_include(gr)),
        }
    };
    if let Some(m) = obj_mut(&mut body, "metadata") {
        for k in METADATA_DROPPED {
            m.remove(*k);
        }
        if let Some(ns) = target_ns {
            m.insert("namespace".into(), json!(ns));
        }
        let labels = m.entry("labels").or_insert_with(|| json!({}));
        if let Some(l) = labels.as_object_mut() {
            l.insert(
                "velero.io/backup-name".into(),
                json!(valid_label_value(ctx.backup_name)),
            );
            l.insert(
                "velero.io/restore-name".into(),
                json!(valid_label_value(ctx.restore_name)),
            );
        }
    }
    if !keep_status && let Some(o) = body.as_object_mut() {
        o.remove("status");
    }
    match gr {
        "services" => service(&mut body, ctx.preserve_node_ports),
        "pods" => pod(&mut body),
        "jobs.batch" => job(&mut body),
        "persistentvolumeclaims" => pvc(&mut body, volume_name_cleared),
        "persistentvolumes" => pv(&mut body, ctx.mapping),
        "rolebindings.rbac.authorization.k8s.io"
        | "clusterrolebindings.rbac.authorization.k8s.io" => {
            if let Some(subjects) = body.get_mut("subjects").and_then(Value::as_array_mut) {
                for s in subjects {
                    let remapped = s
                        .get("namespace")
                        .and_then(Value::as_str)
                        .and_then(|n| ctx.mapping.get(n))
                        .cloned();
                    if let Some(n) = remapped {
                        s["namespace"] = json!(n);
                    }
                }
            }
        }
        _ => {}
    }
    body
}

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

fn service(svc: &mut Value, preserve: bool) {
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

fn pod(pod: &mut Value) {
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

fn job(job: &mut Value) {
    for path in [
        "/spec/selector/matchLabels",
        "/spec/template/metadata/labels",
    ] {
        if let Some(m) = job.pointer_mut(path).and_then(Value::as_object_mut) {
            m.remove("controller-uid");
            m.remove("batch.kubernetes.io/controller-uid");
        }
    }
}

fn pvc(pvc: &mut Value, clear_volume: bool) {
    if let Some(a) = pvc
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.remove("pv.kubernetes.io/bind-completed");
        a.remove("pv.kubernetes.io/bound-by-controller");
    }
    if clear_volume && let Some(spec) = obj_mut(pvc, "spec") {
        spec.remove("volumeName");
    }
}

fn pv(pv: &mut Value, mapping: &BTreeMap<String, String>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(mapping: &BTreeMap<String, String>, preserve: bool) -> RenderContext<'_> {
        RenderContext {
            backup_name: "nightly",
            restore_name: "r1",
            mapping,
            preserve_node_ports: preserve,
            restore_status: None,
        }
    }

    #[test]
    fn metadata_status_labels_namespace() {
        let m = BTreeMap::new();
        let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a", "uid": "u",
            "resourceVersion": "1", "creationTimestamp": "t", "ownerReferences": [], "managedFields": [], "labels": {"x": "y"}}, "status": {"s": 1}});
        let out = render("configmaps", body, Some("b"), &ctx(&m, false), false);
        assert_eq!(
            out,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "b", "managedFields": [],
            "labels": {"x": "y", "velero.io/backup-name": "nightly", "velero.io/restore-name": "r1"}}})
        );
        assert_eq!(valid_label_value(&"a".repeat(70)).len(), 63);
    }

    #[test]
    fn services_lose_cluster_ip_and_implicit_node_ports() {
        let m = BTreeMap::new();
        let svc = json!({"metadata": {"name": "s", "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
            "{\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":80,\"nodePort\":30080}]}}"}},
            "spec": {"type": "NodePort", "clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"],
                "ports": [{"name": "http", "port": 80, "nodePort": 30080}, {"name": "metrics", "port": 9090, "nodePort": 31999}]}});
        let out = render("services", svc.clone(), None, &ctx(&m, false), false);
        assert!(out["spec"].get("clusterIP").is_none());
        assert_eq!(
            out["spec"]["ports"][0]["nodePort"], 30080,
            "set explicitly in last-applied"
        );
        assert!(
            out["spec"]["ports"][1].get("nodePort").is_none(),
            "assigned by the cluster"
        );
        let kept = render("services", svc, None, &ctx(&m, true), false);
        assert_eq!(kept["spec"]["ports"][1]["nodePort"], 31999);
        let headless = render(
            "services",
            json!({"spec": {"clusterIP": "None"}}),
            None,
            &ctx(&m, false),
            false,
        );
        assert_eq!(headless["spec"]["clusterIP"], "None");
    }

    #[test]
    fn managed_fields_mark_explicit_node_ports() {
        let m = BTreeMap::new();
        let svc = json!({"metadata": {"name": "s", "managedFields": [{"fieldsV1": {"f:spec": {"f:ports": {
            "k:{\"port\":80,\"protocol\":\"TCP\"}": {"f:nodePort": {}}}}}}]},
            "spec": {"type": "NodePort", "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}, {"port": 81, "protocol": "TCP", "nodePort": 30081}]}});
        let out = render("services", svc, None, &ctx(&m, false), false);
        assert_eq!(out["spec"]["ports"][0]["nodePort"], 30080);
        assert!(out["spec"]["ports"][1].get("nodePort").is_none());
    }

    #[test]
    fn pods_jobs_pvcs_pvs_bindings() {
        let m = BTreeMap::from([("a".to_string(), "b".to_string())]);
        let p = render(
            "pods",
            json!({"spec": {"nodeName": "n1", "priority": 5, "serviceAccountName": "sa",
            "volumes": [{"name": "sa-token-abc"}, {"name": "data"}],
            "containers": [{"name": "c", "volumeMounts": [{"name": "sa-token-abc"}, {"name": "data"}]}]}}),
            Some("b"),
            &ctx(&m, false),
            false,
        );
        assert!(p["spec"].get("nodeName").is_none() && p["spec"].get("priority").is_none());
        assert_eq!(p["spec"]["volumes"], json!([{"name": "data"}]));
        assert_eq!(
            p["spec"]["containers"][0]["volumeMounts"],
            json!([{"name": "data"}])
        );
        let j = render(
            "jobs.batch",
            json!({"spec": {"selector": {"matchLabels": {"controller-uid": "x", "app": "a"}},
            "template": {"metadata": {"labels": {"batch.kubernetes.io/controller-uid": "x", "app": "a"}}}}}),
            Some("b"),
            &ctx(&m, false),
            false,
        );
        assert_eq!(j["spec"]["selector"]["matchLabels"], json!({"app": "a"}));
        let c = render(
            "persistentvolumeclaims",
            json!({"metadata": {"annotations": {"pv.kubernetes.io/bind-completed": "yes"}}, "spec": {"volumeName": "pv-1"}}),
            Some("b"),
            &ctx(&m, false),
            true,
        );
        assert!(c["spec"].get("volumeName").is_none());
        assert_eq!(c["metadata"]["annotations"], json!({}));
        let v = render(
            "persistentvolumes",
            json!({"spec": {"claimRef": {"namespace": "a", "name": "c", "uid": "u"}}}),
            None,
            &ctx(&m, false),
            false,
        );
        assert_eq!(
            v["spec"]["claimRef"],
            json!({"namespace": "b", "name": "c"})
        );
        let rb = render(
            "clusterrolebindings.rbac.authorization.k8s.io",
            json!({"subjects": [{"kind": "ServiceAccount", "name": "s", "namespace": "a"}]}),
            None,
            &ctx(&m, false),
            false,
        );
        assert_eq!(rb["subjects"][0]["namespace"], "b");
    }
}
