//! Velero's PVC action (`pkg/restore/actions/pvc_action.go`): binding annotations removed, and
//! `volumeName` cleared when the PV is re-provisioned instead of restored.

use super::obj_mut;
use serde_json::Value;

pub fn pvc(pvc: &mut Value, clear_volume: bool) {
    if let Some(a) = pvc
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.remove("pv.kubernetes.io/bind-completed");
        a.remove("pv.kubernetes.io/bound-by-controller");
    }
    if clear_volume && let Some(spec) = obj_mut(pvc, "spec") {
        spec.remove("volumeName");
    }
}
