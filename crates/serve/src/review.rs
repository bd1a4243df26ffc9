//! The access reviews clients ask before they show a view (`kubectl auth can-i`, `auth whoami`,
//! k9s): answered as the apiserver would for this server's one user. Reading (get, list, watch)
//! is allowed on everything; anything else is denied, as the server is read-only. kubectl sends
//! these bodies as Kubernetes protobuf (`k8s\0` and a `runtime.Unknown` envelope); the answer is
//! JSON, which it also accepts.

use crate::status::Status;
use serde_json::{Value, json};

const READ: [&str; 3] = ["get", "list", "watch"];

/// `runtime.Unknown`: the envelope of a Kubernetes protobuf body.
#[derive(Clone, PartialEq, prost::Message)]
struct Unknown {
    #[prost(bytes = "vec", optional, tag = "2")]
    raw: Option<Vec<u8>>,
}

/// `authorization.k8s.io/v1` SelfSubjectAccessReview, only what is read here.
#[derive(Clone, PartialEq, prost::Message)]
struct AccessReview {
    #[prost(message, optional, tag = "2")]
    spec: Option<AccessReviewSpec>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct AccessReviewSpec {
    #[prost(message, optional, tag = "1")]
    resource_attributes: Option<Attributes>,
    #[prost(message, optional, tag = "2")]
    non_resource_attributes: Option<NonResourceAttributes>,
}

/// `ResourceAttributes`: namespace (1), verb (2), group (3), version (4), resource (5).
#[derive(Clone, PartialEq, prost::Message)]
struct Attributes {
    #[prost(string, optional, tag = "1")]
    namespace: Option<String>,
    #[prost(string, optional, tag = "2")]
    verb: Option<String>,
    #[prost(string, optional, tag = "3")]
    group: Option<String>,
    #[prost(string, optional, tag = "5")]
    resource: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct NonResourceAttributes {
    #[prost(string, optional, tag = "1")]
    path: Option<String>,
    #[prost(string, optional, tag = "2")]
    verb: Option<String>,
}

/// The kind a POST to this path creates, at the root or under `/backups/NAME/`.
pub fn kind_at(segs: &[String]) -> Option<&'static str> {
    let tail: Vec<&str> = segs
        .iter()
        .rev()
        .take(4)
        .rev()
        .map(String::as_str)
        .collect();
    match tail.as_slice() {
        [
            "apis",
            "authorization.k8s.io",
            "v1",
            "selfsubjectaccessreviews",
        ] => Some("SelfSubjectAccessReview"),
        [
            "apis",
            "authorization.k8s.io",
            "v1",
            "selfsubjectrulesreviews",
        ] => Some("SelfSubjectRulesReview"),
        ["apis", "authentication.k8s.io", "v1", "selfsubjectreviews"] => Some("SelfSubjectReview"),
        _ => None,
    }
}

/// The review's spec as JSON, from a JSON body or a Kubernetes protobuf one.
fn spec_of(body: &[u8]) -> Result<Value, Status> {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return Ok(v.get("spec").cloned().unwrap_or(Value::Null));
    }
    let Some(proto) = body.strip_prefix(b"k8s\0") else {
        return Err(Status::bad_request(
            "the request body is neither JSON nor Kubernetes protobuf",
        ));
    };
    let bad = |e: prost::DecodeError| Status::bad_request(format!("the request body: {e}"));
    let envelope = <Unknown as prost::Message>::decode(proto).map_err(bad)?;
    let review =
        <AccessReview as prost::Message>::decode(envelope.raw.unwrap_or_default().as_slice())
            .map_err(bad)?;
    let spec = review.spec.unwrap_or_default();
    let mut out = json!({});
    if let Some(a) = spec.resource_attributes {
        out["resourceAttributes"] = json!({
            "namespace": a.namespace.unwrap_or_default(),
            "verb": a.verb.unwrap_or_default(),
            "group": a.group.unwrap_or_default(),
            "resource": a.resource.unwrap_or_default(),
        });
    }
    if let Some(n) = spec.non_resource_attributes {
        out["nonResourceAttributes"] =
            json!({"path": n.path.unwrap_or_default(), "verb": n.verb.unwrap_or_default()});
    }
    Ok(out)
}

/// The review answered: the object with its status.
pub fn answer(kind: &str, body: &[u8]) -> Result<Value, Status> {
    let group = if kind == "SelfSubjectReview" {
        "authentication.k8s.io/v1"
    } else {
        "authorization.k8s.io/v1"
    };
    // Only an access review's spec decides anything; the others are answered whatever they ask.
    let spec = if kind == "SelfSubjectAccessReview" {
        spec_of(body)?
    } else {
        serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("spec").cloned())
            .unwrap_or_else(|| json!({}))
    };
    let status = match kind {
        "SelfSubjectAccessReview" => {
            let verb = spec
                .pointer("/resourceAttributes/verb")
                .or_else(|| spec.pointer("/nonResourceAttributes/verb"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if READ.contains(&verb) {
                json!({"allowed": true})
            } else {
                json!({"allowed": false, "denied": true,
                    "reason": "veloscope serves a backup read-only: get, list and watch"})
            }
        }
        "SelfSubjectRulesReview" => json!({
            "resourceRules": [{"verbs": READ, "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["*"]}],
            "incomplete": false
        }),
        _ => json!({"userInfo": {"username": "veloscope", "groups": ["system:authenticated"]}}),
    };
    Ok(json!({"kind": kind, "apiVersion": group, "metadata": {}, "spec": spec, "status": status}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_protobuf_review_reads_its_verb() {
        use prost::Message;
        let review = AccessReview {
            spec: Some(AccessReviewSpec {
                resource_attributes: Some(Attributes {
                    namespace: Some("app".into()),
                    verb: Some("delete".into()),
                    group: None,
                    resource: Some("pods".into()),
                }),
                non_resource_attributes: None,
            }),
        };
        let envelope = Unknown {
            raw: Some(review.encode_to_vec()),
        };
        let body = [b"k8s\0".as_slice(), &envelope.encode_to_vec()].concat();
        let v = answer("SelfSubjectAccessReview", &body).unwrap();
        assert_eq!(v["status"]["allowed"], false);
        assert_eq!(v["spec"]["resourceAttributes"]["resource"], "pods");
        let json = br#"{"spec":{"resourceAttributes":{"verb":"list","resource":"pods"}}}"#;
        assert_eq!(
            answer("SelfSubjectAccessReview", json).unwrap()["status"]["allowed"],
            true
        );
        assert!(answer("SelfSubjectAccessReview", b"\x00garbage").is_err());
    }
}
