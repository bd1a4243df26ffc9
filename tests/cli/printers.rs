//! kubectl's printers (issue 16): `-o wide`, `-o jsonpath`, `-o custom-columns`, `--color`, and
//! `diff`'s line diffs of multi-line strings. Expected outputs follow kubectl's documented
//! behaviour (the JSONPath reference page's examples), on archives built for each test.

use crate::common::*;
use serde_json::json;

fn text(args: &[&str]) -> String {
    let out = veloscope(args);
    assert!(
        out.status.success(),
        "veloscope {args:?} failed: {}",
        stderr(&out)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Two deployments (one with two containers and managedFields), a configmap.
fn shop() -> TestArchive {
    archive(&[
        obj(
            "deployments.apps",
            "shop/web",
            json!({"metadata": {"labels": {"app": "web", "tier": "front"},
                                 "managedFields": [{"manager": "kubectl"}]},
                   "spec": {"replicas": 3, "template": {"spec": {"containers": [
                       {"name": "web", "image": "nginx:1.25"},
                       {"name": "log", "image": "fluentbit:2"}]}}}}),
        ),
        obj(
            "deployments.apps",
            "shop/api",
            json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [
                       {"name": "api", "image": "api:7"}]}}}}),
        ),
        obj("configmaps", "shop/cfg", json!({"data": {"k": "v"}})),
    ])
}

#[test]
fn jsonpath_sees_the_stored_objects_as_a_list() {
    let a = shop();
    let src = path_str(&a.path);
    let ls = |template: &str| {
        text(&[
            "ls",
            src,
            "--include-resources",
            "deployments",
            "-o",
            &format!("jsonpath={template}"),
        ])
    };
    // kubectl's spellings: a list's names space-separated; range/end with quoted text.
    assert_eq!(ls("{.items[*].metadata.name}"), "api web");
    assert_eq!(
        ls(r#"{range .items[*]}{.metadata.name}={.spec.replicas}{"\n"}{end}"#),
        "api=1\nweb=3\n"
    );
    assert_eq!(ls("kind is {.kind}"), "kind is List");
    assert_eq!(
        text(&[
            "ls",
            src,
            "--name",
            "w*",
            "-o",
            "jsonpath={.items[*].metadata.name}"
        ]),
        "web",
        "--name takes a glob"
    );
    assert_eq!(
        ls(r#"{.items[?(@.metadata.name=="web")].spec.template.spec.containers[*].image}"#),
        "nginx:1.25 fluentbit:2"
    );
    assert_eq!(ls("{.items[0].metadata.labels}"), "");
    assert_eq!(
        ls("{.items[1].metadata.labels}"),
        r#"{"app":"web","tier":"front"}"#,
        "maps print as JSON"
    );
    assert_eq!(
        ls("{.items[*].metadata.nothere}"),
        "",
        "missing keys print nothing"
    );
    assert_eq!(
        ls("{.items[*].metadata.managedFields}"),
        "",
        "managedFields are left out, as kubectl leaves them"
    );
    // One object: the template sees it, not a List.
    assert_eq!(
        text(&[
            "show",
            src,
            "deploy/web",
            "-n",
            "shop",
            "-o",
            "jsonpath={.spec.template.spec.containers[1].name}"
        ]),
        "log"
    );
    // From a file, as kubectl's jsonpath-file.
    let f = a.file("t.txt", "{range .items[*]}{.kind}/{.metadata.name} {end}");
    assert_eq!(
        text(&["ls", src, "-n", "shop", "-o", &format!("jsonpath-file={f}")]),
        "ConfigMap/cfg Deployment/api Deployment/web "
    );
}

#[test]
fn custom_columns_make_a_row_per_object() {
    let a = shop();
    let src = path_str(&a.path);
    let out = text(&[
        "ls",
        src,
        "-n",
        "shop",
        "-o",
        "custom-columns=NAME:.metadata.name,REPLICAS:spec.replicas,IMAGES:{.spec.template.spec.containers[*].image}",
    ]);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["NAME", "REPLICAS", "IMAGES"]);
    assert!(lines.contains(&vec!["cfg", "<none>", "<none>"]), "{out}");
    assert!(
        lines.contains(&vec!["web", "3", "nginx:1.25,fluentbit:2"]),
        "{out}"
    );
    // kubectl's file form: headers, then paths.
    let f = a.file("cols.txt", "NAME   KIND\n.metadata.name   .kind\n");
    let out = text(&[
        "ls",
        src,
        "-n",
        "shop",
        "--no-headers",
        "-o",
        &format!("custom-columns-file={f}"),
    ]);
    assert_eq!(
        out.lines()
            .map(str::split_whitespace)
            .map(Iterator::collect::<Vec<_>>)
            .collect::<Vec<_>>(),
        [
            ["cfg", "ConfigMap"],
            ["api", "Deployment"],
            ["web", "Deployment"]
        ]
    );
    // Reports with rows: plan's steps, preview's included items.
    let out = text(&[
        "plan",
        src,
        "-o",
        "custom-columns=ORDER:.order,RESOURCE:.resource,NAME:.name",
    ]);
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().eq(["1", "namespaces", "shop"])),
        "{out}"
    );
    let names = text(&["preview", src, "-n", "shop", "-o", "name"]);
    assert!(names.lines().any(|l| l == "deployment.apps/web"), "{names}");
}

