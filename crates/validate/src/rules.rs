//! Velero's own admission rules for Backup, Restore and Schedule specs, with its messages (format
//! reference §3.10 and §4), and — with an archive — what a spec would select from it.

use crate::{Finding, Severity};
use serde_json::Value;
use veloscope_index::{Index, IndexBuilder};
use veloscope_model::duration::parse_duration;
use veloscope_model::{BackupSpec, RestoreSpec};
use veloscope_select::{GlobPattern, Resolution, Resolver, VeleroVersion, backup, preview};

fn err(path: &str, message: impl Into<String>) -> Finding {
    Finding {
        severity: Severity::Error,
        path: path.to_string(),
        message: message.into(),
    }
}

fn warn(path: &str, message: impl Into<String>) -> Finding {
    Finding {
        severity: Severity::Warning,
        path: path.to_string(),
        message: message.into(),
    }
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

/// Go-duration fields (`metav1.Duration`): a value that does not parse stops Velero decoding it.
fn durations(spec: &Value, at: &str, fields: &[&str], out: &mut Vec<Finding>) {
    for f in fields {
        let Some(v) = spec
            .pointer(&format!("/{}", f.replace('.', "/")))
            .and_then(Value::as_str)
        else {
            continue;
        };
        if let Err(e) = parse_duration(v) {
            out.push(err(
                &join(at, f),
                format!("Invalid value: {v:?}: {e}: a Go duration such as 720h0m0s, 10m or 1h30m"),
            ));
        }
    }
}

fn hook_durations(spec: &Value, at: &str, hooks_key: &str, keys: &[&str], out: &mut Vec<Finding>) {
    for (i, r) in spec
        .pointer("/hooks/resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        for phase in ["pre", "post", "postHooks"] {
            for (j, h) in r
                .get(phase)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                for kind in ["exec", "init"] {
                    if let Some(e) = h.get(kind) {
                        let base = format!("{at}.{hooks_key}.resources[{i}].{phase}[{j}].{kind}");
                        durations(e, &base, keys, out);
                    }
                }
            }
        }
    }
}

/// The rules of the backup controller for a Backup spec (or a Schedule's template).
pub fn backup_spec(
    spec_value: &Value,
    at: &str,
    version: VeleroVersion,
    index: &Index,
) -> Vec<Finding> {
    let mut out = Vec::new();
    durations(
        spec_value,
        at,
        &["ttl", "csiSnapshotTimeout", "itemOperationTimeout"],
        &mut out,
    );
    hook_durations(spec_value, at, "hooks", &["timeout"], &mut out);
    let Ok(spec) = serde_json::from_value::<BackupSpec>(spec_value.clone()) else {
        return out;
    };
    if let Some(rp) = &spec.resource_policy
        && !rp.kind.eq_ignore_ascii_case("configmap")
    {
        out.push(warn(&join(at, "resourcePolicy.kind"), format!("kind {:?}: Velero only reads resource policies from a configmap and ignores this one", rp.kind)));
    }
    if let Err(errs) = backup::prepare(spec, index, version, None) {
        out.extend(errs.0.into_iter().map(|e| {
            err(
                at,
                format!("Velero would fail validation: {}", e.replace('\n', " ")),
            )
        }));
    }
    out
}

pub fn restore_spec(spec_value: &Value, at: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    durations(spec_value, at, &["itemOperationTimeout"], &mut out);
    hook_durations(
        spec_value,
        at,
        "hooks",
        &["execTimeout", "waitTimeout", "timeout"],
        &mut out,
    );
    let Ok(spec) = serde_json::from_value::<RestoreSpec>(spec_value.clone()) else {
        return out;
    };
    if spec.backup_name.is_empty() == spec.schedule_name.is_empty() {
        out.push(err(at, "Velero would fail validation: Either a backup or schedule must be specified as a source for the restore, but not both"));
    }
    if let Some(kind) = spec_value
        .pointer("/resourceModifier/kind")
        .and_then(Value::as_str)
        && !kind.eq_ignore_ascii_case("configmap")
    {
        out.push(err(&join(at, "resourceModifier.kind"), format!("Velero would fail validation: resource modifier kind {kind:?} is not supported, only configmap")));
    }
    if let Err(errs) = veloscope_restore::prepare(spec) {
        out.extend(
            errs.0
                .into_iter()
                .map(|e| err(at, format!("Velero would fail validation: {e}"))),
        );
    }
    out
}

pub fn schedule(spec: &Value, version: VeleroVersion, index: &Index) -> Vec<Finding> {
    let mut out = Vec::new();
    let cron = spec.get("schedule").and_then(Value::as_str).unwrap_or("");
    if let Err(e) = crate::cron::check(cron) {
        out.push(err(
            "spec.schedule",
            format!("Velero would fail validation: {e}"),
        ));
    }
    if let Some(t) = spec.get("template") {
        out.extend(backup_spec(t, "spec.template", version, index));
    }
    out
}

/// An empty index: the rules without an archive (no exclude-labelled namespaces known).
pub fn no_archive() -> Index {
    IndexBuilder::new().finish(Default::default()).into_index()
}

/// What a Backup spec would select from the archive: warnings for the typos validation alone
/// cannot see.
pub fn against(
    spec_value: &Value,
    at: &str,
    version: VeleroVersion,
    index: &Index,
    source: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let Ok(spec) = serde_json::from_value::<BackupSpec>(spec_value.clone()) else {
        return out;
    };
    let resolver = Resolver::for_index(index);
    for ns in &spec.included_namespaces {
        if ns != "*"
            && !GlobPattern::has_wildcard(ns)
            && !index.namespaces.iter().any(|n| &n.namespace == ns)
        {
            out.push(warn(
                &join(at, "includedNamespaces"),
                format!("namespace {ns:?} is not in {source}"),
            ));
        }
    }
    let lists = [
        ("includedResources", &spec.included_resources),
        (
            "includedClusterScopedResources",
            &spec.included_cluster_scoped_resources,
        ),
        (
            "includedNamespaceScopedResources",
            &spec.included_namespace_scoped_resources,
        ),
    ];
    for (field, names) in lists {
        for name in names.iter().filter(|n| *n != "*") {
            match resolver.resolve(name) {
                Resolution::Resource(gr) if !resolver.in_archive(&gr) => {
                    out.push(warn(
                        &join(at, field),
                        format!("{name:?} ({gr}) has no items in {source}"),
                    ));
                }
                Resolution::Pattern(p)
                    if !GlobPattern::has_wildcard(&p) && !resolver.in_archive(&p) =>
                {
                    out.push(warn(&join(at, field), format!("{name:?} is not a resource Velero can resolve, nor one in {source}: it selects nothing")));
                }
                _ => {}
            }
        }
    }
    let Ok(prepared) = backup::prepare(spec, index, version, None) else {
        return out;
    };
    if let Ok(p) = preview(index, &resolver, &prepared, version, None)
        && !p.decisions.iter().any(|d| d.is_included())
        && !index.items.is_empty()
    {
        out.push(warn(at, format!("selects nothing from {source}")));
    }
    out
}
