//! Velero's PVC action (`pkg/restore/actions/pvc_action.go`): the binding, provisioner,
//! selected-node, snapshot and data-upload annotations are removed, and `volumeName` cleared when
//! the PV is re-provisioned instead of restored. (The action also remaps `selected-node` through
//! a node-mapping ConfigMap; the plan warns about that, see [`super::cluster_dependent`].)

use super::obj_mut;
use serde_json::Value;

/// The annotations the action removes.
pub const REMOVED_ANNOTATIONS: &[&str] = &[
    "pv.kubernetes.io/bind-completed",
    "pv.kubernetes.io/bound-by-controller",
    "volume.kubernetes.io/storage-provisioner",
    "volume.beta.kubernetes.io/storage-provisioner",
    "volume.kubernetes.io/selected-node",
    "velero.io/volume-snapshot-name",
    "velero.io/data-upload-name",
];

pub fn pvc(pvc: &mut Value, clear_volume: bool) {
    if let Some(a) = pvc
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        for k in REMOVED_ANNOTATIONS {
            a.remove(*k);
        }
    }
    if clear_volume && let Some(spec) = obj_mut(pvc, "spec") {
        spec.remove("volumeName");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// From `pvc_action_test.go`: every listed annotation goes, others stay.
    #[test]
    fn removes_every_annotation_velero_removes() {
        let mut annotations: serde_json::Map<String, Value> = REMOVED_ANNOTATIONS
            .iter()
            .map(|k| (k.to_string(), json!("x")))
            .collect();
        annotations.insert("keep.example.com/a".into(), json!("1"));
        let mut v =
            json!({"metadata": {"annotations": annotations}, "spec": {"volumeName": "pv-1"}});
        pvc(&mut v, false);
        assert_eq!(
            v["metadata"]["annotations"],
            json!({"keep.example.com/a": "1"})
        );
        assert_eq!(v["spec"]["volumeName"], "pv-1");
        pvc(&mut v, true);
        assert!(v["spec"].get("volumeName").is_none());
    }
}
