//! `velero.io/csi-pvc-restorer` (`csi/pvc_action.go`): a claim whose backup annotated a CSI
//! VolumeSnapshot (`velero.io/volume-snapshot-name`) is re-created from it: no `volumeName`, the
//! snapshot as its `dataSource`. With `restorePVs: false` the claim is provisioned empty. (A
//! data-mover claim instead starts a DataDownload in the cluster; the plan warns about that.)

use super::generated_name;
use crate::actions::obj_mut;
use serde_json::{Value, json};

/// `body` is the claim as the backup holds it (Velero reads the annotation from that copy).
pub fn pvc(body: &mut Value, restore_pvs: Option<bool>) {
    let snapshot = body
        .pointer("/metadata/annotations/velero.io~1volume-snapshot-name")
        .and_then(Value::as_str)
        .map(str::to_string);
    let Some(spec) = obj_mut(body, "spec") else {
        return;
    };
    if restore_pvs == Some(false) {
        spec.remove("volumeName");
        spec.remove("dataSource");
        spec.remove("dataSourceRef");
        return;
    }
    let Some(snapshot) = snapshot else { return };
    spec.remove("volumeName");
    spec.remove("dataSourceRef");
    spec.insert(
        "dataSource".into(),
        json!({"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": generated_name(&snapshot)}),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cases of `csi/pvc_action_test.go` that need no cluster.
    #[test]
    fn a_snapshotted_claim_is_sourced_from_its_snapshot() {
        let mut claim = json!({"metadata": {"annotations": {"velero.io/volume-snapshot-name": "vs-1"}},
            "spec": {"volumeName": "pv-1", "dataSourceRef": {"kind": "X"}}});
        pvc(&mut claim, None);
        assert!(claim["spec"].get("volumeName").is_none());
        assert!(claim["spec"].get("dataSourceRef").is_none());
        assert_eq!(claim["spec"]["dataSource"]["kind"], "VolumeSnapshot");
        assert_eq!(claim["spec"]["dataSource"]["name"], generated_name("vs-1"));
        let mut plain = json!({"spec": {"volumeName": "pv-2"}});
        pvc(&mut plain, None);
        assert_eq!(plain["spec"]["volumeName"], "pv-2");
        let mut off =
            json!({"spec": {"volumeName": "pv-3", "dataSource": {"kind": "VolumeSnapshot"}}});
        pvc(&mut off, Some(false));
        assert_eq!(off["spec"], json!({}));
    }
}
