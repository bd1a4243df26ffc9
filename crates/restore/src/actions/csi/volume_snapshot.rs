//! `velero.io/csi-volumesnapshot-restorer` (`csi/volumesnapshot_action.go`): the snapshot is
//! re-created under its generated name, sourced from the content of the same name instead of
//! its PVC, independent of any VolumeSnapshotClass, with the content's deletion policy Retain.

use super::generated_name;
use crate::actions::obj_mut;
use serde_json::{Value, json};

pub fn volume_snapshot(vs: &mut Value) {
    let Some(name) = vs.pointer("/metadata/name").and_then(Value::as_str) else {
        return;
    };
    let generated = generated_name(name);
    if let Some(meta) = obj_mut(vs, "metadata") {
        meta.insert("name".into(), json!(generated));
        let notes = meta.entry("annotations").or_insert_with(|| json!({}));
        if let Some(n) = notes.as_object_mut() {
            n.insert("velero.io/csi-vsc-deletion-policy".into(), json!("Retain"));
        }
    }
    if let Some(spec) = obj_mut(vs, "spec") {
        spec.remove("volumeSnapshotClassName");
        spec.insert(
            "source".into(),
            json!({"volumeSnapshotContentName": generated}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sourced_from_its_content_under_the_generated_name() {
        let mut vs = json!({"metadata": {"name": "vs-1", "namespace": "app"},
            "spec": {"source": {"persistentVolumeClaimName": "data"}, "volumeSnapshotClassName": "csi"}});
        volume_snapshot(&mut vs);
        assert_eq!(vs["metadata"]["name"], generated_name("vs-1"));
        assert_eq!(
            vs["metadata"]["annotations"]["velero.io/csi-vsc-deletion-policy"],
            "Retain"
        );
        assert_eq!(
            vs["spec"],
            json!({"source": {"volumeSnapshotContentName": generated_name("vs-1")}})
        );
    }
}
