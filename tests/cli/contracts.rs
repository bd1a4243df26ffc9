//! The JSON contracts: every command's `-o json` on the bundled fixtures, pinned as snapshots.
//! `docs/architecture.md` ("JSON contracts") says what each document holds; fields may be added,
//! never renamed or removed, so a snapshot diff that drops or renames a field is a broken contract.
//! What the values mean is checked against the fixtures' oracles by the other modules.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

/// Runs in `dir` with relative paths (so no machine's path is pinned) and parses stdout: one
/// document, or one document per line (`logs`). The exit code is part of the contract.
fn document_in(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["-o", "json"]);
    let out = veloscope_in(dir, &all);
    let text = String::from_utf8_lossy(&out.stdout);
    let body = match serde_json::from_str::<Value>(&text) {
        Ok(v) => v,
        Err(_) => Value::Array(
            text.lines()
                .map(|l| serde_json::from_str(l).expect("a JSON document per line"))
                .collect(),
        ),
    };
    serde_json::json!({ "exit": out.status.code(), "stdout": body })
}

fn document(args: &[&str]) -> Value {
    document_in(&root(), args)
}

const EDGE: &str = "fixtures/bsl/backups/edge-cases";
const K3S: &str = "fixtures/bsl/backups/k3s-124";

#[test]
fn inspect() {
    insta::assert_json_snapshot!(document(&["inspect", EDGE, "--no-index"]));
    insta::assert_json_snapshot!(
        "inspect-details",
        document(&["inspect", K3S, "--details", "--no-index"])
    );
}

#[test]
fn ls_and_show() {
    insta::assert_json_snapshot!("ls", document(&["ls", EDGE, "--no-index"]));
    insta::assert_json_snapshot!(
        "show",
        document(&["show", EDGE, "hpa", "web", "-n", "edge", "--no-index"])
    );
}

#[test]
fn preview() {
    insta::assert_json_snapshot!(document(&["preview", EDGE, "--no-index"]));
    insta::assert_json_snapshot!(
        "preview-filters",
        document(&[
            "preview",
            K3S,
            "--include-namespaces",
            "default",
            "--include-resources",
            "deployments,persistentvolumeclaims",
            "--no-index"
        ])
    );
}

#[test]
fn plan() {
    insta::assert_json_snapshot!(document(&[
        "plan",
        EDGE,
        "--namespace-mappings",
        "edge:edge-restored",
        "--no-index"
    ]));
}

#[test]
fn diff() {
    insta::assert_json_snapshot!(document(&[
        "diff",
        K3S,
        "fixtures/bsl/backups/sonobuoy-k8s114",
        "--include-namespaces",
        "default",
        "--no-index"
    ]));
}

#[test]
fn verify() {
    insta::assert_json_snapshot!(document(&["verify", EDGE]));
}

#[test]
fn validate() {
    insta::assert_json_snapshot!(document(&[
        "validate",
        &format!("{K3S}/velero-backup.json")
    ]));
}

#[test]
fn location_commands() {
    insta::assert_json_snapshot!("backups", document(&["backups", "fixtures/bsl"]));
    insta::assert_json_snapshot!(
        "find",
        document(&["find", "fixtures/bsl", "--kind", "Deployment"])
    );
}

/// The commands that write: each on a copy in a temporary folder, named relatively.
#[test]
fn writing_commands() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let bsl = dir.join("bsl/backups/edge-cases");
    std::fs::create_dir_all(&bsl).expect("mkdir");
    for e in std::fs::read_dir(backup("edge-cases")).expect("fixture") {
        let p = e.expect("entry").path();
        if !p.to_string_lossy().ends_with(".vsidx") {
            std::fs::copy(&p, bsl.join(p.file_name().expect("name"))).expect("copy");
        }
    }
    let log = std::fs::read(fixture("logs/velero-backup.log")).expect("log");
    let gz = fixture_gen::gzip(&log).expect("gzip");
    std::fs::write(bsl.join("edge-cases-logs.gz"), gz).expect("write log");
    let restore = dir.join("bsl/restores/r1");
    std::fs::create_dir_all(&restore).expect("mkdir");
    let results = br#"{"errors":{"velero":["boom"]},"warnings":{"namespaces":{"a":["w1","w2"]}}}"#;
    std::fs::write(
        restore.join("restore-r1-results.gz"),
        fixture_gen::gzip(results).expect("gzip"),
    )
    .expect("write results");

    insta::assert_json_snapshot!("restores", document_in(dir, &["restores", "bsl"]));

    insta::assert_json_snapshot!(
        "index",
        document_in(dir, &["index", "bsl/backups/edge-cases"])
    );
    insta::assert_json_snapshot!(
        "extract",
        document_in(dir, &["extract", "bsl/backups/edge-cases", "out"])
    );
    insta::assert_json_snapshot!(
        "catalog",
        document_in(dir, &["catalog", "bsl", "--out", "catalog"])
    );
    insta::assert_json_snapshot!(
        "logs",
        document_in(
            dir,
            &["logs", "bsl/backups/edge-cases", "--level", "warning"]
        )
    );
}
