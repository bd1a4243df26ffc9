//! Findings about the backup as Velero recorded it: format version, velero-backup.json, phase,
//! progress, the resource list, the side files, recorded errors, and the stored spec's audit.

use crate::finding::{Finding, finding};
use std::collections::BTreeSet;
use veloscope_archive::{BackupFolder, StoredBackup};
use veloscope_index::Index;
use veloscope_model::sidefiles::{BackupResults, ResourceList, SideFile};
use veloscope_select::{Decision, Resolver, VeleroVersion, preview};

pub fn format_version(file: &str, version: Option<&str>) -> Vec<Finding> {
    match version {
        None => vec![finding(
            "format-version-missing",
            file,
            "metadata/version is missing",
        )],
        Some(v) if v == "1" || v.starts_with("1.") => vec![],
        Some(v) => vec![finding(
            "format-version-unsupported",
            format!("{file}: metadata/version"),
            format!("format version {v:?}: Velero reads format 1 and 1.x.y"),
        )],
    }
}

/// Reads `velero-backup.json`; a missing or unreadable one is a finding.
pub fn stored_backup(folder: &BackupFolder, out: &mut Vec<Finding>) -> Option<StoredBackup> {
    let path = folder.dir.join("velero-backup.json").display().to_string();
    match folder.backup() {
        Ok(Some(b)) => Some(b),
        Ok(None) => {
            out.push(finding(
                "backup-json-invalid",
                path,
                "velero-backup.json is missing: Velero does not see a backup without it",
            ));
            None
        }
        Err(e) => {
            out.push(finding("backup-json-invalid", path, e.to_string()));
            None
        }
    }
}

pub fn status(folder: &BackupFolder, stored: &StoredBackup, index: &Index) -> Vec<Finding> {
    let file = folder.dir.join("velero-backup.json").display().to_string();
    let st = &stored.backup.status;
    let mut out = Vec::new();
    if let (Some(fv), Some(mv)) = (&st.format_version, &index.stats.format_version)
        && fv != mv
    {
        out.push(finding(
            "format-version-mismatch",
            &file,
            format!("status.formatVersion {fv:?}, metadata/version {mv:?}"),
        ));
    }
    match st.phase.as_deref() {
        Some("Completed") => {}
        Some("PartiallyFailed") => out.push(finding(
            "phase-partially-failed",
            &file,
            format!(
                "phase PartiallyFailed with {} errors and {} warnings",
                st.errors, st.warnings
            ),
        )),
        other => out.push(finding(
            "phase-not-completed",
            &file,
            format!(
                "phase {}: the backup did not complete",
                other.unwrap_or("<none>")
            ),
        )),
    }
    if let Some(p) = st.progress {
        let items = index.items.len() as i64;
        if p.items_backed_up != items || p.total_items != items {
            out.push(finding(
                "progress-mismatch",
                &file,
                format!(
                    "status.progress says {} of {} items, the archive holds {items}",
                    p.items_backed_up, p.total_items
                ),
            ));
        }
    }
    out
}

/// The side files decode, the resource list agrees with the archive both ways, and errors the
/// backup recorded become warnings.
pub fn side_files(folder: &BackupFolder, index: &Index) -> Vec<Finding> {
    let mut out = Vec::new();
    for kind in SideFile::ALL {
        if let Err(e) = folder.side_file::<serde_json::Value>(kind) {
            out.push(finding(
                "side-file-invalid",
                folder.side_file_path(kind).display().to_string(),
                e.to_string(),
            ));
        }
    }
    let list_path = folder
        .side_file_path(SideFile::ResourceList)
        .display()
        .to_string();
    if let Ok(Some(list)) = folder.side_file::<ResourceList>(SideFile::ResourceList) {
        let listed: BTreeSet<(String, String)> = list
            .iter()
            .flat_map(|(gvk, names)| names.iter().map(move |n| (gvk.clone(), n.clone())))
            .collect();
        let archived: BTreeSet<(String, String)> = index
            .items
            .iter()
            .filter_map(|i| {
                let gvk = format!("{}/{}", index.str(i.api_version?), index.str(i.kind?));
                let name = match index.namespace(i) {
                    Some(ns) => format!("{ns}/{}", i.name),
                    None => i.name.to_string(),
                };
                Some((gvk, name))
            })
            .collect();
        for (gvk, name) in listed.difference(&archived) {
            out.push(finding(
                "resource-list-missing-item",
                &list_path,
                format!("{gvk} {name} is listed but not in the archive"),
            ));
        }
        for (gvk, name) in archived.difference(&listed) {
            out.push(finding(
                "resource-list-extra-item",
                &list_path,
                format!("{gvk} {name} is in the archive but not listed"),
            ));
        }
    }
    if let Ok(Some(results)) = folder.side_file::<BackupResults>(SideFile::Results) {
        let path = folder
            .side_file_path(SideFile::Results)
            .display()
            .to_string();
        let e = &results.errors;
        let scoped = e
            .namespaces
            .iter()
            .flat_map(|(ns, m)| m.iter().map(move |m| format!("namespace {ns}: {m}")));
        for m in e.velero.iter().chain(&e.cluster).cloned().chain(scoped) {
            out.push(finding("backup-error-recorded", &path, m));
        }
    }
    out
}

/// Archive items the backup's own spec would not select.
pub fn audit(
    file: &str,
    stored: &StoredBackup,
    index: &Index,
    resolver: &Resolver,
) -> Vec<Finding> {
    let Ok(p) = preview(
        index,
        resolver,
        &stored.backup.spec,
        VeleroVersion::LATEST,
        None,
    ) else {
        return vec![];
    };
    p.decisions
        .iter()
        .enumerate()
        .filter_map(|(at, d)| match d {
            Decision::Excluded(reason) => Some(finding(
                "not-selected-by-spec",
                format!("{file}: {}", veloscope_select::preview::item_ref(index, at)),
                format!("not selected by the backup's own spec ({reason})"),
            )),
            Decision::Included(_) => None,
        })
        .collect()
}
