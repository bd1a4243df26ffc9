//! Velero's CRD preserve-unknown-fields action
//! (`pkg/restore/actions/crd_v1_preserve_unknown_fields_action.go`): a v1 CRD with
//! `spec.preserveUnknownFields: true` (which v1 refuses) gets `false` there and
//! `x-kubernetes-preserve-unknown-fields: true` on each version's schema instead.

use serde_json::{Value, json};

pub fn crd_preserve_fields(crd: &mut Value) {
    if crd.get("apiVersion").and_then(Value::as_str) != Some("apiextensions.k8s.io/v1") {
        return;
    }
    let Some(spec) = crd.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if spec.get("preserveUnknownFields").and_then(Value::as_bool) != Some(true) {
        return;
    }
    spec.insert("preserveUnknownFields".into(), json!(false));
    for version in spec
        .get_mut("versions")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(schema) = version
            .pointer_mut("/schema/openAPIV3Schema")
            .and_then(Value::as_object_mut)
        {
            schema.insert("x-kubernetes-preserve-unknown-fields".into(), json!(true));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_preserve_unknown_fields_moves_into_the_schemas() {
        let mut crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "spec": {"preserveUnknownFields": true,
            "versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"type": "object"}}}, {"name": "v2"}]}});
        crd_preserve_fields(&mut crd);
        assert_eq!(crd["spec"]["preserveUnknownFields"], false);
        assert_eq!(
            crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["x-kubernetes-preserve-unknown-fields"],
            true
        );
        assert!(crd["spec"]["versions"][1].get("schema").is_none());
        let mut beta = json!({"apiVersion": "apiextensions.k8s.io/v1beta1", "spec": {"preserveUnknownFields": true}});
        let before = beta.clone();
        crd_preserve_fields(&mut beta);
        assert_eq!(beta, before);
    }
}
