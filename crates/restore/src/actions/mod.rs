//! Velero's restore item actions, one module each, named after Velero's own
//! (`pkg/restore/actions/*_action.go`). Each rewrites an object the way its action does before
//! the restore creates it.

mod admission_webhook;
mod crd_preserve_fields;
pub mod csi;
mod job;
mod pod;
mod pv;
pub mod pvc;
mod role_binding;
pub mod secret;
mod service;
mod service_account;

use crate::render::RenderContext;
use serde_json::{Map, Value};

/// Applies the actions registered for group-resource `gr`.
/// Applies the actions registered for group-resource `gr`; `status` is the object's status as
/// backed up, which the object itself may no longer carry.
pub fn apply(
    gr: &str,
    body: &mut Value,
    status: Option<&Value>,
    ctx: &RenderContext<'_>,
    volume_name_cleared: bool,
) {
    match gr {
        "services" => service::service(body, ctx.preserve_node_ports),
        "pods" => pod::pod(body),
        "jobs.batch" => job::job(body),
        "persistentvolumeclaims" => {
            // The CSI action reads the snapshot annotation the PVC action removes.
            csi::pvc(body, ctx.restore_pvs);
            pvc::pvc(body, volume_name_cleared)
        }
        "volumesnapshots.snapshot.storage.k8s.io" => csi::volume_snapshot(body),
        "volumesnapshotcontents.snapshot.storage.k8s.io" => {
            let handle = status
                .or_else(|| body.get("status"))
                .and_then(|s| s.get("snapshotHandle"));
            let handle = handle.cloned();
            csi::volume_snapshot_content(body, handle, ctx.mapping)
        }
        "persistentvolumes" => pv::pv(body, ctx.mapping),
        "serviceaccounts" => service_account::service_account(body),
        "secrets" => secret::secret(body),
        "mutatingwebhookconfigurations.admissionregistration.k8s.io"
        | "validatingwebhookconfigurations.admissionregistration.k8s.io" => {
            admission_webhook::admission_webhook(body)
        }
        "customresourcedefinitions.apiextensions.k8s.io" => {
            crd_preserve_fields::crd_preserve_fields(body)
        }
        "rolebindings.rbac.authorization.k8s.io"
        | "clusterrolebindings.rbac.authorization.k8s.io" => {
            role_binding::role_binding(body, ctx.mapping)
        }
        _ => {}
    }
}

/// The default restore item actions that read the live cluster (a ConfigMap in Velero's
/// namespace, a data mover's result): what they would change is not in the plan, so the plan
/// says which of them apply, given the resources it restores.
pub fn cluster_dependent(
    restores: &dyn Fn(&str) -> bool,
    pod_volume_backups: bool,
    resource_modifier: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    if restores("persistentvolumeclaims") || restores("persistentvolumes") {
        out.push("velero.io/change-storage-class: storage classes are changed as a ConfigMap labelled velero.io/change-storage-class=RestoreItemAction in Velero's namespace says, if there is one; not shown here".into());
        out.push("velero.io/pvc: the selected-node annotation is removed here; a ConfigMap labelled velero.io/change-pvc-node-selector=RestoreItemAction would remap it instead".into());
    }
    if [
        "pods",
        "deployments.apps",
        "statefulsets.apps",
        "daemonsets.apps",
        "replicasets.apps",
        "jobs.batch",
        "cronjobs.batch",
    ]
    .into_iter()
    .any(restores)
    {
        out.push("velero.io/change-image-name: container images are rewritten as a ConfigMap labelled velero.io/change-image-name=RestoreItemAction says, if there is one; not shown here".into());
    }
    if pod_volume_backups {
        out.push("velero.io/pod-volume-restore: pods with pod volume backups get Velero's restore-wait init container (its image and resources from a ConfigMap); not shown here".into());
    }
    if restores("volumesnapshotcontents.snapshot.storage.k8s.io") {
        out.push("velero.io/csi-volumesnapshotcontent-restorer: each VolumeSnapshotContent takes the cluster's VolumeSnapshotClass of its driver; VolumeSnapshots and their contents are renamed from the Restore's UID (placeholders here)".into());
    }
    if restores("datauploads.velero.io") {
        out.push("velero.io/dataupload: DataUploads are turned into restore ConfigMaps from the data mover's results in the cluster; not shown here".into());
    }
    if resource_modifier {
        out.push("the Restore's resourceModifier rules (a ConfigMap in the cluster) are applied by Velero after these actions; not shown here".into());
    }
    out
}

pub(crate) fn obj_mut<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    v.get_mut(key).and_then(Value::as_object_mut)
}
