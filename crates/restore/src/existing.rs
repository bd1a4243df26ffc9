//! What a restore does about the target cluster's own objects (`pkg/restore/restore.go`):
//! `shouldRenamePV` (a PV from a native snapshot whose claim's namespace is remapped, while a PV
//! of its name exists, is created under a new name), and `restoreItem`'s branch for an object that
//! already exists (`existingResourcePolicy`, and the ServiceAccount merge Velero always does).
//! The caller reads the cluster's objects and compares; these functions decide.

use crate::planner::{Action, Plan, Step};
use serde_json::Value;
use std::collections::HashMap;
use veloscope_archive::Details;
use veloscope_index::Index;
use veloscope_model::RestoreSpec;

/// The annotation Velero puts on a renamed PV.
pub const ORIGINAL_PV_NAME: &str = "velero.io/original-pv-name";

/// PVs created under another name: old name → new name.
#[derive(Debug, Default)]
pub struct PvRenames(HashMap<String, String>);

/// Velero's `shouldRenamePV`, for every PV step: renames the steps of the PVs that clash (the
/// new name is `velero-clone-` and a random UUID in Velero, a numbered placeholder here) and
/// notes the claims that follow them. `pv_exists` says whether the target cluster has a PV of
/// that name.
pub fn rename_clashing_pvs(
    idx: &Index,
    plan: &mut Plan,
    spec: &RestoreSpec,
    pv_exists: impl Fn(&str) -> bool,
) -> PvRenames {
    let mut renamed = HashMap::new();
    for step in &mut plan.steps {
        let Some(at) = step.item else { continue };
        if step.resource != "persistentvolumes" || !plan.from_snapshot.contains(&at) {
            continue;
        }
        let Details::Pv(pv) = &idx.items[at].details else {
            continue;
        };
        let remapped = pv
            .claim
            .as_ref()
            .is_some_and(|(ns, _)| spec.namespace_mapping.contains_key(&**ns));
        if !remapped || !pv_exists(&step.name) {
            continue;
        }
        let new = format!("velero-clone-<uuid-{}>", renamed.len() + 1);
        renamed.insert(step.name.clone(), new.clone());
        step.note = Some(format!(
            "renamed: a PV named {} exists and its claim's namespace is remapped, so Velero restores it as velero-clone-<random UUID> (the name here is a placeholder) with {ORIGINAL_PV_NAME}; its claim follows",
            step.name
        ));
        step.target_name = Some(new);
    }
    for step in &mut plan.steps {
        let claimed = step.item.and_then(|at| match &idx.items[at].details {
            Details::Pvc(p) => p.volume_name.as_deref(),
            _ => None,
        });
        if step.resource == "persistentvolumeclaims"
            && let Some(new) = claimed.and_then(|v| renamed.get(v))
        {
            step.note = Some(format!("bound to the renamed PV {new}"));
        }
    }
    PvRenames(renamed)
}

impl PvRenames {
    /// Gives a rendered object the name it is created under: a namespace its mapped name, a
    /// renamed PV its new name and [`ORIGINAL_PV_NAME`], a claim of a renamed PV the new
    /// `spec.volumeName`.
    pub fn rename(&self, step: &Step, obj: &mut Value) {
        let renamed_pv = step.resource == "persistentvolumes" && self.0.contains_key(&step.name);
        if (step.resource == "namespaces" || renamed_pv)
            && let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut)
        {
            m.insert("name".into(), step.created_name().into());
            if renamed_pv
                && let Some(notes) = m
                    .entry("annotations")
                    .or_insert_with(|| serde_json::json!({}))
                    .as_object_mut()
            {
                notes.insert(ORIGINAL_PV_NAME.into(), step.name.clone().into());
            }
        }
        if step.resource == "persistentvolumeclaims"
            && let Some(volume) = obj.pointer_mut("/spec/volumeName")
            && let Some(new) = volume.as_str().and_then(|v| self.0.get(v))
        {
            *volume = Value::String(new.clone());
        }
    }
}

/// `existingResourcePolicy`: `none` (Velero's default) leaves an existing object as it is,
/// `update` patches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingPolicy {
    None,
    Update,
}

impl ExistingPolicy {
    pub fn of(spec: &RestoreSpec) -> ExistingPolicy {
        match spec.existing_resource_policy.as_deref() {
            Some("update") => ExistingPolicy::Update,
            _ => ExistingPolicy::None,
        }
    }
}

