//! What the planner cannot see from filters alone: items whose JSON does not decode, custom
//! resources without a CRD, and how a planned object compares with one the cluster already has.

use crate::{Plan, Skip};
use serde_json::Value;
use std::collections::HashSet;
use veloscope_index::Index;
use veloscope_model::catalogue::Origin;
use veloscope_select::{Reason, Resolver};

/// Items whose JSON does not decode: Velero records an error for each and goes on.
pub fn drop_undecodable(idx: &Index, plan: &mut Plan, warnings: &mut Vec<String>) {
    let mut bad = HashSet::new();
    for inv in &idx.invalid {
        warnings.push(format!("error decoding {:?}: {}", inv.entry, inv.message));
        if let Ok(veloscope_archive::EntryPath::Item(p)) =
            veloscope_archive::path::classify(&inv.entry)
            && let Some(at) = idx.position(p.gr, p.namespace, p.name)
        {
            bad.insert(at);
        }
    }
    if bad.is_empty() {
        return;
    }
    plan.steps
        .retain(|s| s.item.is_none_or(|at| !bad.contains(&at)));
    plan.skipped.retain(|s| !bad.contains(&s.item));
    plan.skipped.extend(bad.into_iter().map(|item| Skip {
        item,
        reason: Reason::DecodeError,
        note: None,
    }));
    plan.skipped.sort_by_key(|s| s.item);
}

/// Custom resources whose CRD is neither restored nor already in the target cluster.
/// Whether the target cluster has an object (resource, namespace, name).
pub type Exists<'a> = &'a dyn Fn(&str, Option<&str>, &str) -> bool;

/// `exists` answers whether the target cluster has an object (resource, namespace, name); None
/// when the cluster's objects are unknown.
pub fn crd_warnings(
    idx: &Index,
    resolver: &Resolver,
    plan: &Plan,
    exists: Option<Exists<'_>>,
) -> Vec<String> {
    let crd = "customresourcedefinitions.apiextensions.k8s.io";
    let restored: HashSet<&str> = plan
        .steps
        .iter()
        .filter(|s| s.resource == crd)
        .map(|s| s.name.as_str())
        .collect();
    let mut grs: Vec<&str> = plan.steps.iter().map(|s| s.resource.as_str()).collect();
    grs.sort();
    grs.dedup();
    let mut out = Vec::new();
    for gr in grs {
        let builtin = resolver.info(gr).is_some_and(|i| {
            i.origin == Origin::Builtin
                && !gr.ends_with(".velero.io")
                && !gr.contains("snapshot.storage.k8s.io")
        });
        if builtin || restored.contains(gr) {
            continue;
        }
        match exists {
            Some(has) if has(crd, None, gr) => {}
            Some(_) => out.push(format!("{gr}: will fail: no CRD (neither restored nor in the target cluster)")),
            None => out.push(format!("{gr}: its CRD is not restored ({}); the restore fails unless the cluster already has it",
                if idx.position(crd, None, gr).is_some() { "excluded by the filters" } else { "not in the archive" })),
        }
    }
    out
}

/// The object as it was before Velero labelled it, to compare with what the cluster has.
pub fn without_restore_labels(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
            labels.remove("velero.io/backup-name");
            labels.remove("velero.io/restore-name");
        }
        if meta
            .get("labels")
            .and_then(Value::as_object)
            .is_some_and(|l| l.is_empty())
        {
            meta.remove("labels");
        }
    }
    o
}
