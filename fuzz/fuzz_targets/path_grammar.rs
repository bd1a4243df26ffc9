//! The Velero path grammar over arbitrary paths.
#![no_main]
use libfuzzer_sys::fuzz_target;
use veloscope_archive::path::{EntryPath, classify, normalize};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(EntryPath::Item(item)) = classify(normalize(s))
    {
        assert!(!item.name.is_empty());
        assert!(!item.gr.is_empty());
    }
});
