//! The sidecar reader over arbitrary files sealed to pass its checksums: never a panic, a hang
//! or an allocation driven by a crafted count. Seeded with a real sidecar by `.ci/run`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veloscope_index::sidecar;

fuzz_target!(|data: &[u8]| {
    let mut bytes = data.to_vec();
    let claimed = sidecar::fuzzing::seal(&mut bytes);
    let path = std::env::temp_dir().join(format!("veloscope-fuzz-{}.vsidx", std::process::id()));
    if std::fs::write(&path, &bytes).is_ok() {
        let _ = sidecar::read(&path, &claimed);
        let _ = sidecar::read_sections(&path, &claimed, |_, _, ns| ns.is_none());
    }
});
