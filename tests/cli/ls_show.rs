use crate::common::*;
use fixture_gen::fixtures::edge_objects;
use serde_json::Value;
use std::io::Read;
use std::process::{Command, Stdio};

fn ls(name: &str, extra: &[&str]) -> Vec<Value> {
    let dir = backup(name);
    let mut args = vec!["ls", path_str(&dir), "-o", "json"];
    args.extend_from_slice(extra);
    json(&args).as_array().expect("array").clone()
}

fn keys(rows: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{}/{}",
                r["resource"].as_str().unwrap(),
                r["name"].as_str().unwrap()
            )
        })
        .collect();
    v.sort();
    v
}

/// Expected keys for the edge fixture, by a predicate over the generator's input objects.
fn edge_expect(pred: impl Fn(&Value) -> bool) -> Vec<String> {
    let mut v: Vec<String> = edge_objects()
        .iter()
        .filter(|o| o.preferred && pred(&o.body))
        .map(|o| format!("{}/{}", o.gr, o.name))
        .collect();
    v.sort();
    v
}

fn label<'a>(o: &'a Value, k: &str) -> Option<&'a str> {
    o["metadata"]["labels"][k].as_str()
}

#[test]
fn ls_lists_every_item_once() {
    let exp = expected("k3s-124");
    assert_eq!(
        ls("k3s-124", &[]).len() as u64,
        exp["items"].as_u64().unwrap()
    );
}

#[test]
fn cluster_resources_false_lists_only_namespaced_items() {
    let exp = expected("k3s-124");
    let namespaced = exp["items"].as_u64().unwrap() - exp["clusterScopedItems"].as_u64().unwrap();
    let rows = ls("k3s-124", &["--include-cluster-resources=false"]);
    assert_eq!(rows.len() as u64, namespaced);
    assert!(rows.iter().all(|r| r["namespace"].is_string()));
}