#[test]
fn malformed_printers_are_usage_errors() {
    let a = shop();
    let src = path_str(&a.path);
    refused(
        &["ls", src, "-o", "jsonpath={.items[*"],
        "jsonpath: unclosed",
    );
    refused(
        &["ls", src, "-o", "jsonpath={range .items[*]}"],
        "range without end",
    );
    refused(
        &["ls", src, "-o", "custom-columns=NAME"],
        "not HEADER:JSONPATH",
    );
    refused(&["ls", src, "-o", "tabel"], "allowed formats are");
    refused(
        &["ls", src, "-o", "jsonpath-file=/nonexistent/t"],
        "/nonexistent/t",
    );
}

#[test]
fn wide_tables_add_columns() {
    let a = archive(&[
        obj("configmaps", "shop/cfg", json!({})),
        obj(
            "pods",
            "shop/web-1",
            json!({"metadata": {"ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d", "uid": "u", "controller": true}]}}),
        ),
    ]);
    let out = text(&["ls", path_str(&a.path), "-o", "wide"]);
    let header: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "NAMESPACE",
            "RESOURCE",
            "NAME",
            "KIND",
            "APIVERSION",
            "VIA",
            "VERSIONS",
            "OWNER",
            "SIZE"
        ]
    );
    let pod = out.lines().find(|l| l.contains("web-1")).unwrap();
    assert!(pod.contains("ReplicaSet/web-7d"), "{pod}");

    let bsl = fixture("bsl");
    let out = text(&["backups", path_str(&bsl), "-o", "wide"]);
    assert!(
        out.lines()
            .next()
            .unwrap()
            .ends_with("SCHEDULE   STORAGE LOCATION   SELECTOR"),
        "{out}"
    );
    assert!(out.lines().nth(1).unwrap().contains("default"), "{out}");
    // jsonpath over a location sees the Backup objects.
    let ttls = text(&[
        "backups",
        path_str(&bsl),
        "-o",
        "jsonpath={range .items[*]}{.kind}:{.spec.ttl} {end}",
    ]);
    assert!(ttls.starts_with("Backup:720h0m0s "), "{ttls}");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let bsl = fixture("bsl");
    let loc = path_str(&bsl);
    let always = text(&["backups", loc, "--color", "always"]);
    assert!(always.contains("\u{1b}[32mCompleted\u{1b}[0m"), "{always}");
    // The padding is measured on the text, not the escape codes.
    let plain = text(&["backups", loc, "--color", "never"]);
    assert_eq!(
        always.replace("\u{1b}[32m", "").replace("\u{1b}[0m", ""),
        plain
    );
    // Not a terminal: auto is off.
    assert!(!text(&["backups", loc]).contains('\u{1b}'));
    // On a terminal (util-linux's script), auto colours unless NO_COLOR is set and not empty.
    let on_terminal = |no_color: Option<&str>| {
        let cmd = format!("{} backups {loc}", env!("CARGO_BIN_EXE_veloscope"));
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"]).env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let out = c.output().expect("util-linux's script runs");
        String::from_utf8_lossy(&out.stdout).contains("\u{1b}[32mCompleted")
    };
    assert!(on_terminal(None));
    assert!(on_terminal(Some("")), "an empty NO_COLOR does not count");
    assert!(!on_terminal(Some("1")));
}

