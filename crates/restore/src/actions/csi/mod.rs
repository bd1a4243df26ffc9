//! Velero's CSI restore item actions (`pkg/restore/actions/csi/`): a PVC backed by a CSI
//! VolumeSnapshot is re-created from it, and the VolumeSnapshot and its content are re-created
//! under names derived from the Restore's UID. With `restorePVs: false` none of the three CSI
//! kinds is restored (the planner skips them).

mod pvc;
mod volume_snapshot;
mod volume_snapshot_content;

pub use pvc::pvc;
pub use volume_snapshot::volume_snapshot;
pub use volume_snapshot_content::volume_snapshot_content;

/// Velero names a restored VolumeSnapshot and its content by the SHA-256 of the Restore's UID
/// and the snapshot's name: the UID exists only in the cluster, so the plan shows a placeholder.
pub fn generated_name(snapshot: &str) -> String {
    format!("<sha256 of restore-uid/{snapshot}>")
}