#[test]
fn resource_names_resolve_like_velero() {
    let exp = expected("k3s-124");
    let pods = exp["resources"]["pods"]["items"].as_u64().unwrap();
    for spelling in ["pods", "po", "pod", "Pod"] {
        let rows = ls("k3s-124", &["--include-resources", spelling]);
        assert_eq!(rows.len() as u64, pods, "{spelling}");
        assert!(rows.iter().all(|r| r["resource"] == "pods"));
    }
    let deploy = exp["resources"]["deployments.apps"]["items"]
        .as_u64()
        .unwrap();
    assert_eq!(
        ls("k3s-124", &["--include-resources", "deploy"]).len() as u64,
        deploy
    );
    assert_eq!(
        ls("k3s-124", &["--include-resources", "deployments.app"]).len() as u64,
        deploy
    );
    let rbac: u64 = exp["resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.ends_with(".rbac.authorization.k8s.io"))
        .map(|(_, v)| v["items"].as_u64().unwrap())
        .sum();
    assert_eq!(
        ls(
            "k3s-124",
            &["--include-resources", "*.rbac.authorization.k8s.io"]
        )
        .len() as u64,
        rbac
    );
    let total = exp["items"].as_u64().unwrap();
    assert_eq!(
        ls("k3s-124", &["--exclude-resources", "po"]).len() as u64,
        total - pods
    );
}

/// With filter flags `ls` shows what a backup with those flags would capture (the preview engine):
/// `-l app=web` on the edge fixture lists the labelled pod and PVC, the Namespace they live in
/// (tracked because its items were listed), and the PV the bound PVC pulls in, marked `via`.
#[test]
fn ls_with_filters_is_a_backup_preview() {
    let objs = edge_objects();
    let labelled = edge_expect(|o| label(o, "app") == Some("web"));
    let pvc = objs
        .iter()
        .find(|o| o.gr == "persistentvolumeclaims")
        .unwrap();
    let pv = pvc.body["spec"]["volumeName"].as_str().unwrap();
    let mut want = labelled;
    want.push("namespaces/edge".into());
    want.push(format!("persistentvolumes/{pv}"));
    want.sort();
    let rows = ls("edge-cases", &["-l", "app=web"]);
    assert_eq!(keys(&rows), want);
    let pv_row = rows
        .iter()
        .find(|r| r["resource"] == "persistentvolumes")
        .unwrap();
    assert_eq!(
        pv_row["via"],
        format!("persistentvolumeclaims/edge/{}", pvc.name)
    );
}

#[test]
fn ls_table_is_aligned() {
    let dir = backup("edge-cases");
    let out = veloscope(&[
        "ls",
        path_str(&dir),
        "--include-resources",
        "pods",
        "--show-labels",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("NAMESPACE   RESOURCE   NAME"),
        "{text}"
    );
    let col = lines[0].find("NAME").unwrap();
    assert!(
        lines[1..].iter().all(|l| !l[col..].starts_with(' ')),
        "{text}"
    );
    assert!(text.contains("app=web"));
}

fn show(args: &[&str]) -> Vec<u8> {
    let out = veloscope(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out.stdout
}

#[test]
fn show_prints_the_stored_bytes() {
    let dir = backup("edge-cases");
    let objs = edge_objects();
    let cm = objs.iter().find(|o| o.gr == "configmaps").unwrap();
    let mut want = serde_json::to_vec(&cm.body).unwrap();
    want.push(b'\n');
    assert_eq!(
        show(&[
            "show",
            path_str(&dir),
            "cm",
            &cm.name,
            "-n",
            "edge",
            "-o",
            "json"
        ]),
        want,
        "PAX-named item"
    );
    let out = show(&[
        "show",
        path_str(&dir),
        "clusterrole",
        "system:controller:edge-a",
    ]);
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["metadata"]["name"], "system:controller:edge-a");
}

#[test]
fn show_version_directories() {
    let dir = backup("edge-cases");
    let get = |extra: &[&str]| -> Value {
        let mut args = vec![
            "show",
            path_str(&dir),
            "hpa",
            "web",
            "-n",
            "edge",
            "-o",
            "json",
        ];
        args.extend_from_slice(extra);
        serde_json::from_slice(&show(&args)).unwrap()
    };
    assert_eq!(get(&[])["apiVersion"], "autoscaling/v2");
    assert_eq!(
        get(&["--api-version", "v2"])["apiVersion"],
        "autoscaling/v2"
    );
    assert_eq!(
        get(&["--api-version", "v1"])["apiVersion"],
        "autoscaling/v1"
    );
    let out = veloscope(&[
        "show",
        path_str(&dir),
        "hpa",
        "web",
        "-n",
        "edge",
        "--api-version",
        "v9",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("stored versions"), "{}", stderr(&out));
}

#[test]
fn show_by_kind_and_crd_short_name_and_yaml() {
    let k3s = backup("k3s-124");
    let out = show(&[
        "show",
        path_str(&k3s),
        "Deployment",
        "coredns",
        "-o",
        "yaml",
    ]);
    let v: Value =
        veloscope_model::manifest::first_document(std::str::from_utf8(&out).unwrap()).unwrap();
    assert_eq!(v["metadata"]["namespace"], "kube-system");
    let sono = backup("sonobuoy-k8s114");
    let name = "alertmanagers.monitoring.coreos.com";
    let v: Value =
        serde_json::from_slice(&show(&["show", path_str(&sono), "crd", name, "-o", "json"]))
            .unwrap();
    assert_eq!(v["apiVersion"], "apiextensions.k8s.io/v1beta1");
    let v: Value = serde_json::from_slice(&show(&[
        "show",
        path_str(&sono),
        "crd",
        name,
        "--api-version",
        "v1",
        "-o",
        "json",
    ]))
    .unwrap();
    assert_eq!(v["apiVersion"], "apiextensions.k8s.io/v1");
}

#[test]
fn closed_pipe_ends_quietly() {
    let sono = backup("sonobuoy-k8s114");
    let mut child = Command::new(env!("CARGO_BIN_EXE_veloscope"))
        .args([
            "show",
            path_str(&sono),
            "crd",
            "alertmanagers.monitoring.coreos.com",
            "-o",
            "yaml",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit {:?}", out.status);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let out = veloscope(&["completions", shell]);
        assert!(out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("include-namespaces"),
            "{shell}"
        );
    }
    let out = veloscope(&["man"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with(".ie")
            || String::from_utf8_lossy(&out.stdout).contains(".TH")
    );
}
