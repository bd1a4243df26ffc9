//! Velero's job action (`pkg/restore/actions/job_action.go`): the controller-uid labels a Job's
//! selector and template carry are removed, so the new Job gets its own.

use serde_json::Value;

pub fn job(job: &mut Value) {
    for path in [
        "/spec/selector/matchLabels",
        "/spec/template/metadata/labels",
    ] {
        if let Some(m) = job.pointer_mut(path).and_then(Value::as_object_mut) {
            m.remove("controller-uid");
            m.remove("batch.kubernetes.io/controller-uid");
        }
    }
}