/// What Velero does with a step whose object the cluster has: `differs` says whether the
/// rendered object (less Velero's own labels) differs from the cluster's; `merged` lists what a
/// ServiceAccount merge would add (Velero merges ServiceAccounts whatever the policy says).
pub fn decide_existing(
    step: &mut Step,
    policy: ExistingPolicy,
    differs: bool,
    merged: impl FnOnce() -> Vec<String>,
) {
    if step.resource == "serviceaccounts" && differs {
        let merged = merged();
        (step.action, step.note) = if merged.is_empty() {
            (Action::Skip, Some("exists; nothing to merge".into()))
        } else {
            (
                Action::Update,
                Some(format!(
                    "exists: Velero merges into it whatever existingResourcePolicy says: {}",
                    merged.join("; ")
                )),
            )
        };
        return;
    }
    let update = policy == ExistingPolicy::Update;
    (step.action, step.note) = match (update, differs) {
        (true, true) => (
            Action::Update,
            Some("exists and differs: patched (existingResourcePolicy update)".into()),
        ),
        // Velero patches its backup and restore-name labels onto an unchanged object when the
        // policy is update (restore.go: updateBackupRestoreLabels).
        (true, false) => (
            Action::Update,
            Some("exists, unchanged: Velero patches its backup/restore-name labels onto it (existingResourcePolicy update)".into()),
        ),
        (false, false) => (Action::Skip, Some("exists, unchanged".into())),
        (false, true) => (
            Action::Skip,
            Some("exists and differs: left as is (existingResourcePolicy none); Velero warns".into()),
        ),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(resource: &str, name: &str) -> Step {
        Step {
            item: None,
            resource: resource.into(),
            namespace: Some("app".into()),
            name: name.into(),
            target_namespace: Some("app".into()),
            target_name: None,
            action: Action::Create,
            via: None,
            note: None,
        }
    }

    /// Velero's restoreItem: with policy none an existing object is skipped (a warning when it
    /// differs); with update it is patched, even when unchanged (its labels).
    #[test]
    fn existing_objects_follow_the_policy() {
        let cases = [
            (ExistingPolicy::None, false, Action::Skip, "unchanged"),
            (ExistingPolicy::None, true, Action::Skip, "Velero warns"),
            (ExistingPolicy::Update, true, Action::Update, "patched"),
            (ExistingPolicy::Update, false, Action::Update, "labels"),
        ];
        for (policy, differs, action, says) in cases {
            let mut s = step("configmaps", "c");
            decide_existing(&mut s, policy, differs, Vec::new);
            assert_eq!(s.action, action, "{policy:?} {differs}");
            assert!(s.note.as_deref().is_some_and(|n| n.contains(says)), "{s:?}");
        }
    }

    /// Velero merges ServiceAccounts (secrets, image pull secrets) whatever the policy.
    #[test]
    fn service_accounts_are_merged_whatever_the_policy() {
        let mut s = step("serviceaccounts", "default");
        decide_existing(&mut s, ExistingPolicy::None, true, || {
            vec!["secrets: token-x".into()]
        });
        assert_eq!(s.action, Action::Update);
        let mut s = step("serviceaccounts", "default");
        decide_existing(&mut s, ExistingPolicy::None, true, Vec::new);
        assert_eq!(s.action, Action::Skip);
    }

    #[test]
    fn a_renamed_pv_and_its_claim_are_rewritten() {
        let renames = PvRenames(HashMap::from([("pv-1".into(), "velero-clone-x".into())]));
        let mut pv = step("persistentvolumes", "pv-1");
        pv.target_name = Some("velero-clone-x".into());
        let mut obj = serde_json::json!({"metadata": {"name": "pv-1"}});
        renames.rename(&pv, &mut obj);
        assert_eq!(obj["metadata"]["name"], "velero-clone-x");
        assert_eq!(obj["metadata"]["annotations"][ORIGINAL_PV_NAME], "pv-1");
        let claim = step("persistentvolumeclaims", "data");
        let mut obj =
            serde_json::json!({"metadata": {"name": "data"}, "spec": {"volumeName": "pv-1"}});
        renames.rename(&claim, &mut obj);
        assert_eq!(obj["spec"]["volumeName"], "velero-clone-x");
        let other = step("persistentvolumes", "pv-2");
        let mut obj = serde_json::json!({"metadata": {"name": "pv-2"}});
        renames.rename(&other, &mut obj);
        assert_eq!(obj, serde_json::json!({"metadata": {"name": "pv-2"}}));
    }
}
