//! `diff` over generated pairs of backups: expected differences come from how the pair was made.

use crate::common::*;
use serde_json::{Value, json};

fn deployment(image: &str, replicas: u64, extra_container: bool) -> Value {
    let mut containers = vec![
        json!({"name": "web", "image": image, "env": [{"name": "A", "value": "1"}]}),
        json!({"name": "log", "image": "fluentbit:2"}),
    ];
    if extra_container {
        containers.insert(0, json!({"name": "init-db", "image": "busybox"}));
    }
    json!({"metadata": {"resourceVersion": "100", "generation": 3, "labels": {"app": "web"}},
           "spec": {"replicas": replicas, "template": {"spec": {"containers": containers}}},
           "status": {"readyReplicas": replicas}})
}

/// The old side, and the new side with: cm/gone removed, cm/new added, the deployment's image,
/// replicas and an inserted container changed, a resourceVersion-only change, a status-only
/// change, a Secret's data changed, and an item in another namespace changed.
fn pair() -> (TestArchive, TestArchive) {
    let a = archive(&[
        obj("configmaps", "app/gone", json!({"data": {"k": "v"}})),
        obj("configmaps", "app/same", json!({"data": {"k": "v"}})),
        obj(
            "configmaps",
            "app/rv",
            json!({"metadata": {"resourceVersion": "1"}, "data": {"k": "v"}}),
        ),
        obj(
            "pods",
            "app/status",
            json!({"status": {"phase": "Pending"}}),
        ),
        obj(
            "deployments.apps",
            "app/web",
            deployment("nginx:1.24", 2, false),
        ),
        obj(
            "secrets",
            "app/creds",
            json!({"data": {"password": "c2VjcmV0MQ=="}}),
        ),
        obj("configmaps", "other/cfg", json!({"data": {"k": "v1"}})),
    ]);
    let b = archive(&[
        obj("configmaps", "app/new", json!({"data": {"k": "v"}})),
        obj("configmaps", "app/same", json!({"data": {"k": "v"}})),
        obj(
            "configmaps",
            "app/rv",
            json!({"metadata": {"resourceVersion": "2"}, "data": {"k": "v"}}),
        ),
        obj(
            "pods",
            "app/status",
            json!({"status": {"phase": "Running"}}),
        ),
        obj(
            "deployments.apps",
            "app/web",
            deployment("nginx:1.25", 3, true),
        ),
        obj(
            "secrets",
            "app/creds",
            json!({"data": {"password": "c2VjcmV0Mg=="}}),
        ),
        obj("configmaps", "other/cfg", json!({"data": {"k": "v2"}})),
    ]);
    (a, b)
}

fn run(a: &TestArchive, b: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["diff", path_str(&a.path), b, "-o", "json"];
    args.extend_from_slice(extra);
    let out = veloscope(&args);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)));
    (out.status.code(), v)
}

