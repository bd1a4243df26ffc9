//! Velero's restore item actions, one module each, named after Velero's own
//! (`pkg/restore/actions/*_action.go`). Each rewrites an object the way its action does before
//! the restore creates it.

mod job;
mod pod;
mod pv;
mod pvc;
mod role_binding;
mod service;

use crate::render::RenderContext;
use serde_json::{Map, Value};

/// Applies the actions registered for group-resource `gr`.
pub fn apply(gr: &str, body: &mut Value, ctx: &RenderContext<'_>, volume_name_cleared: bool) {
    match gr {
        "services" => service::service(body, ctx.preserve_node_ports),
        "pods" => pod::pod(body),
        "jobs.batch" => job::job(body),
        "persistentvolumeclaims" => pvc::pvc(body, volume_name_cleared),
        "persistentvolumes" => pv::pv(body, ctx.mapping),
        "rolebindings.rbac.authorization.k8s.io"
        | "clusterrolebindings.rbac.authorization.k8s.io" => {
            role_binding::role_binding(body, ctx.mapping)
        }
        _ => {}
    }
}

pub(crate) fn obj_mut<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    v.get_mut(key).and_then(Value::as_object_mut)
}
