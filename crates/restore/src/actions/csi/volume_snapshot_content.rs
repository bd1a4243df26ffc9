//! `velero.io/csi-volumesnapshotcontent-restorer` (`csi/volumesnapshotcontent_action.go`): the
//! content is re-created pre-provisioned from the snapshot handle its status recorded, bound to
//! the generated snapshot name in the mapped namespace, with deletion policy Retain. Its
//! VolumeSnapshotClass is chosen from the cluster's by driver (the plan warns).

use super::generated_name;
use crate::actions::obj_mut;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// `handle` is the `status.snapshotHandle` the backup recorded.
pub fn volume_snapshot_content(
    vsc: &mut Value,
    handle: Option<Value>,
    mapping: &BTreeMap<String, String>,
) {
    let snapshot = vsc
        .pointer("/spec/volumeSnapshotRef/name")
        .and_then(Value::as_str)
        .map(generated_name);
    let Some(snapshot) = snapshot else { return };
    if let Some(meta) = obj_mut(vsc, "metadata") {
        meta.insert("name".into(), json!(snapshot));
    }
    let Some(spec) = obj_mut(vsc, "spec") else {
        return;
    };
    if let Some(r) = spec
        .get_mut("volumeSnapshotRef")
        .and_then(Value::as_object_mut)
    {
        let ns = r
            .get("namespace")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(target) = ns.and_then(|n| mapping.get(&n)) {
            r.insert("namespace".into(), json!(target));
        }
        r.insert("name".into(), json!(snapshot));
        r.remove("resourceVersion");
        r.remove("uid");
    }
    spec.insert("deletionPolicy".into(), json!("Retain"));
    spec.remove("volumeSnapshotClassName");
    if let Some(h) = handle {
        spec.insert("source".into(), json!({"snapshotHandle": h}));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_provisioned_from_its_handle_and_bound_to_the_generated_snapshot() {
        let mut vsc = json!({"metadata": {"name": "snapcontent-1"},
            "spec": {"deletionPolicy": "Delete", "driver": "ebs.csi.aws.com", "source": {"volumeHandle": "vol-1"},
                "volumeSnapshotClassName": "csi", "volumeSnapshotRef": {"name": "vs-1", "namespace": "app", "uid": "u", "resourceVersion": "9"}},
            "status": {"snapshotHandle": "snap-1"}});
        let mapping = BTreeMap::from([("app".to_string(), "drill".to_string())]);
        let handle = vsc.pointer("/status/snapshotHandle").cloned();
        volume_snapshot_content(&mut vsc, handle, &mapping);
        assert_eq!(vsc["metadata"]["name"], generated_name("vs-1"));
        assert_eq!(
            vsc["spec"]["volumeSnapshotRef"],
            json!({"name": generated_name("vs-1"), "namespace": "drill"})
        );
        assert_eq!(vsc["spec"]["deletionPolicy"], "Retain");
        assert_eq!(vsc["spec"]["source"], json!({"snapshotHandle": "snap-1"}));
        assert!(vsc["spec"].get("volumeSnapshotClassName").is_none());
    }
}
