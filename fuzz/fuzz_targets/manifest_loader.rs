//! The manifest loader on any text: never a panic, a hang or an alias bomb's memory; every
//! document it loads is written back as YAML that loads to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veloscope_model::{manifest, yaml};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(docs) = manifest::documents(text) else {
        return;
    };
    for d in docs {
        let written = yaml::to_string(&d.value);
        let back = manifest::first_document(&written).expect("our YAML loads");
        assert_eq!(back, d.value, "round trip of {written}");
    }
});
