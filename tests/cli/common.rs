//! Helpers for the end-to-end tests: run the built binary, read fixture oracles.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

pub fn backup(name: &str) -> PathBuf {
    fixture(&format!("bsl/backups/{name}"))
}

/// The oracle the generator wrote from its input objects.
pub fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(backup(name).join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

pub fn veloscope(args: &[&str]) -> Output {
    veloscope_in(&root(), args)
}

pub fn veloscope_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_veloscope"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run veloscope")
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Runs and parses stdout as JSON, asserting exit 0.
pub fn json(args: &[&str]) -> Value {
    let out = veloscope(args);
    assert!(
        out.status.success(),
        "veloscope {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

use fixture_gen::Obj;
use serde_json::json;
use std::collections::BTreeSet;

/// apiVersion and kind for the group-resources the tests use.
fn type_of(gr: &str) -> (&'static str, &'static str) {
    match gr {
        "pods" => ("v1", "Pod"),
        "persistentvolumeclaims" => ("v1", "PersistentVolumeClaim"),
        "persistentvolumes" => ("v1", "PersistentVolume"),
        "namespaces" => ("v1", "Namespace"),
        "serviceaccounts" => ("v1", "ServiceAccount"),
        "configmaps" => ("v1", "ConfigMap"),
        "secrets" => ("v1", "Secret"),
        "services" => ("v1", "Service"),
        "nodes" => ("v1", "Node"),
        "events" => ("v1", "Event"),
        "deployments.apps" => ("apps/v1", "Deployment"),
        "deployments.extensions" => ("extensions/v1beta1", "Deployment"),
        "jobs.batch" => ("batch/v1", "Job"),
        "replicasets.apps" => ("apps/v1", "ReplicaSet"),
        "clusterroles.rbac.authorization.k8s.io" => ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        "clusterrolebindings.rbac.authorization.k8s.io" => {
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")
        }
        "priorityclasses.scheduling.k8s.io" => ("scheduling.k8s.io/v1", "PriorityClass"),
        "storageclasses.storage.k8s.io" => ("storage.k8s.io/v1", "StorageClass"),
        "ingresses.networking.k8s.io" => ("networking.k8s.io/v1", "Ingress"),
        "horizontalpodautoscalers.autoscaling" => ("autoscaling/v2", "HorizontalPodAutoscaler"),
        "endpoints" => ("v1", "Endpoints"),
        "leases.coordination.k8s.io" => ("coordination.k8s.io/v1", "Lease"),
        "rolebindings.rbac.authorization.k8s.io" => ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        "customresourcedefinitions.apiextensions.k8s.io" => {
            ("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        }
        "volumesnapshotlocations.velero.io" => ("velero.io/v1", "VolumeSnapshotLocation"),
        "backups.velero.io" => ("velero.io/v1", "Backup"),
        "volumesnapshots.snapshot.storage.k8s.io" => {
            ("snapshot.storage.k8s.io/v1", "VolumeSnapshot")
        }
        "volumesnapshotcontents.snapshot.storage.k8s.io" => {
            ("snapshot.storage.k8s.io/v1", "VolumeSnapshotContent")
        }
        "widgets.example.com" => ("example.com/v1", "Widget"),
        "gadgets.example.com" => ("example.com/v1", "Gadget"),
        "apiservices.apiregistration.k8s.io" => ("apiregistration.k8s.io/v1", "APIService"),
        "validatingwebhookconfigurations.admissionregistration.k8s.io" => (
            "admissionregistration.k8s.io/v1",
            "ValidatingWebhookConfiguration",
        ),
        other => panic!("test type table lacks {other}"),
    }
}

/// An object of `gr` named `ns/name` (`name` alone for cluster-scoped), with `extra` merged into
/// the body (`metadata` merged key by key).
pub fn obj(gr: &str, key: &str, extra: serde_json::Value) -> Obj {
    let (ns, name) = match key.split_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, key),
    };
    let (api, kind) = type_of(gr);
    let mut body = json!({"apiVersion": api, "kind": kind, "metadata": {"name": name}});
    if let Some(ns) = ns {
        body["metadata"]["namespace"] = json!(ns);
    }
    if let serde_json::Value::Object(map) = extra {
        for (k, v) in map {
            if k == "metadata" {
                for (mk, mv) in v.as_object().cloned().unwrap_or_default() {
                    body["metadata"][mk] = mv;
                }
            } else {
                body[k] = v;
            }
        }
    }
    Obj::new(gr, ns, body)
}

/// A CRD object for `plural.group` with the given scope.
pub fn crd(gr: &str, kind: &str, namespaced: bool) -> Obj {
    let (plural, group) = gr.split_once('.').expect("plural.group");
    obj(
        "customresourcedefinitions.apiextensions.k8s.io",
        gr,
        json!({"spec": {"group": group, "scope": if namespaced { "Namespaced" } else { "Cluster" },
            "names": {"plural": plural, "kind": kind, "singular": kind.to_lowercase()},
            "versions": [{"name": "v1", "served": true, "storage": true}]}}),
    )
}

/// A generated backup tarball in a temporary folder.
pub struct TestArchive {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

pub fn archive(objs: &[Obj]) -> TestArchive {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("backup.tar.gz");
    let tar = fixture_gen::tar_bytes(objs, &[]).expect("tar");
    std::fs::write(&path, fixture_gen::gzip(&tar).expect("gzip")).expect("write");
    TestArchive { dir, path }
}

impl TestArchive {
    /// Writes a file (a spec, a policy) next to the archive and returns its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p.to_string_lossy().into_owned()
    }

    pub fn preview(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["preview", path_str(&self.path), "-o", "json"];
        all.extend_from_slice(args);
        json(&all)
    }

    /// Runs preview with a spec applied as Velero's backupper tests apply it: no controller.
    pub fn backupper(&self, spec: serde_json::Value) -> BTreeSet<String> {
        let f = self.file("spec.json", &spec.to_string());
        included(&self.preview(&["--spec", &f, "--as-stored"]))
    }
}

fn key_of(v: &serde_json::Value) -> String {
    let r = v["resource"].as_str().unwrap();
    let n = v["name"].as_str().unwrap();
    match v["namespace"].as_str() {
        Some(ns) => format!("{r}/{ns}/{n}"),
        None => format!("{r}/{n}"),
    }
}

pub fn included(report: &serde_json::Value) -> BTreeSet<String> {
    report["included"]
        .as_array()
        .expect("included")
        .iter()
        .map(key_of)
        .collect()
}

/// `key -> reason` of the excluded items (needs --explain).
pub fn excluded(report: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    report["excluded"]
        .as_array()
        .expect("excluded (run with --explain)")
        .iter()
        .map(|v| (key_of(v), v["reason"].as_str().unwrap().to_string()))
        .collect()
}

pub fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Runs veloscope expecting a refusal: exit 2, and `says` on stderr. Returns stderr.
pub fn refused(args: &[&str], says: &str) -> String {
    let out = veloscope(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(says), "{args:?}: {err}");
    err
}

/// A started `veloscope serve`: its plain-HTTP URL, the bearer token of the kubeconfig it wrote
/// (None with `--no-auth`), the web UI's one-time login link, and the kubeconfig's path.
pub struct Spawned {
    pub child: std::process::Child,
    pub url: String,
    pub token: Option<String>,
    pub login: Option<String>,
    pub kubeconfig: std::path::PathBuf,
    /// What it printed at start.
    pub banner: String,
}

/// Starts `veloscope serve` as `command` describes and waits until it listens. Its stderr keeps
/// being drained, so the server never blocks on a full pipe.
pub fn spawn_serve(command: &mut Command) -> Spawned {
    use std::io::BufRead;
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start veloscope serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = std::io::BufReader::new(stderr).lines();
    let (mut url, mut login, mut banner) = (None, None, String::new());
    let kubeconfig = loop {
        let line = lines
            .next()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("veloscope serve ended before listening: {banner}"));
        banner.push_str(&line);
        banner.push('\n');
        if let Some(u) = line.split(" read-only at ").nth(1) {
            url = Some(u.trim().to_string());
        }
        if let Some(l) = line.split("(this link works once): ").nth(1) {
            login = Some(l.trim().to_string());
        }
        if let Some(k) = line.trim().strip_prefix("KUBECONFIG=") {
            break std::path::PathBuf::from(k.split(' ').next().unwrap_or(""));
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let config = std::fs::read_to_string(&kubeconfig).expect("the kubeconfig serve wrote");
    let token = config
        .lines()
        .find_map(|l| l.trim().strip_prefix("token: "))
        .map(|t| t.trim_matches(|c| c == '\'' || c == '"').to_string());
    Spawned {
        child,
        url: url.expect("the URL"),
        token,
        login,
        kubeconfig,
        banner,
    }
}

/// An HTTP/1.1 chunked body, joined.
pub fn unchunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            out.push_str(rest.get(..n.min(rest.len())).unwrap_or(""));
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Writes a Completed backup named `name`, started at `started`, holding `objects`, into the
/// location folder `root` (`root/backups/NAME/`, as Velero lays it out).
pub fn write_backup(root: &Path, name: &str, started: &str, objects: Vec<Obj>) {
    fixture_gen::Folder {
        name,
        codec: fixture_gen::Codec::Gzip,
        objects,
        extra_entries: vec![],
        backup: Some(
            json!({"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": name},
            "spec": {}, "status": {"phase": "Completed", "startTimestamp": started}}),
        ),
        results: json!({"errors": {}, "warnings": {}}),
        volume_info: json!([]),
    }
    .write(root)
    .expect("backup");
}
