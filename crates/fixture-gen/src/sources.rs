//! Readers for the real cluster objects under `fixtures/sources/` (see its README for provenance).

use crate::Obj;
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// Every file of a `.tar.gz`, as (path, bytes).
pub fn read_tar_gz(path: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut out = Vec::new();
    for e in ar.entries()? {
        let mut e = e?;
        if !e.header().entry_type().is_file() {
            continue;
        }
        let p = e.path()?.to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data)?;
        out.push((p, data));
    }
    Ok(out)
}

fn gr_of(group: &str, resource: &str) -> String {
    if group.is_empty() || group == "core" {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

/// Sonobuoy results: `resources/cluster/<group>_<version>_<resource>.json` and
/// `resources/ns/<ns>/...`, each a JSON array of objects. The k8s 1.14 corpus repeats every
/// namespace's objects under each `ns/<ns>/` folder, so the namespace comes from the object and
/// repeats are dropped.
pub fn sonobuoy(path: &Path) -> Result<Vec<Obj>> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (p, data) in read_tar_gz(path)? {
        let parts: Vec<&str> = p.trim_start_matches("./").split('/').collect();
        let (scoped, file) = match parts.as_slice() {
            ["resources", "cluster", file] => (false, *file),
            ["resources", "ns", _, file] => (true, *file),
            _ => continue,
        };
        let Some(stem) = file.strip_suffix(".json") else {
            continue;
        };
        let fields: Vec<&str> = stem.split('_').collect();
        let [group, version, resource] = fields.as_slice() else {
            bail!("{p}: unexpected file name");
        };
        let list: Vec<Value> = serde_json::from_slice(&data).with_context(|| p.clone())?;
        for body in list {
            let ns = scoped.then(|| {
                body["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            });
            let mut o = Obj::new(&gr_of(group, resource), ns.as_deref(), body);
            o.version = version.to_string();
            if seen.insert((o.gr.clone(), o.namespace.clone(), o.name.clone())) {
                out.push(o);
            }
        }
    }
    Ok(out)
}

/// The plural of a built-in kind, as discovery names it.
fn plural(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Pod" => "pods",
        "PersistentVolumeClaim" => "persistentvolumeclaims",
        "PersistentVolume" => "persistentvolumes",
        "Namespace" => "namespaces",
        "Node" => "nodes",
        "Service" => "services",
        "Event" => "events",
        "ConfigMap" => "configmaps",
        "LimitRange" => "limitranges",
        "ResourceQuota" => "resourcequotas",
        "Deployment" => "deployments",
        "ReplicaSet" => "replicasets",
        "StatefulSet" => "statefulsets",
        "Job" => "jobs",
        "CronJob" => "cronjobs",
        "Role" => "roles",
        "RoleBinding" => "rolebindings",
        "ClusterRole" => "clusterroles",
        "ClusterRoleBinding" => "clusterrolebindings",
        "StorageClass" => "storageclasses",
        "Ingress" => "ingresses",
        "NetworkPolicy" => "networkpolicies",
        "PodDisruptionBudget" => "poddisruptionbudgets",
        "CustomResourceDefinition" => "customresourcedefinitions",
        _ => return None,
    })
}

/// A troubleshoot support bundle: `cluster-resources/**.json` Lists of built-in objects,
/// `custom-resource-definitions.json`, and `custom-resources/<plural.group>/<ns>.yaml`.
pub fn support_bundle(path: &Path) -> Result<Vec<Obj>> {
    let mut out = Vec::new();
    for (p, data) in read_tar_gz(path)? {
        let Some(rel) = p.split_once("/cluster-resources/").map(|x| x.1) else {
            continue;
        };
        if rel.starts_with("auth-cani-list/") || rel.contains("/logs/") {
            continue;
        }
        if let Some(cr) = rel.strip_prefix("custom-resources/") {
            let gr = cr.split('/').next().unwrap_or_default();
            let text = std::str::from_utf8(&data).with_context(|| p.clone())?;
            let list: Vec<Value> =
                veloscope_model::manifest::from_str(text).with_context(|| p.clone())?;
            for body in list {
                let ns = body["metadata"]["namespace"].as_str().map(str::to_string);
                out.push(Obj::new(gr, ns.as_deref(), body));
            }
            continue;
        }
        if !rel.ends_with(".json") {
            continue;
        }
        let doc: Value = serde_json::from_slice(&data).with_context(|| p.clone())?;
        let Some(items) = doc.get("items").and_then(|i| i.as_array()) else {
            continue;
        };
        let list_kind = doc["kind"]
            .as_str()
            .unwrap_or_default()
            .trim_end_matches("List");
        let list_api = doc["apiVersion"].as_str().unwrap_or_default();
        for item in items {
            let mut body = item.clone();
            if rel == "custom-resource-definitions.json" {
                body["apiVersion"] = "apiextensions.k8s.io/v1".into();
                body["kind"] = "CustomResourceDefinition".into();
            }
            if body.get("kind").is_none() {
                body["kind"] = list_kind.into();
            }
            if body.get("apiVersion").is_none() {
                body["apiVersion"] = list_api.into();
            }
            let kind = body["kind"].as_str().unwrap_or_default().to_string();
            let api = body["apiVersion"].as_str().unwrap_or_default().to_string();
            let group = api.rsplit_once('/').map(|x| x.0).unwrap_or("");
            let Some(res) = plural(&kind) else {
                bail!("{p}: no plural known for kind {kind}");
            };
            let ns = body["metadata"]["namespace"].as_str().map(str::to_string);
            out.push(Obj::new(&gr_of(group, res), ns.as_deref(), body));
        }
    }
    Ok(out)
}

/// The real Backup object named `name` from the `velero debug` bundle's BackupList.
pub fn debug_bundle_backup(path: &Path, name: &str) -> Result<Value> {
    for (p, data) in read_tar_gz(path)? {
        if p.contains("/backups-") && p.ends_with(".json") {
            let list: Value = serde_json::from_slice(&data)?;
            for b in list["items"].as_array().into_iter().flatten() {
                if b["metadata"]["name"] == name {
                    return Ok(b.clone());
                }
            }
        }
    }
    bail!("{}: no Backup named {name}", path.display())
}

/// The CRD JSON files of one apiextensions version directory.
pub fn crds(dir: &Path) -> Result<Vec<Value>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?.collect::<std::io::Result<Vec<_>>>()?;
    files.sort_by_key(|e| e.file_name());
    files
        .iter()
        .map(|e| {
            let data = std::fs::read(e.path())?;
            serde_json::from_slice(&data).with_context(|| e.path().display().to_string())
        })
        .collect()
}
