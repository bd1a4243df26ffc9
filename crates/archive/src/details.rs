//! The kind-specific facts selection and restore planning need, read from what the metadata
//! pass kept of the `spec`, `status` and binding fields (see [`crate::project`]) of the few kinds
//! that have them. Lenient: a field of an unexpected
//! shape reads as absent, never as an error — the item itself is still valid JSON.

use crate::meta::ItemMeta;
use crate::project::Projected;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Details {
    #[default]
    None,
    Pod(Box<PodDetails>),
    Pvc(Box<PvcDetails>),
    Pv(Box<PvDetails>),
    /// A Job: whether `status.completionTime` is set and non-empty.
    Job {
        completed: bool,
    },
    Namespace {
        phase: Option<Box<str>>,
    },
    Binding(Box<BindingDetails>),
    /// A Secret of type `kubernetes.io/service-account-token` (Velero's secret action).
    ServiceAccountToken,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodDetails {
    pub phase: Option<Box<str>>,
    /// `spec.volumes[].persistentVolumeClaim.claimName`, in order.
    pub claims: Vec<Box<str>>,
    pub priority_class: Option<Box<str>>,
    pub first_container: Option<Box<str>>,
    pub service_account: Option<Box<str>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PvcDetails {
    pub phase: Option<Box<str>>,
    pub volume_name: Option<Box<str>>,
    pub storage_class: Option<Box<str>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PvDetails {
    pub phase: Option<Box<str>>,
    /// `spec.claimRef` (namespace, name).
    pub claim: Option<(Box<str>, Box<str>)>,
    pub reclaim_policy: Option<Box<str>>,
    pub storage_class: Option<Box<str>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub kind: Box<str>,
    pub name: Box<str>,
    pub namespace: Option<Box<str>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindingDetails {
    pub subjects: Vec<Subject>,
    /// `roleRef` (kind, name).
    pub role_ref: Option<(Box<str>, Box<str>)>,
}

fn lenient<S, T: DeserializeOwned>(kept: &Option<Projected<S>>) -> Option<T> {
    kept.as_ref().and_then(|p| T::deserialize(&p.0).ok())
}

fn boxed(s: Option<String>) -> Option<Box<str>> {
    s.filter(|s| !s.is_empty()).map(String::into_boxed_str)
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(rename_all = "camelCase", default)]
struct Phase {
    phase: Option<String>,
    completion_time: Option<String>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(rename_all = "camelCase", default)]
struct PodSpec {
    volumes: Vec<PodVolume>,
    priority_class_name: Option<String>,
    containers: Vec<Named>,
    service_account_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(rename_all = "camelCase", default)]
struct PodVolume {
    persistent_volume_claim: Option<ClaimSource>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(rename_all = "camelCase", default)]
struct ClaimSource {
    claim_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(default)]
struct Named {
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(rename_all = "camelCase", default)]
struct PvcSpec {
    volume_name: Option<String>,
    storage_class_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(rename_all = "camelCase", default)]
struct PvSpec {
    claim_ref: Option<Ref>,
    persistent_volume_reclaim_policy: Option<String>,
    storage_class_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(default)]
struct Ref {
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
}

impl Details {
    /// Reads the details of an item of group-resource `gr`.
    pub fn read(gr: &str, meta: &ItemMeta<'_>) -> Details {
        let status: Phase = lenient(&meta.status).unwrap_or_default();
        match gr {
            "secrets"
                if meta.secret_type.as_ref().and_then(|t| t.0.as_str())
                    == Some("kubernetes.io/service-account-token") =>
            {
                Details::ServiceAccountToken
            }
            "pods" => {
                let spec: PodSpec = lenient(&meta.spec).unwrap_or_default();
                Details::Pod(Box::new(PodDetails {
                    phase: boxed(status.phase),
                    claims: spec
                        .volumes
                        .into_iter()
                        .filter_map(|v| boxed(v.persistent_volume_claim?.claim_name))
                        .collect(),
                    priority_class: boxed(spec.priority_class_name),
                    first_container: spec
                        .containers
                        .into_iter()
                        .next()
                        .and_then(|c| boxed(c.name)),
                    service_account: boxed(spec.service_account_name),
                }))
            }
            "persistentvolumeclaims" => {
                let spec: PvcSpec = lenient(&meta.spec).unwrap_or_default();
                Details::Pvc(Box::new(PvcDetails {
                    phase: boxed(status.phase),
                    volume_name: boxed(spec.volume_name),
                    storage_class: boxed(spec.storage_class_name),
                }))
            }
            "persistentvolumes" => {
                let spec: PvSpec = lenient(&meta.spec).unwrap_or_default();
                Details::Pv(Box::new(PvDetails {
                    phase: boxed(status.phase),
                    claim: spec.claim_ref.and_then(|r| {
                        Some((boxed(r.namespace).unwrap_or_default(), boxed(r.name)?))
                    }),
                    reclaim_policy: boxed(spec.persistent_volume_reclaim_policy),
                    storage_class: boxed(spec.storage_class_name),
                }))
            }
            "jobs.batch" => Details::Job {
                completed: status.completion_time.is_some_and(|c| !c.is_empty()),
            },
            "namespaces" => Details::Namespace {
                phase: boxed(status.phase),
            },
            "clusterrolebindings.rbac.authorization.k8s.io"
            | "rolebindings.rbac.authorization.k8s.io" => {
                let subjects: Vec<Ref> = lenient(&meta.subjects).unwrap_or_default();
                let role: Option<Ref> = lenient(&meta.role_ref);
                Details::Binding(Box::new(BindingDetails {
                    subjects: subjects
                        .into_iter()
                        .filter_map(|s| {
                            Some(Subject {
                                kind: boxed(s.kind)?,
                                name: boxed(s.name)?,
                                namespace: boxed(s.namespace),
                            })
                        })
                        .collect(),
                    role_ref: role.and_then(|r| Some((boxed(r.kind)?, boxed(r.name)?))),
                }))
            }
            _ => Details::None,
        }
    }

    pub fn phase(&self) -> Option<&str> {
        match self {
            Details::Pod(p) => p.phase.as_deref(),
            Details::Pvc(p) => p.phase.as_deref(),
            Details::Pv(p) => p.phase.as_deref(),
            Details::Namespace { phase } => phase.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(gr: &str, body: &str) -> Details {
        Details::read(gr, &ItemMeta::parse(body.as_bytes()).unwrap())
    }

    #[test]
    fn pod_claims_priority_and_container() {
        let d = read(
            "pods",
            r#"{"spec":{"priorityClassName":"high","serviceAccountName":"sa","containers":[{"name":"app"},{"name":"side"}],"volumes":[{"name":"a","emptyDir":{}},{"name":"b","persistentVolumeClaim":{"claimName":"data"}}]},"status":{"phase":"Succeeded"}}"#,
        );
        let Details::Pod(p) = d else { panic!() };
        assert_eq!(p.claims, vec![Box::from("data")]);
        assert_eq!(p.priority_class.as_deref(), Some("high"));
        assert_eq!(p.first_container.as_deref(), Some("app"));
        assert_eq!(p.phase.as_deref(), Some("Succeeded"));
    }

    #[test]
    fn odd_shapes_read_as_absent() {
        let d = read(
            "pods",
            r#"{"spec":{"volumes":"nope"},"status":{"phase":3}}"#,
        );
        assert_eq!(d, Details::Pod(Box::default()));
        let d = read("jobs.batch", r#"{"status":{"completionTime":""}}"#);
        assert_eq!(d, Details::Job { completed: false });
        let d = read(
            "jobs.batch",
            r#"{"status":{"completionTime":"2020-01-01T00:00:00Z"}}"#,
        );
        assert_eq!(d, Details::Job { completed: true });
    }

    #[test]
    fn bindings_and_volumes() {
        let d = read(
            "clusterrolebindings.rbac.authorization.k8s.io",
            r#"{"roleRef":{"kind":"ClusterRole","name":"view"},"subjects":[{"kind":"ServiceAccount","name":"sa","namespace":"ns"},{"kind":"Group","name":"g"}]}"#,
        );
        let Details::Binding(b) = d else { panic!() };
        assert_eq!(b.subjects.len(), 2);
        assert_eq!(b.role_ref, Some(("ClusterRole".into(), "view".into())));
        let d = read(
            "persistentvolumes",
            r#"{"spec":{"claimRef":{"namespace":"ns","name":"c"},"persistentVolumeReclaimPolicy":"Retain"}}"#,
        );
        let Details::Pv(p) = d else { panic!() };
        assert_eq!(p.claim, Some(("ns".into(), "c".into())));
    }
}

#[cfg(test)]
mod one_pass {
    use super::*;

    /// Reads `spec` as the metadata pass keeps it, and as a typed read of the whole text would.
    fn both<T: DeserializeOwned + PartialEq + std::fmt::Debug>(spec: &str) {
        let body = format!(r#"{{"kind":"X","spec":{spec},"status":{spec}}}"#);
        let meta = ItemMeta::parse(body.as_bytes()).expect("valid JSON");
        let whole: Option<T> = serde_json::from_str(spec).ok();
        assert_eq!(lenient::<_, T>(&meta.spec), whole, "spec {spec}");
        let whole: Option<Phase> = serde_json::from_str(spec).ok();
        assert_eq!(lenient::<_, Phase>(&meta.status), whole, "status {spec}");
    }

    #[test]
    fn the_kept_part_reads_as_the_whole_value_would() {
        for spec in [
            r#"{"containers":[{"name":"a","image":"x","env":[{"name":"E"}]},{"name":"b"}],"volumes":[{"name":"v","persistentVolumeClaim":{"claimName":"c","readOnly":true}},{"emptyDir":{}}],"priorityClassName":"p","serviceAccountName":"s","nodeName":"n"}"#,
            r#"{"containers":[["name-in-an-array"]],"volumes":"nope"}"#,
            r#"{"containers":{"name":"map"},"priorityClassName":5}"#,
            r#"{"priorityClassName":"a","priorityClassName":"b"}"#,
            r#"{"volumeName":"a","volumeName":"b","serviceAccountName":"s"}"#,
            r#"{"containers":[{"name":"a","name":"b"}]}"#,
            r#"{"containers":[{"image":"only"},null,3]}"#,
            r#"{"phase":"Bound","phase":"Lost"}"#,
            r#"{"phase":null,"completionTime":"2020-01-01T00:00:00Z"}"#,
            r#"{"claimRef":{"namespace":"ns","name":"c","uid":"u"},"persistentVolumeReclaimPolicy":"Retain","storageClassName":"gp2"}"#,
            r#"["an","array"]"#,
            r#""text""#,
            "null",
        ] {
            both::<PodSpec>(spec);
            both::<PvcSpec>(spec);
            both::<PvSpec>(spec);
        }
    }
}
