//! The label selector string syntax and the structured form over arbitrary input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use veloscope_model::{LabelSelector, Selector};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(sel) = Selector::parse(s) {
            let _ = sel.matches(|k| if k.len() % 2 == 0 { Some("v") } else { None });
            let _ = sel.to_label_selector();
            let printed = sel.to_string();
            let _ = Selector::parse(&printed);
        }
        let _ = Selector::parse_or(s);
    }
    if let Ok(ls) = serde_json::from_slice::<LabelSelector>(data) {
        let _ = ls.to_selector();
    }
});
