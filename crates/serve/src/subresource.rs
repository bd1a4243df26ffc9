//! The `status` and `scale` subresources, read-only as everything here: `GET …/NAME/status`
//! answers the object itself (as the apiserver's status endpoint does) and `GET …/NAME/scale` an
//! `autoscaling/v1` Scale made from it, for the built-in kinds the apiserver gives them and for
//! custom resources whose CRD declares them (`subresources` of a version, or of the whole CRD in
//! `v1beta1`), the Scale read at the CRD's paths.

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
    pub const ALL: [Subresource; 2] = [Subresource::Status, Subresource::Scale];

    /// The subresource `name` of `gr`, if the apiserver serves it.
    pub fn of(gr: &str, name: &str) -> Option<Subresource> {
        match name {
            "status" if WITH_STATUS.contains(&gr) => Some(Subresource::Status),
            "scale" if SCALABLE.contains(&gr) => Some(Subresource::Scale),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Subresource::Status => "status",
            Subresource::Scale => "scale",
        }
    }
}

/// The subresources a CRD declares for one version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declared {
    pub status: bool,
    pub scale: Option<ScalePaths>,
}

/// Where a custom resource keeps what its Scale shows (`.spec.replicas`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalePaths {
    pub spec_replicas: String,
    pub status_replicas: String,
    pub label_selector: Option<String>,
}

impl Declared {
    /// What `crd` declares for `version`: the version's own `subresources`, else the CRD's
    /// (`apiextensions.k8s.io/v1beta1`, where they hold for every version).
    pub fn of_crd(crd: &Value, version: &str) -> Declared {
        let subresources = crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .and_then(|vs| vs.iter().find(|v| v["name"] == version))
            .and_then(|v| v.get("subresources"))
            .or_else(|| crd.pointer("/spec/subresources"));
        let Some(subresources) = subresources else {
            return Declared::default();
        };
        let path = |field: &str| {
            subresources
                .get("scale")
                .and_then(|s| s.get(field))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        // Both replica paths are required; without them the CRD declares no usable scale.
        let scale = path("specReplicasPath")
            .zip(path("statusReplicasPath"))
            .map(|(spec_replicas, status_replicas)| ScalePaths {
                spec_replicas,
                status_replicas,
                label_selector: path("labelSelectorPath"),
            });
        Declared {
            status: subresources.get("status").is_some(),
            scale,
        }
    }

    /// Whether it declares `s`.
    pub fn has(&self, s: Subresource) -> bool {
        match s {
            Subresource::Status => self.status,
            Subresource::Scale => self.scale.is_some(),
        }
    }
}

/// A CRD's path (`.spec.replicas`: dotted fields, no arrays, as its validation requires) as a
/// JSON pointer.
fn pointer_of(path: &str) -> String {
    path.trim_start_matches('.')
        .split('.')
        .map(|f| format!("/{}", f.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// A custom resource's Scale, read at its CRD's paths as the apiextensions apiserver reads
/// them (its API reference): the spec's count must be there (else the GET is an error), the
/// status's missing is 0, the selector is the string at its path (none when missing).
pub fn scale_at(object: &Value, paths: &ScalePaths) -> Result<Value, String> {
    let count = |path: &str| object.pointer(&pointer_of(path)).and_then(Value::as_i64);
    let desired = count(&paths.spec_replicas).ok_or_else(|| {
        format!(
            "the spec replicas field {:?} does not exist",
            paths.spec_replicas
        )
    })?;
    let selector = paths.label_selector.as_deref().and_then(|p| {
        object
            .pointer(&pointer_of(p))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    Ok(scale_of(
        object,
        desired,
        count(&paths.status_replicas).unwrap_or(0),
        selector,
    ))
}

/// The `autoscaling/v1` Scale of a Deployment, ReplicaSet, StatefulSet or ReplicationController:
/// desired replicas from its spec, current ones and the label selector (as a string) from it.
pub fn scale(object: &Value) -> Value {
    let replicas = |pointer: &str| object.pointer(pointer).and_then(Value::as_i64).unwrap_or(0);
    scale_of(
        object,
        replicas("/spec/replicas"),
        replicas("/status/replicas"),
        object.pointer("/spec/selector").map(selector_text),
    )
}

fn scale_of(object: &Value, desired: i64, current: i64, selector: Option<String>) -> Value {
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
    let mut status = json!({"replicas": current});
    if let Some(selector) = selector {
        status["selector"] = json!(selector);
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": metadata,
        "spec": {"replicas": desired},
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

    /// A CRD's declared subresources, per version (v1) or for the whole CRD (v1beta1), and a
    /// Scale read at its paths (the apiextensions apiserver's rules: a missing count is 0).
    #[test]
    fn a_custom_resource_has_the_subresources_its_crd_declares() {
        let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "spec": {"versions": [
            {"name": "v1", "subresources": {"status": {}, "scale": {
                "specReplicasPath": ".spec.size", "statusReplicasPath": ".status.ready",
                "labelSelectorPath": ".status.selector"}}},
            {"name": "v2", "subresources": {"status": {}}},
            {"name": "v0"},
        ]}});
        let v1 = Declared::of_crd(&crd, "v1");
        assert!(v1.has(Subresource::Status) && v1.has(Subresource::Scale));
        let v2 = Declared::of_crd(&crd, "v2");
        assert!(v2.has(Subresource::Status) && !v2.has(Subresource::Scale));
        assert_eq!(Declared::of_crd(&crd, "v0"), Declared::default());
        let legacy =
            json!({"spec": {"subresources": {"status": {}}, "versions": [{"name": "v1"}]}});
        assert!(Declared::of_crd(&legacy, "v1").status);
        let paths = v1.scale.expect("scale");
        let widget = json!({"metadata": {"name": "w", "namespace": "app"},
            "spec": {"size": 3}, "status": {"selector": "app=w"}});
        let s = scale_at(&widget, &paths).expect("a scale");
        assert_eq!(s["kind"], "Scale");
        assert_eq!(s["metadata"]["name"], "w");
        assert_eq!(s["spec"]["replicas"], 3);
        assert_eq!(s["status"]["replicas"], 0, "missing: 0");
        assert_eq!(s["status"]["selector"], "app=w");
        let unsized_ = json!({"metadata": {"name": "u"}, "spec": {}});
        let e = scale_at(&unsized_, &paths).unwrap_err();
        assert!(e.contains(".spec.size"), "{e}");
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
        assert_eq!(
            Subresource::of("deployments.apps", "status"),
            Some(Subresource::Status)
        );
    }
}
