//! One read of a backup for the fleet catalog: verify's findings, the sections of `velero backup
//! describe --details` its folder holds, and every item's stored body, handed to the caller as
//! the read meets it (nothing kept).

use crate::details::{BackupDetails, Describe};
use crate::verify::{VerifyReport, VerifyRequest, verify_reading};
use crate::{Result, Session};
use std::path::Path;
use veloscope_archive::VersionDir;

/// One item as a restore reads it: its unversioned entry (Velero restores from that tree; the
/// version directories hold copies).
pub struct ItemBody<'a> {
    pub entry: &'a str,
    /// As stored: `deployments.apps`, `pods`.
    pub group_resource: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    pub body: &'a [u8],
    pub sha256: [u8; 32],
}

/// What one read of a backup found.
pub struct Audit {
    pub report: VerifyReport,
    /// None for a bare tarball.
    pub details: Option<BackupDetails>,
    /// Items stored only under version directories (no unversioned entry), which a restore
    /// does not read and `visit` was not shown.
    pub versioned_only: u64,
}

/// Reads the backup at `source` (a folder, tarball or URL) once: `visit` sees each item's
/// unversioned entry in archive order, and the answer holds verify's report (a damaged archive
/// is read as far as it goes: `report.complete` says whether it was read to its end).
pub fn audit(
    source: &Path,
    s: &Session<'_>,
    visit: &mut dyn FnMut(ItemBody<'_>) -> Result<()>,
) -> Result<Audit> {
    let request = VerifyRequest {
        source,
        policy: None,
        junit: None,
        write_manifest: false,
        manifest: None,
    };
    // The read cannot be stopped from inside: after a failed visit the rest is only skipped.
    let mut failed = None;
    let (report, loaded) = verify_reading(&request, s, true, &mut |e| {
        if failed.is_some() || e.path.version != VersionDir::Unversioned {
            return;
        }
        let body = ItemBody {
            entry: e.entry,
            group_resource: e.path.gr,
            namespace: e.path.namespace,
            name: e.path.name,
            body: e.body,
            sha256: e
                .sha256
                .unwrap_or_else(|| <sha2::Sha256 as sha2::Digest>::digest(e.body).into()),
        };
        if let Err(err) = visit(body) {
            failed = Some(err);
        }
    })?;
    if let Some(err) = failed {
        return Err(err);
    }
    let versioned_only = loaded
        .index
        .items
        .iter()
        .filter(|i| i.entry.is_none())
        .count() as u64;
    let details = loaded.details(Describe::Details)?;
    Ok(Audit {
        report,
        details,
        versioned_only,
    })
}
