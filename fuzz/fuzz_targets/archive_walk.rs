//! Arbitrary bytes as a backup archive: the walk must end in items or an error, never a panic, a
//! hang or unbounded memory (small budgets keep every run cheap).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::ops::ControlFlow;
use std::path::Path;
use veloscope_archive::{ScanOptions, scan_bytes};

fuzz_target!(|data: &[u8]| {
    let opts = ScanOptions {
        max_entry_bytes: 1 << 20,
        max_header_bytes: 64 << 10,
        max_entries: 10_000,
        ..ScanOptions::default()
    };
    let _ = scan_bytes(Path::new("fuzz"), data, &opts, &|_, _| {}, |_| ControlFlow::Continue(()));
});