fn refs(v: &Value, field: &str) -> Vec<String> {
    v[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{}/{}/{}",
                i["resource"].as_str().unwrap(),
                i["namespace"].as_str().unwrap_or("-"),
                i["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn changes_of<'a>(v: &'a Value, name: &str) -> Vec<(&'a str, &'a Value, &'a Value)> {
    v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .map(|c| {
            c["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| (x["path"].as_str().unwrap(), &x["old"], &x["new"]))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn added_removed_changed_and_ignored_noise() {
    let (a, b) = pair();
    let (code, v) = run(&a, path_str(&b.path), &[]);
    assert_eq!(code, Some(1), "differences exit 1");
    assert_eq!(refs(&v, "added"), ["configmaps/app/new"]);
    assert_eq!(refs(&v, "removed"), ["configmaps/app/gone"]);
    assert_eq!(
        refs(&v, "changed"),
        [
            "configmaps/other/cfg",
            "deployments.apps/app/web",
            "secrets/app/creds"
        ],
        "resourceVersion-only and status-only changes are not changes by default"
    );
    assert_eq!(v["unchanged"], 3);
    let web = changes_of(&v, "web");
    let mut paths: Vec<&str> = web.iter().map(|c| c.0).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "spec.replicas",
            "spec.template.spec.containers[name=init-db]",
            "spec.template.spec.containers[name=web].image"
        ],
        "the inserted container is one change, not a shift of every later one"
    );
    let replicas = web.iter().find(|c| c.0 == "spec.replicas").unwrap();
    assert_eq!((replicas.1, replicas.2), (&json!(2), &json!(3)));
}

#[test]
fn secrets_are_hashed_unless_asked() {
    let (a, b) = pair();
    let (_, v) = run(&a, path_str(&b.path), &[]);
    let s = changes_of(&v, "creds");
    assert_eq!(s[0].0, "data.password");
    let (old, new) = (s[0].1.as_str().unwrap(), s[0].2.as_str().unwrap());
    assert!(old.starts_with("<redacted hmac:") && new.starts_with("<redacted hmac:") && old != new);
    let out = veloscope(&["diff", path_str(&a.path), path_str(&b.path)]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains("c2VjcmV0"),
        "no secret value in the table: {text}"
    );
    let (_, v) = run(&a, path_str(&b.path), &["--show-secrets"]);
    assert_eq!(changes_of(&v, "creds")[0].2, &json!("c2VjcmV0Mg=="));
}

#[test]
fn ignore_include_status_and_all_fields() {
    let (a, b) = pair();
    let (_, v) = run(
        &a,
        path_str(&b.path),
        &[
            "--ignore",
            "spec.replicas",
            "--ignore",
            "/spec/template/spec/containers/*/image",
        ],
    );
    let paths: Vec<&str> = changes_of(&v, "web").iter().map(|c| c.0).collect();
    assert_eq!(paths, ["spec.template.spec.containers[name=init-db]"]);
    let (_, v) = run(&a, path_str(&b.path), &["--include-status"]);
    assert!(refs(&v, "changed").contains(&"pods/app/status".to_string()));
    let (_, v) = run(&a, path_str(&b.path), &["--all-fields"]);
    assert!(refs(&v, "changed").contains(&"configmaps/app/rv".to_string()));
    assert_eq!(changes_of(&v, "rv")[0].0, "metadata.resourceVersion");
}

#[test]
fn identical_backups_exit_zero() {
    let edge = backup("edge-cases");
    let out = veloscope(&[
        "diff",
        path_str(&edge),
        path_str(&fixture("tarballs/edge.tar.zst")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let items = expected("edge-cases")["items"].as_u64().unwrap();
    assert_eq!(
        text.trim(),
        format!("0 added, 0 removed, 0 changed, {items} unchanged")
    );
}

#[test]
fn against_a_live_cluster_dump_list_and_manifest_folder() {
    let (a, b) = pair();
    // The new side as `kubectl get -A -o json` output: a List.
    let items: Vec<Value> = [
        ("v1", "ConfigMap", "app", "new", json!({"data": {"k": "v"}})),
        ("v1", "ConfigMap", "app", "same", json!({"data": {"k": "v"}})),
        ("v1", "ConfigMap", "app", "rv", json!({"data": {"k": "v"}})),
        ("v1", "Pod", "app", "status", json!({"status": {"phase": "Pending"}})),
        ("v1", "Secret", "app", "creds", json!({"data": {"password": "c2VjcmV0MQ=="}})),
        ("v1", "ConfigMap", "other", "cfg", json!({"data": {"k": "v1"}})),
    ]
    .into_iter()
    .map(|(api, kind, ns, name, extra)| {
        let mut o = json!({"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": ns, "resourceVersion": "77"}});
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        o
    })
    .chain([{
        let mut d = deployment("nginx:1.24", 2, false);
        d["apiVersion"] = json!("apps/v1");
        d["kind"] = json!("Deployment");
        d["metadata"]["name"] = json!("web");
        d["metadata"]["namespace"] = json!("app");
        d
    }])
    .collect();
    let list = b.file(
        "cluster.json",
        &json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string(),
    );
    let (code, v) = run(&a, &list, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(refs(&v, "added"), ["configmaps/app/new"]);
    assert_eq!(refs(&v, "removed"), ["configmaps/app/gone"]);
    assert!(
        refs(&v, "changed").is_empty(),
        "same objects, other resourceVersions: {:?}",
        v["changed"]
    );
    // The same objects as a folder of YAML manifests, several documents per file.
    let dir = b.dir.path().join("manifests");
    std::fs::create_dir(&dir).unwrap();
    let yaml: Vec<String> = items.iter().map(veloscope_model::yaml::to_string).collect();
    std::fs::write(dir.join("all.yaml"), yaml.join("---\n")).unwrap();
    let (code, v2) = run(&a, path_str(&dir), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(refs(&v2, "added"), refs(&v, "added"));
    assert_eq!(v2["unchanged"], v["unchanged"]);
}

#[test]
fn filter_flags_narrow_the_scope() {
    let (a, b) = pair();
    let (_, v) = run(&a, path_str(&b.path), &["--include-namespaces", "other"]);
    assert_eq!(refs(&v, "changed"), ["configmaps/other/cfg"]);
    assert!(refs(&v, "added").is_empty() && refs(&v, "removed").is_empty());
    let (_, v) = run(&a, path_str(&b.path), &["--include-resources", "deploy"]);
    assert_eq!(refs(&v, "changed"), ["deployments.apps/app/web"]);
}

#[test]
fn table_reads_like_a_diff_stat() {
    let (a, b) = pair();
    let out = veloscope(&["diff", path_str(&a.path), path_str(&b.path)]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("+ configmaps        app/new"), "{text}");
    assert!(text.contains("- configmaps        app/gone"), "{text}");
    assert!(
        text.contains("M deployments.apps  app/web  (3 fields)"),
        "{text}"
    );
    assert!(text.contains("    spec.replicas: 2 → 3"), "{text}");
    assert!(
        text.trim_end()
            .ends_with("1 added, 1 removed, 3 changed, 3 unchanged"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour when not a terminal");
}

#[test]
fn errors_exit_two() {
    let (a, _) = pair();
    let out = veloscope(&["diff", path_str(&a.path), "/nonexistent.tar.gz"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent.tar.gz"));
    let out = veloscope(&[
        "diff",
        path_str(&a.path),
        path_str(&fixture("tarballs/truncated.tar.gz")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("truncated"));
    let out = veloscope(&[
        "diff",
        path_str(&a.path),
        path_str(&a.path),
        "--ignore",
        "a..b",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// With a sidecar beside each archive, `diff` matches items by the hashes the indexes record and
/// reads only the bodies of items whose hashes differ, each at its seek point: the same report
/// as reading both archives, filtered or not.
#[test]
fn with_sidecars_only_the_changed_bodies_are_read() {
    let (a, b) = pair();
    let b_path = path_str(&b.path);
    let want = run(&a, b_path, &[]);
    let want_filtered = run(&a, b_path, &["--include-namespaces", "app"]);
    for t in [&a, &b] {
        let out = veloscope(&["index", path_str(&t.path)]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_veloscope"))
        .args(["diff", path_str(&a.path), b_path, "-o", "json"])
        .env("VELOSCOPE_TRACE", "1")
        .output()
        .expect("run");
    let got: Value = serde_json::from_slice(&out.stdout).expect("json");
    // What the pair was made with, then the same report in every detail as reading both archives.
    assert_eq!(refs(&got, "added"), ["configmaps/app/new"]);
    assert_eq!(refs(&got, "removed"), ["configmaps/app/gone"]);
    assert_eq!(
        refs(&got, "changed"),
        [
            "configmaps/other/cfg",
            "deployments.apps/app/web",
            "secrets/app/creds"
        ]
    );
    // Secret markers are keyed per process: equal within a run, not across runs.
    assert_eq!(
        (out.status.code(), unkeyed(got)),
        (want.0, unkeyed(want.1.clone()))
    );
    let reads: Vec<String> = stderr(&out)
        .lines()
        .filter(|l| l.starts_with("trace:"))
        .map(str::to_string)
        .collect();
    // rv, status, web, creds and other/cfg differ in bytes, on both sides; same/gone/new do not
    // need their bodies.
    assert_eq!(reads.len(), 10, "{reads:#?}");
    assert!(
        !reads
            .iter()
            .any(|l| l.contains("/same.json") || l.contains("/gone.json")),
        "{reads:#?}"
    );
    let filtered = run(&a, b_path, &["--include-namespaces", "app"]);
    assert_eq!(
        (filtered.0, unkeyed(filtered.1)),
        (want_filtered.0, unkeyed(want_filtered.1))
    );
}

/// A report with each Secret marker's keyed digest left out.
fn unkeyed(v: Value) -> Value {
    let text = v.to_string();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("<redacted hmac:") {
        out.push_str(&rest[..i]);
        out.push_str("<redacted hmac>");
        rest = rest[i..].split_once('>').map_or("", |(_, r)| r);
    }
    out.push_str(rest);
    serde_json::from_str(&out).expect("json")
}

/// Two indexed plain tars, one then edited in place (same size, mtime kept, so the fingerprint
/// still matches, as the edit is far from its head and tail): `diff` must not answer "no
/// change" from the old hashes.
#[test]
fn a_same_size_edit_behind_an_index_is_still_a_difference() {
    let padding = |from: usize| {
        (from..from + 150).map(|i| {
            let data = json!({"data": {"blob": "x".repeat(1000)}});
            obj("configmaps", &format!("pad/cm-{i:04}"), data)
        })
    };
    let objs: Vec<_> = padding(0)
        .chain([obj(
            "configmaps",
            "app/cfg",
            json!({"data": {"mode": "safe-value-1"}}),
        )])
        .chain(padding(150))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let tar = fixture_gen::tar_bytes(&objs, &[]).expect("tar");
    let (a, b) = (dir.path().join("a.tar"), dir.path().join("b.tar"));
    std::fs::write(&a, &tar).expect("write");
    std::fs::write(&b, &tar).expect("write");
    for t in [&a, &b] {
        let out = veloscope(&["index", path_str(t)]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let mtime = std::fs::metadata(&b)
        .and_then(|m| m.modified())
        .expect("mtime");
    let edited = String::from_utf8_lossy(&tar).replace("safe-value-1", "evil-value-2");
    assert_eq!(edited.len(), tar.len());
    std::fs::write(&b, edited.as_bytes()).expect("edit");
    std::fs::File::options()
        .write(true)
        .open(&b)
        .and_then(|f| f.set_modified(mtime))
        .expect("keep mtime");
    let out = veloscope(&["diff", path_str(&a), path_str(&b), "-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let got: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(refs(&got, "changed"), ["configmaps/app/cfg"]);
}
