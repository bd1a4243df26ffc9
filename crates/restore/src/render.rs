//! Objects as a Velero restore would create them (format reference §5.5 "Rewritten"): metadata
//! reset, status kept only where restoreStatus says, the backup/restore labels, the target
//! namespace; then the restore item actions of [`crate::actions`].

use crate::actions::{self, obj_mut};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use veloscope_select::IncludesExcludes;

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
    /// The Restore's `restorePVs`.
    pub restore_pvs: Option<bool>,
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
    // Actions see the backed-up status beside the object (Velero's `ItemFromBackup`).
    let backed_up_status = match body.as_object_mut() {
        Some(o) if !keep_status => o.remove("status"),
        _ => None,
    };
    actions::apply(
        gr,
        &mut body,
        backed_up_status.as_ref(),
        ctx,
        volume_name_cleared,
    );
    body
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
            restore_pvs: None,
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
