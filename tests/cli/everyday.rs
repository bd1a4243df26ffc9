//! Everyday habits (issue 16): backup selectors on a location, `show TYPE/NAME` without
//! managedFields, and `extract` into a folder.

use crate::common::*;
use serde_json::json;

#[test]
fn a_location_selector_picks_a_backup() {
    let bsl = fixture("bsl");
    let loc = path_str(&bsl);
    let name_of = |sel: &str| {
        json(&[
            "inspect",
            &format!("{loc}@{sel}"),
            "--no-index",
            "-o",
            "json",
        ])["backup"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    // `backups` lists newest first (ties by name): the selectors follow that order.
    let listed: Vec<String> = json(&["backups", loc, "-o", "json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(name_of("latest"), listed[0]);
    assert_eq!(name_of("latest-successful"), listed[0]);
    assert_eq!(name_of("2"), listed[1]);
    assert_eq!(name_of("k3s-124"), "k3s-124");
    refused(
        &["inspect", &format!("{loc}@nope")],
        "no backup matches @nope",
    );
}

#[test]
fn show_takes_type_slash_name_and_hides_managed_fields() {
    let a = archive(&[obj(
        "configmaps",
        "app/cfg",
        json!({"metadata": {"managedFields": [{"manager": "kubectl", "operation": "Apply"}]}, "data": {"k": "v"}}),
    )]);
    let src = path_str(&a.path);
    let slash = json(&["show", src, "cm/cfg", "-n", "app"]);
    let spaced = json(&["show", src, "configmaps", "cfg", "-n", "app"]);
    assert_eq!(slash, spaced);
    assert!(slash["metadata"].get("managedFields").is_none(), "{slash}");
    assert_eq!(slash["data"]["k"], "v");
    let kept = json(&[
        "show",
        src,
        "cm/cfg",
        "-n",
        "app",
        "--show-managed-fields",
        "-o",
        "json",
    ]);
    assert_eq!(kept["metadata"]["managedFields"][0]["manager"], "kubectl");
    let out = veloscope(&["show", src, "configmaps", "-n", "app"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn extract_writes_one_file_per_object_inside_the_folder() {
    let a = archive(&[
        obj("namespaces", "app", json!({})),
        obj(
            "configmaps",
            "app/cfg",
            json!({"metadata": {"uid": "u1", "resourceVersion": "7", "creationTimestamp": "2024-01-01T00:00:00Z"}, "data": {"k": "v"}}),
        ),
        obj(
            "clusterroles.rbac.authorization.k8s.io",
            "system:edge",
            json!({"rules": []}),
        ),
        obj("pods", "other/p", json!({"status": {"phase": "Running"}})),
    ]);
    let dir = a.dir.path().join("out");
    let out = veloscope(&["extract", path_str(&a.path), path_str(&dir), "--clean"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let read = |rel: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        veloscope_model::manifest::first_document(&text).expect("yaml")
    };
    let cfg = read("app/configmaps/cfg.yaml");
    assert_eq!(cfg["data"]["k"], "v");
    for gone in ["uid", "resourceVersion", "creationTimestamp"] {
        assert!(cfg["metadata"].get(gone).is_none(), "{gone}: {cfg}");
    }
    assert!(read("other/pods/p.yaml").get("status").is_none());
    assert_eq!(
        read("_cluster/clusterroles.rbac.authorization.k8s.io/system:edge.yaml")["metadata"]["name"],
        "system:edge"
    );
    assert_eq!(read("_cluster/namespaces/app.yaml")["kind"], "Namespace");
    // A folder that is not empty is refused, and filters narrow what is written.
    refused(&["extract", path_str(&a.path), path_str(&dir)], "not empty");
    let only = a.dir.path().join("only");
    let out = veloscope(&[
        "extract",
        path_str(&a.path),
        path_str(&only),
        "--include-namespaces",
        "other",
        "-o",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["objects"], 1, "{report}");
    assert!(only.join("other/pods/p.yaml").is_file());
    assert!(!only.join("app").exists());
}

/// kubectl's `-n`/`--namespace` and `-A` work wherever a namespace filter does.
#[test]
fn kubectl_namespace_flags_are_shorthands() {
    let k3s = backup("k3s-124");
    let src = path_str(&k3s);
    let names = |args: &[&str]| {
        let mut all = vec!["ls", src, "--no-index", "-o", "json"];
        all.extend_from_slice(args);
        json(&all)
    };
    assert_eq!(
        names(&["-n", "default"]),
        names(&["--include-namespaces", "default"])
    );
    assert_eq!(
        names(&["--namespace", "default"]),
        names(&["--include-namespaces", "default"])
    );
    assert_eq!(names(&["-A"]), names(&[]));
    let plan = |args: &[&str]| {
        let mut all = vec!["plan", src, "--no-index", "-o", "json"];
        all.extend_from_slice(args);
        json(&all)["steps"].clone()
    };
    assert_eq!(
        plan(&["-n", "default"]),
        plan(&["--include-namespaces", "default"])
    );
    let out = veloscope(&["ls", src, "-A", "-n", "default"]);
    assert_eq!(out.status.code(), Some(2), "-A and -n conflict");
}

/// kubectl's `-o name` and `--no-headers`.
#[test]
fn names_and_headerless_tables() {
    let k3s = backup("k3s-124");
    let src = path_str(&k3s);
    let run = |args: &[&str]| {
        let out = veloscope(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let names = run(&["ls", src, "--no-index", "-n", "kube-system", "-o", "name"]);
    assert!(
        names.lines().any(|l| l == "deployment.apps/coredns"),
        "{names}"
    );
    assert!(names.lines().any(|l| l == "service/kube-dns"), "{names}");
    let listed = json(&["ls", src, "--no-index", "-n", "kube-system", "-o", "json"]);
    assert_eq!(names.lines().count(), listed.as_array().map_or(0, Vec::len));
    let bsl = fixture("bsl");
    let backups = run(&["backups", path_str(&bsl), "-o", "name"]);
    assert!(
        backups.lines().all(|l| l.starts_with("backup/")) && backups.lines().count() == 3,
        "{backups}"
    );
    assert_eq!(
        run(&[
            "show",
            src,
            "deploy/coredns",
            "-n",
            "kube-system",
            "-o",
            "name"
        ])
        .trim(),
        "deployment.apps/coredns"
    );
    let table = run(&["ls", src, "--no-index", "-n", "default"]);
    let bare = run(&["ls", src, "--no-index", "-n", "default", "--no-headers"]);
    assert!(table.starts_with("NAMESPACE"));
    assert_eq!(
        bare.lines().collect::<Vec<_>>(),
        table.lines().skip(1).collect::<Vec<_>>()
    );
    let out = veloscope(&["inspect", src, "-o", "name"]);
    assert_eq!(out.status.code(), Some(2), "-o name is for lists");
}

/// Mistakes that used to answer with nothing, quietly: a namespace typo, a location given at the
/// wrong level or where a backup is expected, a name typo in `show`.
#[test]
fn no_silent_empty_answers() {
    let k3s = backup("k3s-124");
    let src = path_str(&k3s);
    let out = veloscope(&["ls", src, "--no-index", "-n", "kube-sytem"]);
    assert!(
        stderr(&out).contains("did you mean kube-system?"),
        "{}",
        stderr(&out)
    );
    let plan = json(&["plan", src, "--no-index", "-n", "kube-sytem", "-o", "json"]);
    assert!(
        plan["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("did you mean kube-system?")),
        "{plan}"
    );
    let bsl = fixture("bsl");
    let loc = path_str(&bsl);
    refused(
        &["backups", &format!("{loc}/backups")],
        "pass the location itself",
    );
    refused(&["diff", src, loc], "this is a storage location");
    refused(&["inspect", loc], "@latest");
    refused(
        &["show", src, "deploy/cordns", "-n", "kube-system"],
        "nearest: coredns",
    );
}

/// `logs` over a real Velero backup log: filters keep what the log's own fields say.
#[test]
fn logs_filter_on_velero_fields() {
    let log = std::fs::read_to_string(fixture("logs/velero-backup.log")).expect("log");
    // One synthetic line about a namespaced item, which that backup (CRDs only) lacks.
    let extra = r#"time="2022-11-29T08:15:40Z" level=info msg="Backing up item" backup=velero/b logSource="pkg/backup/item_backupper.go:132" name=web-0 namespace=shop resource=pods"#;
    let text = format!("{log}{extra}\n");
    let tmp = tempfile::tempdir().expect("tempdir");
    let folder = tmp.path().join("k3s-124");
    std::fs::create_dir(&folder).expect("mkdir");
    for e in std::fs::read_dir(backup("k3s-124")).expect("fixture") {
        let p = e.expect("entry").path();
        if !p.to_string_lossy().ends_with(".vsidx") {
            std::fs::copy(&p, folder.join(p.file_name().unwrap())).expect("copy");
        }
    }
    std::fs::write(
        folder.join("k3s-124-logs.gz"),
        fixture_gen::gzip(text.as_bytes()).expect("gzip"),
    )
    .expect("write");
    let src = path_str(&folder);
    let lines = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["logs", src];
        all.extend_from_slice(args);
        let out = veloscope(&all);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    };
    assert_eq!(lines(&[]).len(), text.lines().count());
    let errors = lines(&["--level", "error"]);
    assert_eq!(
        errors.len(),
        text.lines().filter(|l| l.contains("level=error")).count()
    );
    assert!(errors.iter().all(|l| l.contains("level=error")));
    let pvcs = lines(&["--resource", "persistentvolumeclaims"]);
    assert_eq!(
        pvcs.len(),
        text.lines()
            .filter(|l| l.contains("resource=persistentvolumeclaims"))
            .count()
    );
    assert!(!pvcs.is_empty());
    assert_eq!(lines(&["-n", "shop"]), [extra.to_string()]);
    assert_eq!(
        lines(&["--grep", "Listing items"]).len(),
        text.lines().filter(|l| l.contains("Listing items")).count()
    );
    let json_lines = {
        let out = veloscope(&["logs", src, "--level", "error", "-o", "json"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for l in json_lines.lines() {
        let v: serde_json::Value = serde_json::from_str(l).expect("a JSON object per line");
        assert_eq!(v["level"], "error");
    }
    let out = veloscope(&["logs", src, "--level", "loud"]);
    assert_eq!(out.status.code(), Some(2));
    refused(&["logs", path_str(&backup("k3s-124"))], "k3s-124-logs.gz");
}

/// `inspect --details`: the sections of `velero backup describe --details` a backup folder holds.
#[test]
fn inspect_details_shows_what_the_side_files_say() {
    use fixture_gen::{Codec, Folder};
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = Folder {
        name: "b",
        codec: Codec::Gzip,
        objects: vec![obj("configmaps", "app/c", json!({}))],
        extra_entries: vec![],
        backup: Some(json!({"apiVersion": "velero.io/v1", "kind": "Backup",
            "metadata": {"name": "b", "labels": {"velero.io/schedule-name": "nightly"}},
            "spec": {}, "status": {"phase": "PartiallyFailed", "errors": 1, "warnings": 1,
                "hookStatus": {"hooksAttempted": 3, "hooksFailed": 1}}})),
        results: json!({"errors": {"namespaces": {"app": ["error backing up pod web: timed out"]}},
                        "warnings": {"velero": ["volume snapshot location not found"]}}),
        volume_info: json!([{"pvcName": "data", "pvcNamespace": "app", "pvName": "pv-1", "backupMethod": "PodVolumeBackup", "result": "succeeded"}]),
    }
    .write(tmp.path())
    .expect("folder");
    // An asynchronous operation of the CSI plugin, as Velero writes `-itemoperations.json.gz`.
    let ops = json!([{"spec": {"backupName": "b", "backupItemAction": "velero.io/csi-pvc-backupper",
        "resourceIdentifier": {"Group": "", "Resource": "persistentvolumeclaims", "Namespace": "app", "Name": "data"},
        "operationID": "du-123"},
        "status": {"phase": "Completed", "nCompleted": 10, "nTotal": 10, "operationUnits": "bytes"}}]);
    std::fs::write(
        dir.join("b-itemoperations.json.gz"),
        fixture_gen::gzip(ops.to_string().as_bytes()).unwrap(),
    )
    .unwrap();
    let src = path_str(&dir);
    let out = veloscope(&["inspect", src, "--details"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "velero.io/schedule-name=nightly",
        "app: error backing up pod web: timed out",
        "Velero:     volume snapshot location not found",
        "app/data",
        "PodVolumeBackup",
        "v1/ConfigMap:",
        "- app/c",
        "HooksAttempted:  3",
        "HooksFailed:     1",
        "Operation for persistentvolumeclaims app/data:",
        "Backup Item Action Plugin:  velero.io/csi-pvc-backupper",
        "Operation ID:               du-123",
        "Progress:                   10/10 bytes",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    let v = json(&["inspect", src, "--details", "-o", "json"]);
    assert_eq!(
        v["details"]["errors"]["namespaces"]["app"][0],
        "error backing up pod web: timed out"
    );
    assert_eq!(v["details"]["volumes"][0]["pv"], "pv-1");
    // Without --details, what `velero backup describe` shows by default: no volumes.
    let basic = json(&["inspect", src, "-o", "json"]);
    assert!(basic["details"].get("volumes").is_none(), "{basic}");
    assert_eq!(
        basic["details"]["errors"]["namespaces"]["app"][0],
        "error backing up pod web: timed out"
    );
}

/// kubectl's `-L` and `--sort-by` on `ls`.
#[test]
fn label_columns_and_sorting() {
    let k3s = backup("k3s-124");
    let src = path_str(&k3s);
    let out = veloscope(&[
        "ls",
        src,
        "--no-index",
        "-n",
        "kube-system",
        "--include-resources",
        "pods",
        "-L",
        "k8s-app",
    ]);
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        table.lines().next().unwrap_or("").ends_with("K8S-APP"),
        "{table}"
    );
    assert!(
        table.lines().any(|l| l.starts_with("kube-system")
            && l.contains("coredns-")
            && l.trim_end().ends_with("kube-dns")),
        "{table}"
    );
    // One field of each row, listed with --sort-by.
    let sorted_by = |sort: &str, field: &str| -> Vec<String> {
        json(&[
            "ls",
            src,
            "--no-index",
            "-n",
            "kube-system",
            "--sort-by",
            sort,
            "-o",
            "json",
        ])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[field].as_str().unwrap_or("").to_string())
        .collect()
    };
    let by_name = sorted_by("{.metadata.name}", "name");
    let mut sorted = by_name.clone();
    sorted.sort();
    assert_eq!(by_name, sorted);
    assert_eq!(sorted_by(".metadata.name", "name"), by_name);
    let kinds = sorted_by(".kind", "kind");
    assert!(kinds.windows(2).all(|w| w[0] <= w[1]), "{kinds:?}");
    // Any other path sorts by the stored objects, as kubectl's --sort-by does.
    let out = veloscope(&[
        "ls",
        src,
        "pods",
        "-A",
        "--sort-by",
        ".metadata.creationTimestamp",
        "-o",
        "custom-columns=T:.metadata.creationTimestamp",
        "--no-headers",
    ]);
    let times: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert!(times.len() > 3, "{times:?}");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // A label path is answered from the index: rows without the label first, then by value.
    let out = veloscope(&[
        "ls",
        src,
        "-n",
        "kube-system",
        "--sort-by",
        ".metadata.labels.k8s-app",
        "-o",
        "custom-columns=L:.metadata.labels.k8s-app",
        "--no-headers",
    ]);
    let labels: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .collect();
    let first_set = labels.iter().position(|l| l != "<none>").unwrap_or(0);
    assert!(first_set > 0, "{labels:?}");
    assert!(
        labels[first_set..].iter().all(|l| l != "<none>"),
        "{labels:?}"
    );
    assert!(
        labels[first_set..].windows(2).all(|w| w[0] <= w[1]),
        "{labels:?}"
    );
    let out = veloscope(&["ls", src, "--sort-by", ".spec[?(@"]);
    assert_eq!(out.status.code(), Some(2), "a malformed path is refused");
}
