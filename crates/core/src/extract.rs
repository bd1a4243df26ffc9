//! `extract`: the objects of a backup as files a person reads and `kubectl apply -f DIR -R` takes,
//! one YAML per object in `DIR/<namespace>/<resource>/<name>.yaml` (cluster scope under
//! `_cluster/`): `velero backup download` as a folder. Nothing is written outside DIR: it must be
//! new or empty, and every file name is checked to stay inside it.

use crate::filters::BackupFilters;
use crate::{Backup, Error, InFile, Result, Session};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::{Component, Path, PathBuf};
use veloscope_select::VeleroVersion;

/// The fields `--clean` drops: what the cluster sets, which `kubectl apply` would refuse or
/// carry over stale.
const CLEANED_METADATA: &[&str] = &[
    "managedFields",
    "uid",
    "resourceVersion",
    "creationTimestamp",
];

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractReport {
    pub dir: String,
    pub objects: usize,
    /// Objects written per resource.
    pub resources: BTreeMap<String, usize>,
}

/// A path component for a name from the archive: kept as is when it is a plain file name,
/// escaped (`%2F`, `%00`…) where it would not be.
fn component(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '/' | '\\' | '%' => out.push_str(&format!("%{:02X}", c as u32)),
            c if c.is_control() => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    if out.is_empty() || out == "." || out == ".." {
        out = format!("%2E{out}");
    }
    out
}

/// Checks that `dir` can be extracted into: absent, or an empty folder.
fn prepare(dir: &Path) -> Result<()> {
    match std::fs::symlink_metadata(dir) {
        Err(_) => std::fs::create_dir_all(dir).in_file(dir.display()),
        Ok(m) if m.is_dir() => {
            let mut entries = std::fs::read_dir(dir).in_file(dir.display())?;
            if entries.next().is_some() {
                return Err(Error::usage(format!(
                    "{}: not empty; extract into a new or empty folder",
                    dir.display()
                )));
            }
            Ok(())
        }
        Ok(_) => Err(Error::usage(format!(
            "{}: not a folder; extract into a new or empty folder",
            dir.display()
        ))),
    }
}

impl Backup {
    /// Writes the objects these filters select (every object without filters) under `dir`.
    pub fn extract(
        &self,
        filters: &BackupFilters,
        version: VeleroVersion,
        dir: &Path,
        clean: bool,
        s: &Session<'_>,
    ) -> Result<ExtractReport> {
        let rows = self.items(filters, version, s)?;
        prepare(dir)?;
        let file = self.source.tarball().display().to_string();
        let mut report = ExtractReport {
            dir: dir.display().to_string(),
            objects: 0,
            resources: BTreeMap::new(),
        };
        // Later copies of a path replace earlier ones, as Velero's extractor leaves them.
        let mut written: HashSet<PathBuf> = HashSet::new();
        // One object at a time: a backup of millions of objects is written, never held.
        self.each_body_of(&rows, s, &mut |c| {
            let mut value: Value = crate::error::parse_body(&file, &c.entry, &c.body)?;
            if clean {
                if let Some(o) = value.as_object_mut() {
                    o.remove("status");
                }
                if let Some(m) = value.get_mut("metadata").and_then(Value::as_object_mut) {
                    for k in CLEANED_METADATA {
                        m.remove(*k);
                    }
                }
            }
            let scope = c
                .namespace
                .as_deref()
                .map_or("_cluster".to_string(), component);
            let relative: PathBuf = [
                scope,
                crate::output::bounded_file_name(&component(&c.gr)),
                crate::output::bounded_file_name(&format!("{}.yaml", component(&c.name))),
            ]
            .iter()
            .collect();
            // Belt and braces: every component is a plain name, so the file is under dir.
            if !relative
                .components()
                .all(|p| matches!(p, Component::Normal(_)))
            {
                return Err(Error::entry(&file, &c.entry, "a name that is no file name"));
            }
            let target = dir.join(&relative);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).in_file(parent.display())?;
            }
            let text = veloscope_model::yaml::to_string(&value);
            crate::output::write_atomically(&target, text.as_bytes())?;
            if written.insert(target) {
                report.objects += 1;
                *report.resources.entry(c.gr.clone()).or_default() += 1;
            }
            Ok(())
        })?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_plain_file_names() {
        assert_eq!(component("system:controller:x"), "system:controller:x");
        assert_eq!(component("a/b"), "a%2Fb");
        assert_eq!(component(".."), "%2E..");
        assert_eq!(component("."), "%2E.");
        assert_eq!(component("50%"), "50%25");
        assert_eq!(component("a\nb"), "a%0Ab");
    }
}
