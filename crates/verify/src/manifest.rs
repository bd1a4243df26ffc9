//! Tamper evidence: a digest manifest beside the backup (SHA-256 of every item and of each side
//! file, plus one digest over the whole list), and the comparison a later `verify` makes.

use crate::archive::hex;
use crate::finding::{Finding, finding};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use veloscope_archive::Source;

pub const FILE_NAME: &str = "veloscope-manifest.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub version: u32,
    /// `resource/namespace/name` → SHA-256 of the item's unversioned body.
    pub items: BTreeMap<String, String>,
    /// File name in the backup folder → SHA-256 of the file.
    pub side_files: BTreeMap<String, String>,
    /// SHA-256 over the lines `item <key> <digest>` and `file <name> <digest>`, in order.
    pub digest: String,
}

fn overall(items: &BTreeMap<String, String>, files: &BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    for (k, v) in items {
        h.update(format!("item {k} {v}\n"));
    }
    for (k, v) in files {
        h.update(format!("file {k} {v}\n"));
    }
    hex(&h.finalize())
}

impl Manifest {
    pub fn new(items: BTreeMap<String, String>, side_files: BTreeMap<String, String>) -> Manifest {
        let digest = overall(&items, &side_files);
        Manifest {
            version: 1,
            items,
            side_files,
            digest,
        }
    }

    pub fn intact(&self) -> bool {
        self.digest == overall(&self.items, &self.side_files)
    }
}

/// Where the manifest lives: inside a backup folder, or beside a tarball.
pub fn default_path(source: &Source) -> PathBuf {
    match source.folder() {
        Some(f) => f.dir.join(FILE_NAME),
        None => {
            let t = source.tarball();
            let name = t
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            t.with_file_name(format!("{name}.{FILE_NAME}"))
        }
    }
}

/// SHA-256 of every file of the backup folder except the tarball (covered item by item) and the
/// manifest itself.
pub fn side_file_digests(source: &Source) -> std::io::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let Some(folder) = source.folder() else {
        return Ok(out);
    };
    for e in std::fs::read_dir(&folder.dir)? {
        let p = e?.path();
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !p.is_file() || p == folder.tarball || name == FILE_NAME {
            continue;
        }
        out.insert(name, hex(&Sha256::digest(std::fs::read(&p)?)));
    }
    Ok(out)
}

pub fn read(path: &Path) -> Result<Manifest, crate::VerifyError> {
    let bad = crate::VerifyError::Manifest;
    let text = std::fs::read(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    serde_json::from_slice(&text)
        .map_err(|e| bad(format!("{}: invalid manifest: {e}", path.display())))
}

/// What changed since `old` was written.
pub fn compare(path: &Path, old: &Manifest, now: &Manifest) -> Vec<Finding> {
    let file = path.display().to_string();
    let mut out = Vec::new();
    if !old.intact() {
        out.push(finding(
            "manifest-invalid",
            &file,
            "the manifest's own digest does not match its contents: it was edited",
        ));
    }
    for (k, v) in &now.items {
        match old.items.get(k) {
            None => out.push(finding(
                "manifest-item-added",
                &file,
                format!("{k} was added since the manifest was written"),
            )),
            Some(o) if o != v => out.push(finding(
                "manifest-item-altered",
                &file,
                format!("{k} was altered since the manifest was written"),
            )),
            Some(_) => {}
        }
    }
    for k in old.items.keys().filter(|k| !now.items.contains_key(*k)) {
        out.push(finding(
            "manifest-item-removed",
            &file,
            format!("{k} was removed since the manifest was written"),
        ));
    }
    let names: std::collections::BTreeSet<&String> =
        old.side_files.keys().chain(now.side_files.keys()).collect();
    for name in names {
        let what = match (old.side_files.get(name), now.side_files.get(name)) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(_), Some(_)) => "changed",
            (Some(_), None) => "was removed",
            (None, Some(_)) => "was added",
            (None, None) => continue,
        };
        out.push(finding(
            "manifest-side-file-altered",
            &file,
            format!("side file {name} {what} since the manifest was written"),
        ));
    }
    out
}
