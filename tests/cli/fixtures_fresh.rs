//! The committed fixtures are exactly what the generator makes from fixtures/sources/.

use crate::common::*;
use std::path::Path;

fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "vsidx") {
                // An index sidecar is a cache a command wrote (`serve` indexes on first open, as
                // the README's example does), not a fixture.
                continue;
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn regenerating_fixtures_reproduces_them_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    fixture_gen::fixtures::write_fixtures(&fixture("sources"), tmp.path()).unwrap();
    for sub in ["bsl", "tarballs"] {
        let fresh = tmp.path().join(sub);
        let committed = fixture(sub);
        assert_eq!(files(&fresh), files(&committed), "{sub}: file list");
        for f in files(&fresh) {
            let a = std::fs::read(fresh.join(&f)).unwrap();
            let b = std::fs::read(committed.join(&f)).unwrap();
            assert!(
                a == b,
                "{sub}/{f} differs: run `cargo run -p fixture-gen -- fixtures`"
            );
        }
    }
}
