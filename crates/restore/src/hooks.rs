//! Restore hooks: the Restore spec's `postHooks` (exec and init) and the pods' own
//! `post.hook.restore.velero.io/*` and `init.hook.restore.velero.io/*` annotations, listed with the
//! pods they would run in.

use crate::{Action, Plan};
use serde::Serialize;
use serde_json::Value;
use veloscope_index::Index;
use veloscope_model::RestoreSpec;
use veloscope_select::resources::resolve_old;
use veloscope_select::{Resolver, VeleroVersion};

/// One hook a restore would run.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreHook {
    pub kind: &'static str,
    pub source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook: Option<String>,
    pub pod: String,
    pub detail: String,
}

/// Restore hooks: the spec's postHooks (exec and init) and the pods' own annotations.
pub fn restore_hooks(
    idx: &Index,
    resolver: &Resolver,
    version: VeleroVersion,
    spec: &RestoreSpec,
    plan: &Plan,
) -> Vec<RestoreHook> {
    let mut out = Vec::new();
    for step in plan
        .steps
        .iter()
        .filter(|s| s.resource == "pods" && s.action != Action::Skip)
    {
        let Some(at) = step.item else { continue };
        let item = &idx.items[at];
        let pod = format!(
            "{}/{}",
            step.target_namespace.as_deref().unwrap_or(""),
            step.name
        );
        let ann = |k: &str| idx.annotation(item, k).filter(|v| !v.is_empty());
        if let Some(cmd) = ann("post.hook.restore.velero.io/command") {
            let container =
                ann("post.hook.restore.velero.io/container").unwrap_or("<first container>");
            out.push(RestoreHook {
                kind: "exec",
                source: "annotation",
                hook: None,
                pod: pod.clone(),
                detail: format!(
                    "{container}: {cmd} (on-error {}, exec-timeout {})",
                    ann("post.hook.restore.velero.io/on-error").unwrap_or("Continue"),
                    ann("post.hook.restore.velero.io/exec-timeout").unwrap_or("30s")
                ),
            });
        }
        if let Some(image) = ann("init.hook.restore.velero.io/container-image") {
            out.push(RestoreHook {
                kind: "init",
                source: "annotation",
                hook: None,
                pod: pod.clone(),
                detail: format!(
                    "{} ({image}): {}",
                    ann("init.hook.restore.velero.io/container-name").unwrap_or("restore-init"),
                    ann("init.hook.restore.velero.io/command").unwrap_or("")
                ),
            });
        }
        let ns = idx.namespace(item).unwrap_or("");
        for h in &spec.hooks.resources {
            let nsie = veloscope_select::IncludesExcludes::new(
                &h.included_namespaces,
                &h.excluded_namespaces,
            );
            let rie = resolve_old(
                resolver,
                version,
                &h.included_resources,
                &h.excluded_resources,
            );
            let sel_ok = h
                .label_selector
                .as_ref()
                .and_then(|s| s.to_selector().ok())
                .is_none_or(|s| s.matches(|k| idx.label(item, k)));
            if !(nsie.should_include(ns) && rie.should_include("pods") && sel_ok) {
                continue;
            }
            for ph in &h.post_hooks {
                if let Some(e) = &ph.exec {
                    let c = if e.container.is_empty() {
                        "<first container>"
                    } else {
                        &e.container
                    };
                    out.push(RestoreHook {
                        kind: "exec",
                        source: "spec",
                        hook: Some(h.name.clone()),
                        pod: pod.clone(),
                        detail: format!(
                            "{c}: {} (on-error {}, exec-timeout {})",
                            e.command.join(" "),
                            e.on_error.as_deref().unwrap_or("Continue"),
                            e.exec_timeout.as_deref().unwrap_or("30s")
                        ),
                    });
                }
                if let Some(i) = &ph.init {
                    let names: Vec<&str> = i
                        .init_containers
                        .iter()
                        .filter_map(|c| c.get("name").and_then(Value::as_str))
                        .collect();
                    out.push(RestoreHook {
                        kind: "init",
                        source: "spec",
                        hook: Some(h.name.clone()),
                        pod: pod.clone(),
                        detail: format!("init containers: {}", names.join(", ")),
                    });
                }
            }
        }
    }
    out
}