#[test]
fn diff_shows_multi_line_strings_as_lines() {
    let script =
        |line: &str| json!({"data": {"run.sh": format!("#!/bin/sh\nset -e\n{line}\nexec app\n")}});
    let a = archive(&[obj("configmaps", "app/script", script("echo one"))]);
    let b = archive(&[obj("configmaps", "app/script", script("echo two"))]);
    let out = veloscope(&["diff", path_str(&a.path), path_str(&b.path)]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let want = "    data[\"run.sh\"]: (lines)\n       set -e\n      -echo one\n      +echo two\n       exec app\n";
    assert!(text.contains(want), "{text}");
}

#[test]
fn a_resource_the_backup_lacks_warns() {
    let a = shop();
    let out = veloscope(&["ls", path_str(&a.path), "--include-resources", "secrets"]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("the backup holds no secrets"),
        "{}",
        stderr(&out)
    );
}

/// The progress bar, on a terminal (util-linux's `script` gives the command one): it counts
/// items as well as bytes. Shown at once here (it waits a second otherwise).
#[test]
fn progress_counts_items_on_a_terminal() {
    let bin = env!("CARGO_BIN_EXE_veloscope");
    let backup = fixture("bsl/backups/k3s-124");
    let cmd = format!("{bin} ls {} --no-index > /dev/null", path_str(&backup));
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("VELOSCOPE_PROGRESS_AFTER_MS", "0")
        .output()
        .expect("util-linux's script (package bsdutils) runs");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("reading "), "{screen}");
    assert!(
        screen
            .split(['(', ')'])
            .any(|s| s.ends_with(" items") && s != "0 items"),
        "{screen}"
    );
    // Not a terminal: no bar.
    let plain = veloscope(&["ls", path_str(&backup), "--no-index"]);
    assert!(!stderr(&plain).contains("reading"));
}

/// `backups --sort-by` takes a JSONPath over the Backup objects (numbers by value, kubectl's
/// order) and `-L` adds label columns.
#[test]
fn backups_sort_by_a_jsonpath_and_label_columns() {
    let dir = tempfile::tempdir().unwrap();
    let bsl = fixture("bsl/backups");
    for b in ["edge-cases", "k3s-124", "sonobuoy-k8s114"] {
        let to = dir.path().join("backups").join(b);
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(bsl.join(b)).unwrap() {
            let e = e.unwrap();
            if !e.file_name().to_string_lossy().ends_with(".vsidx") {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    }
    // k3s-124 claims 9 items: fewer than edge-cases' 13 as a number, more as text.
    let record = dir.path().join("backups/k3s-124/velero-backup.json");
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    v["status"]["progress"]["totalItems"] = json!(9);
    v["metadata"]["labels"]["team"] = json!("db");
    std::fs::write(&record, v.to_string()).unwrap();
    let out = text(&[
        "backups",
        path_str(dir.path()),
        "--sort-by",
        "{.status.progress.totalItems}",
        "-L",
        "team",
        "--no-headers",
    ]);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(names, ["k3s-124", "edge-cases", "sonobuoy-k8s114"], "{out}");
    assert_eq!(rows[0].last(), Some(&"db"), "{out}");
}
