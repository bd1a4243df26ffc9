//! The table output of every command on the bundled fixtures, under snapshot tests: a change to
//! what a user reads in a terminal shows up as a reviewed snapshot diff. What the tables say is
//! checked against the fixtures' own oracles by the other modules; these pin the layout.

use crate::common::*;

/// Runs in the project root with relative paths, so the snapshots hold no machine's paths.
fn table(args: &[&str]) -> String {
    let out = veloscope(args);
    let code = out.status.code().unwrap_or(-1);
    format!(
        "exit {code}\n--- stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const BACKUPS: [&str; 3] = ["edge-cases", "k3s-124", "sonobuoy-k8s114"];

fn each_backup(command: &[&str], extra: &[&str]) {
    for b in BACKUPS {
        let src = format!("fixtures/bsl/backups/{b}");
        let mut args: Vec<&str> = command.to_vec();
        args.push(&src);
        args.extend_from_slice(extra);
        args.push("--no-index");
        insta::assert_snapshot!(format!("{}-{b}", command.join("-")), table(&args));
    }
}

#[test]
fn inspect() {
    each_backup(&["inspect"], &[]);
}

#[test]
fn ls() {
    each_backup(&["ls"], &["--show-labels"]);
}

#[test]
fn preview() {
    each_backup(&["preview"], &[]);
    insta::assert_snapshot!(table(&[
        "preview",
        "fixtures/bsl/backups/edge-cases",
        "--include-namespaces",
        "edge",
        "--explain",
        "--no-index"
    ]));
}

#[test]
fn plan() {
    each_backup(&["plan"], &[]);
    insta::assert_snapshot!(table(&[
        "plan",
        "fixtures/bsl/backups/edge-cases",
        "--include-namespaces",
        "edge",
        "--namespace-mappings",
        "edge:edge-restored",
        "--no-index"
    ]));
    insta::assert_snapshot!(
        "plan-show-skipped",
        table(&[
            "plan",
            "fixtures/bsl/backups/edge-cases",
            "--show-skipped",
            "--no-index"
        ])
    );
}

#[test]
fn verify() {
    each_backup(&["verify"], &[]);
}

#[test]
fn show() {
    insta::assert_snapshot!(table(&[
        "show",
        "fixtures/bsl/backups/edge-cases",
        "hpa",
        "web",
        "-n",
        "edge",
        "--api-version",
        "v1",
        "-o",
        "yaml",
        "--no-index"
    ]));
}

#[test]
fn diff() {
    insta::assert_snapshot!(table(&[
        "diff",
        "fixtures/bsl/backups/k3s-124",
        "fixtures/bsl/backups/sonobuoy-k8s114",
        "--stat",
        "--no-index"
    ]));
}

#[test]
fn location_commands() {
    insta::assert_snapshot!(table(&["backups", "fixtures/bsl"]));
    insta::assert_snapshot!(table(&["find", "fixtures/bsl", "--kind", "Namespace"]));
    insta::assert_snapshot!(table(&["restores", "fixtures/bsl"]));
}

#[test]
fn validate() {
    insta::assert_snapshot!(table(&[
        "validate",
        "fixtures/bsl/backups/k3s-124/velero-backup.json"
    ]));
}

/// kubectl's printers that make tables: `-o wide` and `-o custom-columns`.
#[test]
fn wide_and_custom_columns() {
    insta::assert_snapshot!(
        "ls-wide",
        table(&[
            "ls",
            "fixtures/bsl/backups/edge-cases",
            "-o",
            "wide",
            "--no-index"
        ])
    );
    insta::assert_snapshot!(
        "backups-wide",
        table(&["backups", "fixtures/bsl", "-o", "wide"])
    );
    insta::assert_snapshot!(
        "ls-custom-columns",
        table(&[
            "ls",
            "fixtures/bsl/backups/edge-cases",
            "-n",
            "edge",
            "--include-resources",
            "pods",
            "-o",
            "custom-columns=NAME:.metadata.name,PHASE:.status.phase,NODE:.spec.nodeName,IMAGES:.spec.containers[*].image",
            "--no-index",
        ])
    );
}
