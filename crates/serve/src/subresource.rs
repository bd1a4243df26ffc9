//! The `status` and `scale` subresources, read-only as everything here: `GET …/NAME/status`
//! answers the object itself (as the apiserver's status endpoint does) and `GET …/NAME/scale` an
//! `autoscaling/v1` Scale made from it, for the built-in kinds the apiserver gives them. (A
//! custom resource's subresources, declared in its CRD, are not served.)

use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subresource {
    Status,
    Scale,
}

/// Built-in resources the apiserver serves a `status` subresource for.
const WITH_STATUS: &[&str] = &[
    "pods",
    "services",
    "nodes",
    "namespaces",
    "persistentvolumes",
    "persistentvolumeclaims",
    "replicationcontrollers",
    "resourcequotas",
    "deployments.apps",
    "replicasets.apps",
    "statefulsets.apps",
    "daemonsets.apps",
    "jobs.batch",
    "cronjobs.batch",
    "horizontalpodautoscalers.autoscaling",
    "ingresses.networking.k8s.io",
    "poddisruptionbudgets.policy",
    "certificatesigningrequests.certificates.k8s.io",
    "customresourcedefinitions.apiextensions.k8s.io",
    "apiservices.apiregistration.k8s.io",
    "volumeattachments.storage.k8s.io",
];

/// Built-in resources with a `scale` subresource.
const SCALABLE: &[&str] = &[
    "replicationcontrollers",
    "deployments.apps",
    "replicasets.apps",
    "statefulsets.apps",
];

/// The group-resource the Scale table is printed under.
pub const SCALE_TABLE: &str = "scales.autoscaling";

impl Subresource {
    /// The subresource `name` of `gr`, if the apiserver serves it.
    pub fn of(gr: &str, name: &str) -> Option<Subresource> {
        match name {
            "status" if WITH_STATUS.contains(&gr) => Some(Subresource::Status),
            "scale" if SCALABLE.contains(&gr) => Some(Subresource::Scale),
            _ => None,
        }
    }

    /// The subresources of `gr`, as discovery lists them.
    pub fn all_of(gr: &str) -> impl Iterator<Item = Subresource> + '_ {
        [Subresource::Status, Subresource::Scale]
            .into_iter()
            .filter(move |s| Subresource::of(gr, s.name()).is_some())
    }

    pub fn name(self) -> &'static str {
        match self {
            Subresource::Status => "status",
            Subresource::Scale => "scale",
        }
    }
}

/// The `autoscaling/v1` Scale of a Deployment, ReplicaSet, StatefulSet or ReplicationController:
/// desired replicas from its spec, current ones and the label selector (as a string) from it.
pub fn scale(object: &Value) -> Value {
    let meta = |field: &str| object.pointer(&format!("/metadata/{field}")).cloned();
    let mut metadata = serde_json::Map::new();
    for field in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(v) = meta(field) {
            metadata.insert(field.into(), v);
        }
    }
    let replicas = |pointer: &str| object.pointer(pointer).and_then(Value::as_i64).unwrap_or(0);
    let mut status = json!({"replicas": replicas("/status/replicas")});
    if let Some(selector) = object.pointer("/spec/selector").map(selector_text) {
        status["selector"] = json!(selector);
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": metadata,
        "spec": {"replicas": replicas("/spec/replicas")},
        "status": status,
    })
}

/// A label selector as its string form: a LabelSelector (`matchLabels`, `matchExpressions`) or
/// a ReplicationController's plain map.
fn selector_text(selector: &Value) -> String {
    let labels = selector.get("matchLabels").unwrap_or(selector);
    let mut parts: Vec<String> = labels
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| *k != "matchExpressions")
                .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
                .collect()
        })
        .unwrap_or_default();
    for e in selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match e.get("operator").and_then(Value::as_str) {
            Some("In") => parts.push(format!("{key} in ({})", values.join(","))),
            Some("NotIn") => parts.push(format!("{key} notin ({})", values.join(","))),
            Some("Exists") => parts.push(key.to_string()),
            Some("DoesNotExist") => parts.push(format!("!{key}")),
            _ => {}
        }
    }
    parts.sort();
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployments_scale_is_its_replicas_and_selector() {
        let deployment = json!({
            "metadata": {"name": "web", "namespace": "shop", "uid": "u1", "labels": {"x": "y"}},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]}},
            "status": {"replicas": 2},
        });
        let s = scale(&deployment);
        assert_eq!(s["kind"], "Scale");
        assert_eq!(s["apiVersion"], "autoscaling/v1");
        assert_eq!(s["metadata"]["name"], "web");
        assert_eq!(s["metadata"]["namespace"], "shop");
        assert!(s["metadata"].get("labels").is_none());
        assert_eq!(s["spec"]["replicas"], 3);
        assert_eq!(s["status"]["replicas"], 2);
        assert_eq!(s["status"]["selector"], "app=web,tier in (a,b)");
        let rc = json!({"metadata": {"name": "old"}, "spec": {"replicas": 1, "selector": {"app": "old"}}});
        assert_eq!(scale(&rc)["status"]["selector"], "app=old");
    }

    #[test]
    fn only_the_kinds_the_apiserver_serves_them_for() {
        assert_eq!(
            Subresource::of("deployments.apps", "scale"),
            Some(Subresource::Scale)
        );
        assert_eq!(Subresource::of("pods", "status"), Some(Subresource::Status));
        assert_eq!(Subresource::of("pods", "scale"), None);
        assert_eq!(Subresource::of("configmaps", "status"), None);
        assert_eq!(Subresource::of("pods", "log"), None);
        let of_deployments: Vec<_> = Subresource::all_of("deployments.apps").collect();
        assert_eq!(of_deployments, [Subresource::Status, Subresource::Scale]);
    }
}
