//! Metadata and kind-specific extraction over arbitrary item bodies.
#![no_main]
use libfuzzer_sys::fuzz_target;
use veloscope_archive::{Details, ItemMeta};

fuzz_target!(|data: &[u8]| {
    if let Ok(meta) = ItemMeta::parse(data) {
        for gr in ["pods", "persistentvolumeclaims", "persistentvolumes", "jobs.batch", "namespaces", "clusterrolebindings.rbac.authorization.k8s.io"] {
            let _ = Details::read(gr, &meta);
        }
    }
});
