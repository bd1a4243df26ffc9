//! `validate`: schema checks, field validation modes, Velero's admission rules, cron and durations,
//! multi-document files, Lists, stdin, `--against`, JUnit and exit codes.

use crate::common::*;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

fn validate(text: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("m.yaml");
    std::fs::write(&f, text).unwrap();
    let mut args = vec!["validate", path_str(&f), "-o", "json"];
    args.extend_from_slice(extra);
    let out = veloscope(&args);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)));
    (out.status.code(), v)
}

/// `severity path: message` of every finding of the first document.
fn findings(v: &Value) -> Vec<String> {
    v[0]["documents"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}: {}",
                f["severity"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect()
}

fn backup(spec: &str) -> String {
    format!(
        "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {{name: b, namespace: velero}}\nspec:\n{spec}"
    )
}

#[test]
fn a_clean_backup_passes() {
    let (code, v) = validate(
        &backup("  includedNamespaces: [shop]\n  ttl: 72h0m0s\n  snapshotVolumes: false\n"),
        &[],
    );
    assert_eq!(code, Some(0));
    assert_eq!(findings(&v), Vec::<String>::new());
}

#[test]
fn required_fields_of_the_backup_schema() {
    let spec = "  hooks:\n    resources:\n    - pre:\n      - exec: {onError: Fail}\n  labelSelector:\n    matchExpressions:\n    - values: [a]\n  resourcePolicy: {}\n";
    let (code, v) = validate(&backup(spec), &[]);
    assert_eq!(code, Some(1));
    let f = findings(&v);
    for required in [
        "spec.hooks.resources[0].name",
        "spec.hooks.resources[0].pre[0].exec.command",
        "spec.labelSelector.matchExpressions[0].key",
        "spec.labelSelector.matchExpressions[0].operator",
        "spec.resourcePolicy.kind",
        "spec.resourcePolicy.name",
    ] {
        assert!(
            f.contains(&format!("error {required}: Required value")),
            "{required}: {f:?}"
        );
    }
}

#[test]
fn enums_types_and_formats() {
    let spec = "  ttl: 5\n  snapshotVolumes: \"yes\"\n  hooks:\n    resources:\n    - name: h\n      pre:\n      - exec: {command: [x], onError: Sometimes}\n";
    let (_, v) = validate(&backup(spec), &[]);
    let f = findings(&v);
    assert!(f.contains(&r#"error spec.hooks.resources[0].pre[0].exec.onError: Unsupported value: "Sometimes": supported values: "Continue", "Fail""#.to_string()), "{f:?}");
    assert!(f.contains(&r#"error spec.ttl: Invalid value: "integer": spec.ttl in body must be of type string: "integer""#.to_string()), "{f:?}");
    assert!(f.contains(&r#"error spec.snapshotVolumes: Invalid value: "string": spec.snapshotVolumes in body must be of type boolean: "string""#.to_string()), "{f:?}");
}

#[test]
fn unknown_and_duplicate_fields_under_each_mode() {
    let text = backup("  bogus: 1\n  ttl: 1h\n  ttl: 2h\n");
    for (mode, code, severity) in [
        ("Strict", Some(1), Some("error")),
        ("Warn", Some(0), Some("warning")),
        ("Ignore", Some(0), None),
    ] {
        let (c, v) = validate(&text, &["--field-validation", mode]);
        assert_eq!(c, code, "{mode}");
        let f = findings(&v);
        match severity {
            Some(s) => {
                assert!(
                    f.contains(&format!(r#"{s} spec.bogus: unknown field "spec.bogus""#)),
                    "{mode}: {f:?}"
                );
                assert!(
                    f.contains(&format!(r#"{s} spec.ttl: duplicate field "spec.ttl""#)),
                    "{mode}: {f:?}"
                );
            }
            None => assert!(f.is_empty(), "{mode}: {f:?}"),
        }
    }
}

#[test]
fn velero_admission_messages() {
    let cases = [
        (
            "  includedResources: [pods]\n  includedNamespaceScopedResources: [pods]\n",
            "They cannot be used together",
        ),
        (
            "  includedResources: ['*', pods]\n",
            "Invalid included/excluded resource lists: includes list must either contain '*' only, or a non-empty list of items",
        ),
        (
            "  excludedResources: ['*']\n",
            "Invalid included/excluded resource lists: excludes list cannot contain '*'",
        ),
        (
            "  includedClusterScopedResources: [pv]\n  excludedClusterScopedResources: ['*']\n",
            "when exclude is '*', include cannot have value",
        ),
        (
            "  includedNamespaces: [a, b]\n  excludedNamespaces: [b]\n",
            "excludes list cannot contain an item in the includes list: b",
        ),
        (
            "  includedNamespaces: ['kube-**']\n",
            "wildcard pattern contains consecutive asterisks",
        ),
        (
            "  includedNamespaces: [Bad_Name]\n",
            "invalid namespace \"Bad_Name\"",
        ),
        (
            "  labelSelector: {matchLabels: {a: b}}\n  orLabelSelectors: [{matchLabels: {c: d}}]\n",
            "encountered labelSelector as well as orLabelSelectors in backup spec, only one can be specified",
        ),
        (
            "  labelSelector: {matchExpressions: [{key: a, operator: Gt, values: ['1']}]}\n",
            "\"Gt\" is not a valid label selector operator",
        ),
        ("  ttl: 30d\n", "spec.ttl: Invalid value: \"30d\""),
        (
            "  csiSnapshotTimeout: soon\n",
            "spec.csiSnapshotTimeout: Invalid value: \"soon\"",
        ),
    ];
    for (spec, msg) in cases {
        let (code, v) = validate(&backup(spec), &[]);
        assert_eq!(code, Some(1), "{spec}");
        assert!(
            findings(&v).iter().any(|f| f.contains(msg)),
            "{spec}: {:?} lacks {msg}",
            findings(&v)
        );
    }
    let (_, v) = validate(
        &backup("  defaultVolumesToRestic: true\n  resourcePolicy: {kind: Secret, name: p}\n"),
        &[],
    );
    let f = findings(&v);
    assert!(
        f.iter()
            .any(|x| x.starts_with("warning spec.defaultVolumesToRestic: Deprecated")),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|x| x.starts_with("warning spec.resourcePolicy.kind")),
        "{f:?}"
    );
}

#[test]
fn restores_and_schedules() {
    let restore = "apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: r}\nspec:\n  backupName: b\n  scheduleName: s\n  includedResources: [nodes]\n  existingResourcePolicy: replace\n  itemOperationTimeout: 4x\n";
    let (code, v) = validate(restore, &[]);
    assert_eq!(code, Some(1));
    let f = findings(&v).join("\n");
    for msg in [
        "Either a backup or schedule must be specified as a source for the restore, but not both",
        "nodes are non-restorable resources",
        "Invalid ExistingResourcePolicy: replace",
        "spec.itemOperationTimeout: Invalid value: \"4x\"",
    ] {
        assert!(f.contains(msg), "{msg}: {f}");
    }
    let schedule = |cron: &str| {
        format!(
            "apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {{name: s}}\nspec:\n  schedule: \"{cron}\"\n  template:\n    ttl: 24h\n"
        )
    };
    for ok in ["0 1 * * *", "@every 6h", "@daily", "*/10 * * * mon-fri"] {
        assert_eq!(validate(&schedule(ok), &[]).0, Some(0), "{ok}");
    }
    for (bad, msg) in [
        ("0 1 * *", "expected exactly 5 fields"),
        ("0 24 * * *", "end of range (24) above maximum (23)"),
        ("@fortnightly", "unrecognized descriptor"),
        ("", "Schedule must be a non-empty valid Cron expression"),
    ] {
        let (code, v) = validate(&schedule(bad), &[]);
        assert_eq!(code, Some(1), "{bad}");
        assert!(
            findings(&v).iter().any(|f| f.contains(msg)),
            "{bad}: {:?}",
            findings(&v)
        );
    }
    let template = "apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: s}\nspec:\n  schedule: '@daily'\n  template:\n    excludedResources: ['*']\n";
    let (_, v) = validate(template, &[]);
    assert!(
        findings(&v)
            .iter()
            .any(|f| f.starts_with("error spec.template: ")
                && f.contains("excludes list cannot contain '*'"))
    );
}

#[test]
fn multi_document_files_lists_and_stdin() {
    let text = format!(
        "{}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\n---\n{}",
        backup("  ttl: 1h\n"),
        backup("  ttl: bad\n")
    );
    let (code, v) = validate(&text, &[]);
    assert_eq!(code, Some(1));
    let docs = v[0]["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2, "the ConfigMap is not a Velero object");
    assert_eq!(docs[0]["document"], "1");
    assert_eq!(docs[1]["document"], "3");
    let list = r#"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": "a"}, "spec": {}}, {"apiVersion": "velero.io/v1", "kind": "Restore", "metadata": {"name": "r"}, "spec": {}}]}"#;
    let (_, v) = validate(list, &[]);
    let docs = v[0]["documents"].as_array().unwrap();
    assert_eq!(
        docs.iter()
            .map(|d| d["document"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["1.1", "1.2"]
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_veloscope"))
        .args(["validate", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(backup("  ttl: 1h\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("<stdin>: document 1 (line 1, Backup b): OK")
    );
}

#[test]
fn unreadable_or_unparseable_files_exit_two() {
    assert_eq!(
        veloscope(&["validate", "/nonexistent.yaml"]).status.code(),
        Some(2)
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.yaml");
    std::fs::write(&f, "a: [1,\n").unwrap();
    let out = veloscope(&["validate", path_str(&f)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.yaml"));
}

#[test]
fn against_an_archive() {
    let spec = backup(
        "  includedNamespaces: [kube-system, kube-sytem]\n  includedResources: [deploy, widgets, cronjobs]\n",
    );
    let (code, v) = validate(&spec, &["--against", path_str(&backup_dir("k3s-124"))]);
    assert_eq!(code, Some(0), "warnings only");
    let f = findings(&v);
    assert!(
        f.iter()
            .any(|x| x.contains("namespace \"kube-sytem\" is not in")),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|x| x.contains("\"widgets\" is not a resource Velero can resolve")),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|x| x.contains("\"cronjobs\" (cronjobs.batch) has no items")),
        "{f:?}"
    );
    let nothing = backup("  includedNamespaces: [nowhere]\n");
    let (_, v) = validate(&nothing, &["--against", path_str(&fixture("bsl"))]);
    assert!(
        findings(&v)
            .iter()
            .any(|x| x.contains("selects nothing from")),
        "{:?}",
        findings(&v)
    );
}

fn backup_dir(name: &str) -> std::path::PathBuf {
    crate::common::backup(name)
}

#[test]
fn junit_per_file_and_document() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("m.yaml");
    std::fs::write(
        &f,
        format!("{}---\n{}", backup("  ttl: 1h\n"), backup("  ttl: bad\n")),
    )
    .unwrap();
    let x = dir.path().join("out.xml");
    let out = veloscope(&["validate", path_str(&f), "--junit", path_str(&x)]);
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(&x).unwrap();
    assert_eq!(xml.matches("<testcase").count(), 2);
    assert_eq!(xml.matches("<failure").count(), 1);
}
