//! Live-cluster dumps as a source of items: a `kubectl get -A -o json` List file, or a directory
//! of JSON/YAML manifests (multi-document YAML and Lists allowed). Each object's group-resource
//! comes from its apiVersion and kind through the catalogue (built-ins and the dump's own CRDs).

use crate::error::ArchiveError;
use crate::path::{ItemPath, VersionDir};
use crate::scan::{ItemEntry, ScanEvent, ScanStats};
use serde_json::Value;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use veloscope_model::Catalogue;

/// True when `path` looks like a dump rather than an archive: a directory without a backup
/// tarball, or a file that starts with `{`, `[`, `-` or a YAML key instead of archive magic.
pub fn is_dump(path: &Path) -> bool {
    if path.is_dir() {
        return crate::folder::BackupFolder::open(path).is_err();
    }
    // The first 512 bytes only, of a regular file only: never read a large file, a device
    // (`/dev/zero` would never end) or a pipe here.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = Vec::with_capacity(512);
    let read = std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 512), &mut head));
    if read.is_err() {
        return false;
    }
    crate::compression::Compression::sniff(&head).is_none()
        && head
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| {
                b == b'{' || b == b'[' || b == b'-' || b.is_ascii_alphabetic() || b == b'#'
            })
}

/// The manifest files of a dump: the file itself, or every `.json`/`.yaml`/`.yml` under the
/// folder. Links are followed, but a folder seen twice (a link loop) is an error, and so is a
/// manifest name on anything but a regular file (a FIFO would hang the read, a device never end).
fn files(root: &Path) -> Result<Vec<PathBuf>, ArchiveError> {
    use std::os::unix::fs::MetadataExt;
    if !root.is_dir() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let meta = std::fs::metadata(&dir).map_err(|source| ArchiveError::Io {
            path: dir.clone(),
            source,
        })?;
        if !seen.insert((meta.dev(), meta.ino())) {
            return Err(ArchiveError::NotABackup {
                path: dir,
                reason: "a folder link loop (this folder is reached twice)".into(),
            });
        }
        let rd = std::fs::read_dir(&dir).map_err(|source| ArchiveError::Io {
            path: dir.clone(),
            source,
        })?;
        for e in rd {
            let p = e
                .map_err(|source| ArchiveError::Io {
                    path: dir.clone(),
                    source,
                })?
                .path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x == "json" || x == "yaml" || x == "yml")
            {
                if !p.is_file() {
                    return Err(ArchiveError::NotABackup {
                        path: p,
                        reason: "a manifest name on something that is not a regular file".into(),
                    });
                }
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Every object of the file: a List's items, each YAML document, each element of a JSON array.
fn objects(path: &Path, limit: u64) -> Result<Vec<Value>, ArchiveError> {
    let text = crate::read_text(path, limit)?;
    let bad = |e: String| ArchiveError::SideFile {
        path: path.to_path_buf(),
        message: e,
    };
    let docs: Vec<Value> = veloscope_model::manifest::documents(&text)
        .map_err(|e| bad(format!("invalid JSON/YAML: {e}")))?
        .into_iter()
        .map(|d| d.value)
        .collect();
    let mut out = Vec::new();
    for doc in docs {
        match doc {
            Value::Array(a) => out.extend(a),
            Value::Object(ref m)
                if m.get("kind")
                    .and_then(|k| k.as_str())
                    .is_some_and(|k| k.ends_with("List"))
                    && m.contains_key("items") =>
            {
                let list_api = m.get("apiVersion").cloned();
                for mut item in m
                    .get("items")
                    .and_then(|i| i.as_array())
                    .cloned()
                    .unwrap_or_default()
                {
                    if item.get("apiVersion").is_none()
                        && let Some(api) = &list_api
                    {
                        item["apiVersion"] = api.clone();
                    }
                    out.push(item);
                }
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// The group-resource of an object: the catalogue's answer for `kind.group`, else a guessed
/// plural (lowercase kind + "s") — reported as a warning by the caller.
pub fn group_resource(catalogue: &Catalogue, api_version: &str, kind: &str) -> (String, bool) {
    let group = api_version.rsplit_once('/').map(|x| x.0).unwrap_or("");
    let lower = kind.to_ascii_lowercase();
    let query = if group.is_empty() {
        lower.clone()
    } else {
        format!("{lower}.{group}")
    };
    match catalogue.resolve(&query).filter(|r| r.group == group) {
        Some(r) => (r.gr(), true),
        None if group.is_empty() => (format!("{lower}s"), false),
        None => (format!("{lower}s.{group}"), false),
    }
}

/// Feeds every object of a dump to `visit` as an item entry, as `scan_archive` does for a tarball.
pub fn scan_dump(
    path: &Path,
    parse: bool,
    limit: u64,
    mut visit: impl FnMut(ScanEvent<'_>) -> ControlFlow<()>,
) -> Result<ScanStats, ArchiveError> {
    let mut all = Vec::new();
    for f in files(path)? {
        for o in objects(&f, limit)? {
            all.push((f.clone(), o));
        }
    }
    let mut catalogue = Catalogue::builtin();
    for (_, o) in &all {
        if o.get("kind").and_then(|k| k.as_str()) == Some("CustomResourceDefinition")
            && let Some(info) = Catalogue::crd_info(o)
        {
            catalogue.insert(info);
        }
    }
    let mut stats = ScanStats::default();
    for (file, o) in &all {
        let (Some(api), Some(kind), Some(name)) = (
            o.get("apiVersion").and_then(|v| v.as_str()),
            o.get("kind").and_then(|v| v.as_str()),
            o.pointer("/metadata/name").and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        let (gr, known) = group_resource(&catalogue, api, kind);
        let ns = o
            .pointer("/metadata/namespace")
            .and_then(|v| v.as_str())
            .filter(|n| !n.is_empty());
        let body = serde_json::to_vec(o).map_err(|e| ArchiveError::SideFile {
            path: file.clone(),
            message: e.to_string(),
        })?;
        let entry = match ns {
            Some(ns) => format!("{}#{gr}/{ns}/{name}", file.display()),
            None => format!("{}#{gr}/{name}", file.display()),
        };
        stats.entries += 1;
        stats.bytes += body.len() as u64;
        if !known {
            let _ = visit(ScanEvent::Warning(crate::scan::ScanWarning {
                kind: crate::scan::WarningKind::OutsideGrammar,
                entry: entry.clone(),
                message: format!(
                    "kind {kind} of {api} is not in the catalogue nor a CRD of the dump; guessed resource {gr}"
                ),
            }));
        }
        let path = ItemPath {
            gr: &gr,
            version: VersionDir::Unversioned,
            namespace: ns,
            name,
        };
        if visit(ScanEvent::Item(ItemEntry::new(&entry, path, &body, parse))).is_break() {
            break;
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_group_resources() {
        let c = Catalogue::builtin();
        assert_eq!(
            group_resource(&c, "apps/v1", "Deployment"),
            ("deployments.apps".into(), true)
        );
        assert_eq!(group_resource(&c, "v1", "Pod"), ("pods".into(), true));
        assert_eq!(
            group_resource(&c, "v1", "Endpoints"),
            ("endpoints".into(), true)
        );
        assert_eq!(
            group_resource(&c, "example.com/v1", "Widget"),
            ("widgets.example.com".into(), false)
        );
    }
}
