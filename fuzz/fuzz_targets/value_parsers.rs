//! The parsers of values a backup or spec carries: quantities (`5Gi`), Go durations (`72h0m0s`),
//! RFC 3339 timestamps, item bodies' nesting: over arbitrary text, no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = veloscope_model::quantity::Quantity::parse(text);
        let _ = veloscope_model::duration::parse_duration(text);
        let _ = veloscope_model::timestamp::seconds(text);
    }
    let _ = veloscope_model::json::depth(data);
    let _ = veloscope_model::json::from_slice::<serde_json::Value>(data);
});
