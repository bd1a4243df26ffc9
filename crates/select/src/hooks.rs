//! Backup hooks (format reference §6.3): which exec hooks run in which pods. A pod's own
//! `pre.`/`post.hook.backup.velero.io/*` annotations take precedence over the spec's hooks for
//! that phase; the pre phase also honours the un-prefixed `hook.backup.velero.io/*` keys.

use crate::SelectError;
use crate::includes::IncludesExcludes;
use crate::resolve::Resolver;
use crate::resources::resolve_old;
use crate::version::VeleroVersion;
use serde::Serialize;
use veloscope_archive::Details;
use veloscope_index::Index;
use veloscope_model::Selector;
use veloscope_model::backup::{BackupHooks, ExecHook};

const DEFAULT_TIMEOUT: &str = "30s";

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HookRun {
    pub phase: &'static str,
    /// `annotation`, or `spec` for `spec.hooks.resources`.
    pub source: &'static str,
    /// The name of the spec hook; None for annotations.
    pub hook: Option<String>,
    /// Position of the pod in the index.
    #[serde(skip)]
    pub pod: usize,
    pub container: String,
    pub command: Vec<String>,
    pub on_error: String,
    pub timeout: String,
}

struct SpecHook<'a> {
    name: &'a str,
    namespaces: IncludesExcludes,
    resources: IncludesExcludes,
    selector: Option<Selector>,
    pre: Vec<&'a ExecHook>,
    post: Vec<&'a ExecHook>,
}

/// `parseStringToCommand`: a JSON array if the value starts with `[` and parses, else one word.
fn parse_command(value: &str) -> Vec<String> {
    if value.starts_with('[')
        && let Ok(v) = serde_json::from_str::<Vec<String>>(value)
    {
        return v;
    }
    vec![value.to_string()]
}

fn annotation_hook(
    index: &Index,
    pod: usize,
    prefix: &str,
) -> Option<(String, Vec<String>, String, String)> {
    let item = &index.items[pod];
    let get = |k: &str| index.annotation(item, &format!("{prefix}hook.backup.velero.io/{k}"));
    let command = get("command").filter(|c| !c.is_empty())?;
    let on_error = get("on-error")
        .filter(|o| matches!(*o, "Continue" | "Fail"))
        .unwrap_or("");
    Some((
        get("container").unwrap_or("").to_string(),
        parse_command(command),
        on_error.to_string(),
        get("timeout").unwrap_or("").to_string(),
    ))
}

/// Every hook run for the given pods (positions in the index), in pod order, pre before post.
pub fn backup_hooks(
    index: &Index,
    resolver: &Resolver,
    version: VeleroVersion,
    hooks: &BackupHooks,
    pods: &[usize],
    warnings: &mut Vec<String>,
) -> Result<Vec<HookRun>, SelectError> {
    let specs = hooks
        .resources
        .iter()
        .map(|h| {
            Ok(SpecHook {
                name: &h.name,
                namespaces: IncludesExcludes::new(&h.included_namespaces, &h.excluded_namespaces),
                resources: resolve_old(
                    resolver,
                    version,
                    &h.included_resources,
                    &h.excluded_resources,
                ),
                selector: h
                    .label_selector
                    .as_ref()
                    .map(|s| s.to_selector())
                    .transpose()?,
                pre: h.pre.iter().filter_map(|x| x.exec.as_ref()).collect(),
                post: h.post.iter().filter_map(|x| x.exec.as_ref()).collect(),
            })
        })
        .collect::<Result<Vec<_>, SelectError>>()?;
    let mut runs = Vec::new();
    for &pod in pods {
        let item = &index.items[pod];
        let first = match &item.details {
            Details::Pod(p) => p.first_container.as_deref().map(str::to_string),
            _ => None,
        };
        let mut push = |phase,
                        source,
                        hook: Option<String>,
                        container: &str,
                        command: Vec<String>,
                        on_error: &str,
                        timeout: &str| {
            let container = if container.is_empty() {
                first.clone().unwrap_or_else(|| {
                    warnings.push(format!(
                        "pod {} has no containers for its {phase} hook",
                        crate::preview::item_ref(index, pod)
                    ));
                    String::new()
                })
            } else {
                container.to_string()
            };
            runs.push(HookRun {
                phase,
                source,
                hook,
                pod,
                container,
                command,
                on_error: if on_error.is_empty() {
                    "Fail".into()
                } else {
                    on_error.to_string()
                },
                timeout: if timeout.is_empty() {
                    DEFAULT_TIMEOUT.into()
                } else {
                    timeout.to_string()
                },
            });
        };
        for phase in ["pre", "post"] {
            let from_annotation = annotation_hook(index, pod, &format!("{phase}.")).or_else(|| {
                (phase == "pre")
                    .then(|| annotation_hook(index, pod, ""))
                    .flatten()
            });
            if let Some((container, command, on_error, timeout)) = from_annotation {
                push(
                    phase,
                    "annotation",
                    None,
                    &container,
                    command,
                    &on_error,
                    &timeout,
                );
                continue;
            }
            let ns = index.namespace(item).unwrap_or("");
            for spec in &specs {
                let applies = spec.namespaces.should_include(ns)
                    && spec.resources.should_include("pods")
                    && spec
                        .selector
                        .as_ref()
                        .is_none_or(|s| s.matches(|k| index.label(item, k)));
                if !applies {
                    continue;
                }
                let execs = if phase == "pre" {
                    &spec.pre
                } else {
                    &spec.post
                };
                for exec in execs {
                    push(
                        phase,
                        "spec",
                        Some(spec.name.to_string()),
                        &exec.container,
                        exec.command.clone(),
                        exec.on_error.as_deref().unwrap_or(""),
                        exec.timeout.as_deref().unwrap_or(""),
                    );
                }
            }
        }
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_annotation_forms() {
        assert_eq!(
            parse_command(r#"["/bin/sh","-c","sync"]"#),
            ["/bin/sh", "-c", "sync"]
        );
        assert_eq!(parse_command("/bin/sync"), ["/bin/sync"]);
        assert_eq!(parse_command("[not json"), ["[not json"]);
    }
}
