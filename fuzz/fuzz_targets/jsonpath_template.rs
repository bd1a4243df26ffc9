//! kubectl JSONPath templates and custom-column paths over arbitrary text: parsing, rendering
//! against an object, and item-by-item rendering never panic, and the item-by-item output
//! equals the whole-List output.
#![no_main]
use libfuzzer_sys::fuzz_target;
use veloscope_jsonpath::{Path, Template};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let list = serde_json::json!({"kind": "List", "items": [
        {"metadata": {"name": "a", "labels": {"app.kubernetes.io/name": "x"}},
         "spec": {"containers": [{"name": "c", "image": "i:1"}], "replicas": 2}},
        {"metadata": {"name": "b"}, "status": {"phase": "Running", "conditions": [{"type": "Ready"}]}}
    ]});
    if let Ok(t) = Template::parse(text) {
        let whole = t.render(&list);
        if let Some(itemwise) = t.itemwise() {
            let pieces: Vec<_> = list["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| itemwise.item(i, &|s| s.to_string()))
                .collect();
            assert_eq!(itemwise.assemble(&pieces), whole);
        }
    }
    if let Ok(p) = Path::parse_relaxed(text) {
        let _ = p.eval(&list);
    }
});
