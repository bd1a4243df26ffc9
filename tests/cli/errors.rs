//! Bad input: exit 2 and one line on stderr naming the file and, where there is one, the entry.

use crate::common::*;

fn fails(args: &[&str], must_contain: &[&str]) {
    let out = veloscope(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    for s in must_contain {
        assert!(err.contains(s), "{args:?}: {err:?} lacks {s:?}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
}

fn damaged(name: &str) -> String {
    path_str(&fixture(&format!("tarballs/{name}"))).to_string()
}

#[test]
fn empty_file() {
    fails(
        &["inspect", &damaged("empty.tar.gz")],
        &["empty.tar.gz", "empty file"],
    );
}

#[test]
fn not_an_archive() {
    fails(
        &["ls", &damaged("not-an-archive.tar.gz")],
        &["not-an-archive.tar.gz", "not a gzip, zstd or tar archive"],
    );
}

#[test]
fn truncated_gzip_names_the_last_entry() {
    fails(
        &["inspect", &damaged("truncated.tar.gz")],
        &["truncated.tar.gz", "after entry resources/", "truncated"],
    );
}

#[test]
fn gzip_checksum_mismatch() {
    fails(
        &["inspect", &damaged("bad-crc.tar.gz")],
        &["bad-crc.tar.gz", "checksum"],
    );
}

#[test]
fn corrupt_tar_header() {
    fails(
        &["inspect", &damaged("corrupt-header.tar")],
        &[
            "corrupt-header.tar",
            "system:controller:edge-a.json",
            "checksum mismatch",
        ],
    );
}

#[test]
fn invalid_json_item() {
    fails(
        &["ls", &damaged("invalid-json.tar.gz")],
        &[
            "invalid-json.tar.gz",
            "entry resources/configmaps/namespaces/edge/broken.json",
            "invalid JSON",
        ],
    );
}

#[test]
fn oversized_extension_header_is_refused() {
    fails(
        &["inspect", &damaged("pax-bomb.tar.gz")],
        &["pax-bomb.tar.gz", "exceeds the budget"],
    );
}

#[test]
fn entry_budget_is_configurable() {
    let dir = backup("edge-cases");
    fails(
        &["inspect", path_str(&dir), "--max-entry-bytes", "100"],
        &["edge-cases.tar", "exceeds the budget of 100 bytes"],
    );
}

#[test]
fn unknown_resource() {
    let dir = backup("edge-cases");
    fails(
        &["show", path_str(&dir), "gizmos", "x"],
        &["edge-cases.tar", "unknown resource \"gizmos\""],
    );
    fails(
        &["ls", path_str(&dir), "--include-resources", "gizmos"],
        &["edge-cases", "unknown resource \"gizmos\""],
    );
}

#[test]
fn item_that_is_not_there() {
    let dir = backup("edge-cases");
    fails(
        &["show", path_str(&dir), "pods", "nope", "-n", "edge"],
        &[
            "edge-cases.tar",
            "no pods named \"nope\" in namespace \"edge\"",
        ],
    );
    fails(
        &["show", path_str(&dir), "deployments", "web"],
        &["edge-cases.tar", "holds no deployments.apps"],
    );
}

#[test]
fn missing_file_and_folder_without_tarball() {
    fails(
        &["inspect", "/nonexistent/backup.tar.gz"],
        &["/nonexistent/backup.tar.gz"],
    );
    let bsl = fixture("bsl");
    fails(&["inspect", path_str(&bsl)], &["bsl", "storage location"]);
}

#[test]
fn malformed_selector() {
    let dir = backup("edge-cases");
    fails(
        &["ls", path_str(&dir), "-l", "app in ()"],
        &["values set can't be empty"],
    );
    fails(
        &["ls", path_str(&dir), "-l", "a/b/c=d"],
        &["invalid label selector"],
    );
}

#[test]
fn bad_flag_is_a_usage_error() {
    let out = veloscope(&["inspect", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
}
