//! `veloscope serve` driven by the real `kubectl` (the tests that need it are ignored where it is
//! missing; `.ci/run` installs it and runs them), and by raw HTTP for hostile requests. Every
//! server serves a copy: serving indexes the backup, and fixtures stay untouched.

use crate::common::*;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

struct Server {
    child: Child,
    url: String,
    token: Option<String>,
    kubeconfig: PathBuf,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let p = e.expect("entry").path();
        let target = to.join(p.file_name().expect("name"));
        if p.is_dir() {
            copy_dir(&p, &target);
        } else if !p.to_string_lossy().ends_with(".vsidx") {
            std::fs::copy(&p, &target).expect("copy");
        }
    }
}

/// Serves `source` (copied into a temporary folder first) on a free loopback port.
fn serve(source: &Path, extra: &[&str]) -> Server {
    serve_with(source, extra, &[])
}

fn serve_with(source: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join(source.file_name().expect("name"));
    if source.is_dir() {
        copy_dir(source, &copy);
    } else {
        std::fs::copy(source, &copy).expect("copy");
    }
    let kubeconfig = dir.path().join("kubeconfig");
    let spawned = spawn_serve(
        Command::new(env!("CARGO_BIN_EXE_veloscope"))
            .args([
                "serve",
                path_str(&copy),
                "--listen",
                "127.0.0.1:0",
                "--write-kubeconfig",
            ])
            .arg(&kubeconfig)
            .args(extra)
            .envs(env.iter().copied()),
    );
    Server {
        child: spawned.child,
        url: spawned.url,
        token: spawned.token,
        kubeconfig,
        dir,
    }
}

fn require_kubectl() {
    let found = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "these tests need kubectl on PATH (.ci/run installs it)"
    );
}

fn kubectl(s: &Server, args: &[&str]) -> Output {
    let cache = s.dir.path().join("kube-cache");
    Command::new("kubectl")
        .args(args)
        .arg(format!("--cache-dir={}", cache.display()))
        .arg("--request-timeout=30s")
        .env("KUBECONFIG", &s.kubeconfig)
        .output()
        .expect("run kubectl")
}

fn ok(s: &Server, args: &[&str]) -> String {
    let out = kubectl(s, args);
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A backup with a pod, an event about it, a labelled and an unlabelled config map, a CRD and
/// one of its objects.
fn small_cluster() -> TestArchive {
    archive(&[
        obj("namespaces", "app", json!({"status": {"phase": "Active"}})),
        obj(
            "namespaces",
            "other",
            json!({"status": {"phase": "Active"}}),
        ),
        obj(
            "pods",
            "app/web",
            json!({"metadata": {"uid": "uid-web", "labels": {"app": "web"}, "creationTimestamp": "2024-01-01T00:00:00Z"},
                "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "nginx:1.25"}]},
                "status": {"phase": "Running", "podIP": "10.0.0.7",
                    "containerStatuses": [{"name": "c", "ready": true, "restartCount": 3, "state": {"running": {}}}]}}),
        ),
        obj(
            "pods",
            "app/db",
            json!({"metadata": {"uid": "uid-db", "labels": {"app": "db"}},
                "spec": {"containers": [{"name": "c", "image": "postgres"}]}, "status": {"phase": "Pending"}}),
        ),
        obj(
            "events",
            "app/web.17a",
            json!({"involvedObject": {"kind": "Pod", "name": "web", "namespace": "app", "uid": "uid-web"},
                "reason": "Pulled", "message": "Container image nginx:1.25 pulled", "type": "Normal",
                "lastTimestamp": "2024-01-01T00:00:05Z"}),
        ),
        obj(
            "configmaps",
            "app/settings",
            json!({"metadata": {"labels": {"tier": "web"}}, "data": {"a": "1", "b": "2"}}),
        ),
        obj("configmaps", "other/plain", json!({"data": {}})),
        crd("widgets.example.com", "Widget", true),
        obj(
            "widgets.example.com",
            "app/w1",
            json!({"spec": {"size": 3}}),
        ),
        // A CRD in the `all` category: `kubectl get all` lists its objects.
        obj(
            "customresourcedefinitions.apiextensions.k8s.io",
            "gadgets.example.com",
            json!({"spec": {"group": "example.com", "scope": "Namespaced",
                "names": {"plural": "gadgets", "kind": "Gadget", "singular": "gadget",
                    "categories": ["all", "toys"]},
                "versions": [{"name": "v1", "served": true, "storage": true}]}}),
        ),
        obj("gadgets.example.com", "app/g1", json!({"spec": {}})),
        obj(
            "deployments.apps",
            "app/front",
            json!({"spec": {"replicas": 3, "selector": {"matchLabels": {"app": "front"}}},
                "status": {"replicas": 2, "readyReplicas": 2}}),
        ),
    ])
}

#[test]
#[ignore = "needs the kubectl binary (.ci/run installs it)"]
fn kubectl_browses_a_backup_as_a_cluster() {
    require_kubectl();
    let a = small_cluster();
    let s = serve(&a.path, &[]);
    // `get all` and `get toys` follow discovery's categories: the built-ins kubectl's `all`
    // holds, and a CRD's own.
    let all = ok(&s, &["get", "all", "-n", "app", "-o", "name"]);
    assert!(
        all.contains("pod/web") && all.contains("gadget.example.com/g1"),
        "{all}"
    );
    assert!(
        !all.contains("widget") && !all.contains("configmap"),
        "{all}"
    );
    let toys = ok(&s, &["get", "toys", "-A", "-o", "name"]);
    assert_eq!(toys.trim(), "gadget.example.com/g1");
    // The status and scale subresources, as kubectl --subresource asks for them.
    let scale = ok(
        &s,
        &["get", "deploy", "front", "-n", "app", "--subresource=scale"],
    );
    let mut lines = scale.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    assert_eq!(header, ["NAME", "DESIRED", "AVAILABLE", "AGE"], "{scale}");
    let row: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    assert_eq!(&row[..3], ["front", "3", "2"], "{scale}");
    let scale: serde_json::Value = serde_json::from_str(&ok(
        &s,
        &[
            "get",
            "deploy",
            "front",
            "-n",
            "app",
            "--subresource=scale",
            "-o",
            "json",
        ],
    ))
    .expect("a Scale");
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["spec"]["replicas"], 3);
    assert_eq!(scale["status"]["selector"], "app=front");
    let phase = ok(
        &s,
        &[
            "get",
            "pod",
            "web",
            "-n",
            "app",
            "--subresource=status",
            "-o",
            "jsonpath={.status.phase}",
        ],
    );
    assert_eq!(phase, "Running");
    let out = kubectl(
        &s,
        &[
            "get",
            "configmap",
            "settings",
            "-n",
            "app",
            "--subresource=status",
        ],
    );
    assert!(
        !out.status.success(),
        "configmaps have no status subresource"
    );
    // Tables with the columns kubectl users expect, across namespaces.
    let table = ok(&s, &["get", "pods", "-A"]);
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        "{table}"
    );
    assert!(
        table.lines().any(|l| l.starts_with("app")
            && l.contains("web")
            && l.contains("1/1")
            && l.contains("Running")),
        "{table}"
    );
    let wide = ok(&s, &["get", "po", "-n", "app", "-o", "wide"]);
    assert!(
        wide.contains("10.0.0.7") && wide.contains("node-1"),
        "{wide}"
    );
    // -o json|yaml|name, selectors.
    let list: Value =
        serde_json::from_str(&ok(&s, &["get", "pods", "-n", "app", "-o", "json"])).expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
    let yaml = ok(&s, &["get", "pod", "web", "-n", "app", "-o", "yaml"]);
    assert!(yaml.contains("image: nginx:1.25"), "{yaml}");
    assert_eq!(
        ok(
            &s,
            &["get", "pods", "-n", "app", "-o", "name", "-l", "app=db"]
        )
        .trim(),
        "pod/db"
    );
    let field = ok(
        &s,
        &[
            "get",
            "pods",
            "-A",
            "-o",
            "name",
            "--field-selector",
            "metadata.name=web",
        ],
    );
    assert_eq!(field.trim(), "pod/web");
    let labelled = ok(&s, &["get", "cm", "-A", "-l", "tier=web", "-o", "name"]);
    assert_eq!(labelled.trim(), "configmap/settings");
    // describe finds the pod's events by its involvedObject fields.
    let described = ok(&s, &["describe", "pod", "web", "-n", "app"]);
    assert!(
        described.contains("Container image nginx:1.25 pulled"),
        "{described}"
    );
    // CRDs, custom resources and discovery.
    assert!(ok(&s, &["get", "crd"]).contains("widgets.example.com"));
    assert!(ok(&s, &["get", "widgets", "-n", "app"]).contains("w1"));
    let resources = ok(&s, &["api-resources"]);
    assert!(
        resources
            .lines()
            .any(|l| l.starts_with("pods") && l.contains(" po ")),
        "{resources}"
    );
    // Read-only: a write is refused with the apiserver's reason.
    let out = kubectl(&s, &["delete", "pod", "web", "-n", "app"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("MethodNotAllowed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kubectl(&s, &["get", "pod", "nope", "-n", "app"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pods \"nope\" not found"), "{err}");
}

#[test]
#[ignore = "needs the kubectl binary (.ci/run installs it)"]
fn a_location_serves_each_backup_under_its_prefix() {
    require_kubectl();
    let s = serve(&fixture("bsl"), &[]);
    let contexts = ok(&s, &["config", "get-contexts", "-o", "name"]);
    for b in ["edge-cases", "k3s-124", "sonobuoy-k8s114"] {
        assert!(contexts.lines().any(|c| c == b), "{contexts}");
    }
    let k3s = ok(
        &s,
        &[
            "--context",
            "k3s-124",
            "get",
            "deploy",
            "-n",
            "kube-system",
            "-o",
            "name",
        ],
    );
    assert!(k3s.contains("deployment.apps/coredns"), "{k3s}");
    let sono = ok(
        &s,
        &["--context", "sonobuoy-k8s114", "get", "ns", "-o", "name"],
    );
    assert!(sono.contains("namespace/heptio-sonobuoy"), "{sono}");
    let server = format!(
        "{}/backups/no-such-backup",
        s.url.replace("http://", "https://")
    );
    let out = kubectl(&s, &["--server", &server, "get", "pods"]);
    assert!(!out.status.success());
}

#[test]
#[ignore = "needs the kubectl binary (.ci/run installs it)"]
fn a_token_is_required_when_set_and_tls_works() {
    require_kubectl();
    let a = small_cluster();
    // A self-signed certificate the kubeconfig trusts (kubectl sends a bearer token only over TLS).
    let (cert, key) = (a.dir.path().join("tls.crt"), a.dir.path().join("tls.key"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=veloscope",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let token_file = a.dir.path().join("token");
    let tls = ["--tls-cert", path_str(&cert), "--tls-key", path_str(&key)];
    let s = serve(
        &a.path,
        &[&["--token-file", path_str(&token_file)][..], &tls].concat(),
    );
    let config = std::fs::read_to_string(&s.kubeconfig).expect("kubeconfig");
    assert!(config.contains("server: https://127.0.0.1:"), "{config}");
    assert!(ok(&s, &["get", "pods", "-n", "app", "-o", "name"]).contains("pod/web"));
    let out = kubectl(&s, &["--token", "wrong", "get", "pods", "-n", "app"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Unauthorized") || err.contains("provide credentials"),
        "{err}"
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&token_file).expect("token").permissions(),
    );
    assert_eq!(mode & 0o077, 0, "the token file is the owner's alone");
    // The same token file serves again (read, not replaced).
    let again = serve(
        &a.path,
        &[&["--token-file", path_str(&token_file)][..], &tls].concat(),
    );
    assert!(ok(&again, &["get", "ns", "-o", "name"]).contains("namespace/app"));
}

/// Beyond loopback the server refuses to start without a token and TLS.
#[test]
fn beyond_loopback_needs_a_token_and_tls() {
    let a = small_cluster();
    refused(
        &["serve", path_str(&a.path), "--listen", "0.0.0.0:0"],
        "not a loopback address",
    );
}

/// One raw HTTP/1.1 request to `s`, its Host and bearer token added after the request line.
fn raw(s: &Server, request: &str) -> (u16, String) {
    let (line, rest) = request.split_once("\r\n").expect("a request line");
    let auth = s
        .token
        .as_ref()
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    send(
        &s.url,
        &format!("{line}\r\nHost: 127.0.0.1\r\n{auth}{rest}"),
    )
}

/// One raw HTTP/1.1 request as it is; the status code and body.
fn send(url: &str, request: &str) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    let _ = conn.write_all(request.as_bytes());
    let mut text = Vec::new();
    let _ = conn.read_to_end(&mut text);
    let text = String::from_utf8_lossy(&text).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        unchunk(body)
    } else {
        body.split("\r\n\r\n").next().unwrap_or("").to_string()
    };
    (code, body)
}

/// The names of the objects a list answers (200 asserted).
fn listed_names(s: &Server, path: &str) -> Vec<String> {
    let (code, body) = get(s, path);
    assert_eq!(code, 200, "{path}: {body}");
    let list: Value = serde_json::from_str(&body).expect("JSON");
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|o| o["metadata"]["name"].as_str().map(str::to_string))
        .collect()
}

fn get(s: &Server, path: &str) -> (u16, String) {
    raw(
        s,
        &format!("GET {path} HTTP/1.1\r\nConnection: close\r\n\r\n"),
    )
}

/// A held watch that allows bookmarks gets one now and then (the apiserver's about once a
/// minute; every 400 ms here), each with the backup's resourceVersion; one that does not allow
/// them gets none.
#[test]
fn a_held_watch_gets_periodic_bookmarks_when_it_allows_them() {
    let a = small_cluster();
    let s = serve_with(
        &a.path,
        &[],
        &[("VELOSCOPE_SERVE_LIMITS", "15000,30000,262144,400")],
    );
    let events = |path: &str| -> Vec<Value> {
        let (code, body) = get(&s, path);
        assert_eq!(code, 200, "{path}: {body}");
        body.lines()
            .filter_map(|l| {
                serde_json::from_str(l.trim_start_matches(|c: char| c.is_ascii_hexdigit())).ok()
            })
            .collect()
    };
    let allowed =
        events("/api/v1/namespaces/app/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=2");
    let bookmarks: Vec<&Value> = allowed.iter().filter(|e| e["type"] == "BOOKMARK").collect();
    assert!(bookmarks.len() >= 3, "{allowed:?}");
    for b in &bookmarks {
        assert_eq!(b["object"]["kind"], "Pod");
        assert_eq!(b["object"]["apiVersion"], "v1");
        assert!(
            b["object"]["metadata"]["resourceVersion"].is_string(),
            "{b}"
        );
    }
    // The objects come first, then only bookmarks.
    let first_bookmark = allowed.iter().position(|e| e["type"] == "BOOKMARK");
    assert!(
        allowed[..first_bookmark.unwrap_or(0)]
            .iter()
            .all(|e| e["type"] == "ADDED"),
        "{allowed:?}"
    );
    let plain = events("/api/v1/namespaces/app/pods?watch=true&timeoutSeconds=1");
    assert!(plain.iter().all(|e| e["type"] == "ADDED"), "{plain:?}");
}

/// `serve` runs with transparent huge pages off (a server's sparse heaps kept whole 2 MiB pages
/// resident for a few live KiB), as its process's own flag; `MIMALLOC_ALLOW_THP` set by the user
/// leaves the flag alone.
#[test]
fn serve_runs_without_transparent_huge_pages() {
    let thp_flag = |pid: u32| -> Option<String> {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("THP_enabled:"))
            .map(|v| v.trim().to_string())
    };
    let ours = thp_flag(std::process::id());
    assert!(
        ours.is_some(),
        "this kernel reports no THP_enabled in /proc/PID/status (Linux 5.0 and later do)"
    );
    let a = small_cluster();
    let s = serve(&a.path, &[]);
    let (code, _) = get(&s, "/api/v1/pods?limit=1");
    assert_eq!(code, 200);
    assert_eq!(thp_flag(s.child.id()).as_deref(), Some("0"));
    let told = serve_with(&a.path, &[], &[("MIMALLOC_ALLOW_THP", "1")]);
    assert_eq!(thp_flag(told.child.id()), ours);
}

fn active_namespace(name: &str) -> fixture_gen::Obj {
    obj("namespaces", name, json!({"status": {"phase": "Active"}}))
}

/// A location holding one backup, `monday`, served with its listing read again every 300 ms
/// (10 s by default).
fn location_read_again_every_300ms() -> (tempfile::TempDir, Server) {
    let made = tempfile::tempdir().expect("tempdir");
    let root = made.path().join("bsl");
    write_backup(
        &root,
        "monday",
        "2024-01-01T00:00:00Z",
        vec![active_namespace("app")],
    );
    let s = serve_with(
        &root,
        &[],
        &[("VELOSCOPE_SERVE_LIMITS", "15000,30000,262144,60000,300")],
    );
    (made, s)
}

/// Velero uploads backup `name` into the location the server serves (its own copy).
fn upload(s: &Server, name: &str, started: &str, namespaces: &[&str]) {
    let objects = namespaces.iter().map(|n| active_namespace(n)).collect();
    write_backup(&s.dir.path().join("bsl"), name, started, objects);
}

/// A backup Velero uploads after the server started shows up once the listing is read again
/// (every 10 s by default; 300 ms here): at Velero's root and as a backup to browse.
#[test]
fn a_backup_added_after_start_is_served_after_a_rescan() {
    let (_made, s) = location_read_again_every_300ms();
    let backups = "/apis/velero.io/v1/namespaces/velero/backups";
    assert_eq!(listed_names(&s, backups), ["monday"]);
    let (code, _) = get(&s, "/backups/tuesday/api/v1/namespaces");
    assert_eq!(code, 404, "not there yet");
    upload(&s, "tuesday", "2024-01-02T00:00:00Z", &["app", "shop"]);
    std::thread::sleep(std::time::Duration::from_millis(400));
    let mut names = listed_names(&s, backups);
    names.sort();
    assert_eq!(names, ["monday", "tuesday"]);
    assert_eq!(
        listed_names(&s, "/backups/tuesday/api/v1/namespaces"),
        ["app", "shop"]
    );
}

/// The written kubeconfig follows the location: a backup uploaded while serving gets its
/// context without any request (kubectl reads the file, not the server, for its contexts), and
/// the context the user made current stays current.
#[test]
fn the_kubeconfig_gains_a_context_for_a_backup_added_after_start() {
    let (_made, s) = location_read_again_every_300ms();
    let config = |s: &Server| -> Value {
        let text = std::fs::read_to_string(&s.kubeconfig).expect("kubeconfig");
        veloscope_core::manifest_value(&text).expect("YAML")
    };
    let contexts = |c: &Value| -> Vec<String> {
        let mut names: Vec<String> = c["contexts"]
            .as_array()
            .expect("contexts")
            .iter()
            .filter_map(|x| x["name"].as_str().map(str::to_string))
            .collect();
        names.sort();
        names
    };
    let first = config(&s);
    assert_eq!(contexts(&first), ["monday", "velero"]);
    assert_eq!(first["current-context"], "monday");
    // The user picks Velero's API as the current context (as `kubectl config use-context`).
    let text = std::fs::read_to_string(&s.kubeconfig).expect("kubeconfig");
    std::fs::write(
        &s.kubeconfig,
        text.replace("current-context: monday", "current-context: velero"),
    )
    .expect("use-context");
    upload(&s, "tuesday", "2024-01-02T00:00:00Z", &["app"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut now = config(&s);
    while contexts(&now).len() < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        now = config(&s);
    }
    assert_eq!(contexts(&now), ["monday", "tuesday", "velero"]);
    assert_eq!(
        now["current-context"], "velero",
        "the user's choice is kept"
    );
    let tuesday = now["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .find(|c| c["name"] == "tuesday")
        .expect("tuesday's cluster");
    assert!(
        tuesday["cluster"]["server"]
            .as_str()
            .is_some_and(|u| u.ends_with("/backups/tuesday")),
        "{tuesday}"
    );
}

/// Hostile and malformed requests get Status errors (or a refused connection for a header too
/// large), and the server goes on serving.
#[test]
fn hostile_requests_get_status_errors_and_the_server_goes_on() {
    let a = small_cluster();
    let s = serve(&a.path, &[]);
    let status = |body: &str| -> Value {
        let json = body
            .find('{')
            .map_or("", |i| &body[i..body.rfind('}').map_or(i, |j| j + 1)]);
        serde_json::from_str(json).unwrap_or(Value::Null)
    };
    for (path, code, reason) in [
        (
            "/api/v1/namespaces/app/pods/..%2F..%2Fetc%2Fpasswd",
            400,
            "BadRequest",
        ),
        (
            "/api/v1/namespaces/app/pods?labelSelector=app%3D%3D%3Dx%20in",
            400,
            "BadRequest",
        ),
        (
            "/api/v1/pods?fieldSelector=spec.secret%3Dx",
            400,
            "BadRequest",
        ),
        ("/api/v1/pods?continue=garbage", 400, "BadRequest"),
        ("/api/v1/gadgets", 404, "NotFound"),
        ("/apis/example.com/v9/widgets", 404, "NotFound"),
        ("/api/v1/namespaces/app/pods/nope", 404, "NotFound"),
        ("/etc/passwd", 404, "NotFound"),
    ] {
        let (got, body) = get(&s, path);
        assert_eq!(got, code, "{path}: {body}");
        let st = status(&body);
        assert_eq!(st["kind"], "Status", "{path}: {body}");
        assert_eq!(st["reason"], reason, "{path}: {body}");
    }
    let big = "x".repeat(2 << 20);
    let (code, body) = raw(
        &s,
        &format!(
            "POST /api/v1/namespaces/app/pods HTTP/1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{big}",
            big.len()
        ),
    );
    assert_eq!(code, 405, "{body}");
    let (code, _) = raw(
        &s,
        &format!(
            "GET /api/v1/pods HTTP/1.1\r\nX-Big: {}\r\n\r\n",
            "y".repeat(1 << 20)
        ),
    );
    assert_ne!(code, 200, "an oversized header is refused");
    // Still serving, and pages are honoured.
    let (code, body) = get(&s, "/api/v1/namespaces/app/pods?limit=1");
    assert_eq!(code, 200, "{body}");
    let page = status(&body);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{body}");
    let next = page["metadata"]["continue"]
        .as_str()
        .expect("continue")
        .to_string();
    // Another list in between: the next page is still of the pods of `app`.
    let (code, _) = get(&s, "/api/v1/configmaps");
    assert_eq!(code, 200);
    let (_, body) = get(
        &s,
        &format!("/api/v1/namespaces/app/pods?limit=1&continue={next}"),
    );
    let rest = status(&body);
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(1), "{body}");
    assert_ne!(
        rest["items"][0]["metadata"]["name"],
        page["items"][0]["metadata"]["name"]
    );
    assert_eq!(rest["items"][0]["metadata"]["namespace"], "app");
    assert!(rest["metadata"].get("continue").is_none(), "{body}");
}

/// A watch sends every current object as ADDED, then holds until its timeout: a backup does not
/// change.
#[test]
fn a_watch_sends_the_objects_then_holds_until_its_timeout() {
    let a = small_cluster();
    let s = serve(&a.path, &[]);
    let started = std::time::Instant::now();
    let (code, body) = get(
        &s,
        "/api/v1/namespaces/app/pods?watch=true&timeoutSeconds=2",
    );
    assert_eq!(code, 200, "{body}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "held open"
    );
    let events: Vec<Value> = body
        .lines()
        .filter_map(|l| {
            serde_json::from_str(l.trim_start_matches(|c: char| c.is_ascii_hexdigit())).ok()
        })
        .collect();
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "ADDED")
        .filter_map(|e| e["object"]["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["db", "web"], "{body}");
    let events_of = |path: &str| -> Vec<Value> {
        let (code, body) = get(&s, path);
        assert_eq!(code, 200, "{path}: {body}");
        body.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    };
    // From a list's resourceVersion only changes come, and a backup has none: kubectl get -w
    // prints each object once (from its list), not twice.
    let list: Value =
        serde_json::from_str(&get(&s, "/api/v1/namespaces/app/pods").1).expect("list");
    let rv = list["metadata"]["resourceVersion"].as_str().expect("rv");
    assert!(
        events_of(&format!(
            "/api/v1/namespaces/app/pods?watch=true&resourceVersion={rv}&timeoutSeconds=1"
        ))
        .is_empty()
    );
    // sendInitialEvents: the objects, then the bookmark that ends them.
    let streamed = events_of(
        "/api/v1/namespaces/app/pods?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1",
    );
    let types: Vec<&str> = streamed.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(types, ["ADDED", "ADDED", "BOOKMARK"], "{streamed:?}");
    assert_eq!(
        streamed[2]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
}

/// Velero's own API at a location's root: the stored Backups, and `kubectl create
/// --dry-run=server` of Backups validated as `veloscope validate` does, with the apiserver's
/// fieldValidation (Strict: 400, Warn: warnings, Ignore: silent), schema and admission failures
/// as 422 Invalid, and no create without dry-run.
#[test]
#[ignore = "needs the kubectl binary (.ci/run installs it)"]
fn velero_api_over_a_location_validates_dry_runs() {
    require_kubectl();
    let s = serve(&fixture("bsl"), &[]);
    let ctx = ["--context", "velero"];
    let listed = ok(
        &s,
        &[&ctx[..], &["get", "backups", "-n", "velero", "-o", "name"]].concat(),
    );
    for b in ["edge-cases", "k3s-124", "sonobuoy-k8s114"] {
        assert!(
            listed.contains(&format!("backup.velero.io/{b}")),
            "{listed}"
        );
    }
    let phase = ok(
        &s,
        &[
            &ctx[..],
            &[
                "get",
                "backup",
                "k3s-124",
                "-n",
                "velero",
                "-o",
                "jsonpath={.status.phase}",
            ],
        ]
        .concat(),
    );
    assert_eq!(phase, "Completed");
    let file = |name: &str, spec: &str| {
        let p = s.dir.path().join(format!("{name}.yaml"));
        let text = format!(
            "apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: {name}\n  namespace: velero\nspec:\n{spec}"
        );
        std::fs::write(&p, text).expect("write");
        p.to_string_lossy().into_owned()
    };
    let good = file("nightly", "  includedNamespaces: [shop]\n  ttl: 72h0m0s\n");
    let created = ok(
        &s,
        &[&ctx[..], &["create", "-f", &good, "--dry-run=server"]].concat(),
    );
    assert!(
        created.contains("backup.velero.io/nightly created (server dry run)"),
        "{created}"
    );
    let create = |f: &str, extra: &[&str]| {
        kubectl(
            &s,
            &[&ctx[..], &["create", "-f", f, "--dry-run=server"], extra].concat(),
        )
    };
    let invalid = create(&file("broken", "  ttl: 3 days\n"), &[]);
    assert!(!invalid.status.success());
    let err = String::from_utf8_lossy(&invalid.stderr);
    assert!(
        err.contains("is invalid") && err.contains("spec.ttl"),
        "{err}"
    );
    let typo = file("typo", "  includedNamespace: [shop]\n");
    let strict = create(&typo, &[]);
    assert!(!strict.status.success());
    let err = String::from_utf8_lossy(&strict.stderr);
    assert!(
        err.contains("BadRequest")
            && err.contains("unknown field")
            && err.contains("spec.includedNamespace"),
        "{err}"
    );
    let warn = create(&typo, &["--validate=warn"]);
    assert!(
        warn.status.success(),
        "{}",
        String::from_utf8_lossy(&warn.stderr)
    );
    assert!(String::from_utf8_lossy(&warn.stderr).contains("spec.includedNamespace"));
    let ignore = create(&typo, &["--validate=false"]);
    assert!(ignore.status.success());
    assert!(!String::from_utf8_lossy(&ignore.stderr).contains("includedNamespace"));
    let real = kubectl(&s, &[&ctx[..], &["create", "-f", &good]].concat());
    assert!(String::from_utf8_lossy(&real.stderr).contains("MethodNotAllowed"));
    let explained = ok(&s, &[&ctx[..], &["explain", "backups.spec.ttl"]].concat());
    assert!(
        explained.contains("KIND:       Backup") || explained.contains("KIND:     Backup"),
        "{explained}"
    );
}

/// The rest of the write verbs at Velero's root, with `dryRun=All` only: `kubectl diff -f` of a
/// stored Backup (a merge patch), `kubectl apply --server-side --dry-run=server` (an apply patch),
/// `kubectl replace` and `kubectl delete` with `--dry-run=server`; nothing is written, and
/// without the dry run each is refused (405). A strategic merge patch, which the apiserver takes
/// only for built-in kinds, is 415.
#[test]
#[ignore = "needs the kubectl binary (.ci/run installs it)"]
fn velero_api_answers_patch_replace_and_delete_dry_runs() {
    require_kubectl();
    let s = serve(&fixture("bsl"), &[]);
    let ctx = ["--context", "velero"];
    let stored: Value = serde_json::from_str(&ok(
        &s,
        &[
            &ctx[..],
            &["get", "backup", "k3s-124", "-n", "velero", "-o", "json"],
        ]
        .concat(),
    ))
    .expect("the stored Backup");
    let mut changed = stored.clone();
    changed["spec"]["ttl"] = json!("1h0m0s");
    let path = s.dir.path().join("k3s-124.json");
    std::fs::write(&path, changed.to_string()).expect("write");
    let file = path_str(&path);
    // kubectl diff: exit 1 and the ttl line changed.
    let diff = kubectl(&s, &[&ctx[..], &["diff", "-f", file]].concat());
    let shown = String::from_utf8_lossy(&diff.stdout);
    assert_eq!(diff.status.code(), Some(1), "{shown}{}", stderr(&diff));
    assert!(
        shown.contains("+  ttl: 1h0m0s")
            && shown.contains(&format!(
                "-  ttl: {}",
                stored["spec"]["ttl"].as_str().unwrap_or("")
            )),
        "{shown}"
    );
    // The same file unchanged: no difference.
    let same = s.dir.path().join("same.json");
    std::fs::write(&same, stored.to_string()).expect("write");
    let diff = kubectl(&s, &[&ctx[..], &["diff", "-f", path_str(&same)]].concat());
    assert_eq!(
        diff.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&diff.stdout)
    );
    let applied = ok(
        &s,
        &[
            &ctx[..],
            &["apply", "--server-side", "--dry-run=server", "-f", file],
        ]
        .concat(),
    );
    assert!(
        applied.contains("backup.velero.io/k3s-124 serverside-applied (server dry run)"),
        "{applied}"
    );
    let replaced = ok(
        &s,
        &[&ctx[..], &["replace", "--dry-run=server", "-f", file]].concat(),
    );
    assert!(
        replaced.contains("backup.velero.io/k3s-124 replaced (server dry run)"),
        "{replaced}"
    );
    let deleted = ok(
        &s,
        &[
            &ctx[..],
            &[
                "delete",
                "backup",
                "k3s-124",
                "-n",
                "velero",
                "--dry-run=server",
            ],
        ]
        .concat(),
    );
    assert!(
        deleted.contains("backup.velero.io \"k3s-124\" deleted (server dry run)"),
        "{deleted}"
    );
    // Without the dry run: refused, and the backup is still there.
    let real = kubectl(
        &s,
        &[&ctx[..], &["delete", "backup", "k3s-124", "-n", "velero"]].concat(),
    );
    assert!(!real.status.success());
    assert!(
        stderr(&real).contains("MethodNotAllowed"),
        "{}",
        stderr(&real)
    );
    ok(
        &s,
        &[&ctx[..], &["get", "backup", "k3s-124", "-n", "velero"]].concat(),
    );
    // A patch of a Backup the location lacks is NotFound; an invalid result is 422.
    let missing = kubectl(
        &s,
        &[
            &ctx[..],
            &[
                "patch",
                "backup",
                "nope",
                "-n",
                "velero",
                "--type=merge",
                "-p",
                "{\"spec\":{}}",
                "--dry-run=server",
            ],
        ]
        .concat(),
    );
    assert!(
        stderr(&missing).contains("NotFound"),
        "{}",
        stderr(&missing)
    );
    let broken = kubectl(
        &s,
        &[
            &ctx[..],
            &[
                "patch",
                "backup",
                "k3s-124",
                "-n",
                "velero",
                "--type=merge",
                "-p",
                "{\"spec\":{\"ttl\":\"3 days\"}}",
                "--dry-run=server",
            ],
        ]
        .concat(),
    );
    assert!(
        stderr(&broken).contains("is invalid") && stderr(&broken).contains("spec.ttl"),
        "{}",
        stderr(&broken)
    );
    let strategic = raw(
        &s,
        "PATCH /apis/velero.io/v1/namespaces/velero/backups/k3s-124?dryRun=All HTTP/1.1\r\nContent-Type: application/strategic-merge-patch+json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    );
    assert_eq!(strategic.0, 415, "{}", strategic.1);
    // deletecollection: with the dry run, the Backups the selector picks, as a list; without
    // it, 405; and every Backup is still there.
    let all_backups = listed_names(&s, "/apis/velero.io/v1/namespaces/velero/backups");
    assert!(all_backups.len() > 1, "{all_backups:?}");
    let (code, body) = raw(
        &s,
        "DELETE /apis/velero.io/v1/namespaces/velero/backups?dryRun=All&fieldSelector=metadata.name%3Dk3s-124 HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(code, 200, "{body}");
    let list: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(list["kind"], "BackupList");
    let names: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|o| o["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["k3s-124"]);
    let (code, body) = raw(
        &s,
        "DELETE /apis/velero.io/v1/namespaces/velero/backups HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(code, 405, "{body}");
    assert_eq!(
        listed_names(&s, "/apis/velero.io/v1/namespaces/velero/backups"),
        all_backups
    );
}

/// Long work in the UI (a verify, a diff) answers at once with its progress, reloading itself,
/// and shows its outcome once done; other pages answer meanwhile.
#[test]
fn ui_long_work_shows_progress_then_its_outcome() {
    let s = serve_with(&fixture("bsl"), &[], &[("VELOSCOPE_UI_PATIENCE_MS", "0")]);
    let (code, first) = get(&s, "/ui/backups/k3s-124/verify");
    assert_eq!(code, 200, "{first}");
    assert!(
        first.contains("http-equiv=\"refresh\"") && first.contains("Working"),
        "{first}"
    );
    let (code, other) = get(&s, "/ui/");
    assert_eq!(code, 200);
    assert!(other.contains("k3s-124"));
    let mut page = String::new();
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        page = get(&s, "/ui/backups/k3s-124/verify").1;
        if !page.contains("Working") {
            break;
        }
    }
    assert!(page.contains("items checked"), "{page}");
    assert!(!page.contains("http-equiv"), "{page}");
}

/// `--no-index`: nothing is written beside the backup and every object is served from the
/// index the scan built (no seek points to read at).
#[test]
fn without_an_index_the_scan_serves_every_object() {
    let a = small_cluster();
    let s = serve(&a.path, &["--no-index"]);
    let (code, body) = get(&s, "/api/v1/namespaces/app/pods");
    assert_eq!(code, 200, "{body}");
    let list: Value = serde_json::from_str(&body).expect("JSON");
    assert!(
        list["items"].as_array().is_some_and(|i| !i.is_empty()),
        "{body}"
    );
    let sidecars = std::fs::read_dir(s.dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".vsidx"))
        })
        .count();
    assert_eq!(sidecars, 0, "no sidecar written with --no-index");
}

/// What kubectl and k9s ask before they show anything: every resource type the cluster had is
/// listable (empty where the backup holds none), `auth can-i` and `auth whoami` answer as the
/// apiserver would for a read-only user, and the health endpoints answer.
#[test]
#[ignore = "needs the kubectl binary (.ci/run installs it)"]
fn kubectl_preflight_calls_answer_as_an_apiserver() {
    require_kubectl();
    let a = small_cluster();
    let s = serve(&a.path, &[]);
    // The backup holds no Secret, no DaemonSet: empty lists, not "no such resource type".
    for kind in ["secrets", "daemonsets", "ingresses", "storageclasses"] {
        let out = kubectl(&s, &["get", kind, "-A"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{kind}: {err}");
        assert!(err.contains("No resources found"), "{kind}: {err}");
    }
    assert_eq!(ok(&s, &["auth", "can-i", "list", "pods"]).trim(), "yes");
    let denied = kubectl(&s, &["auth", "can-i", "delete", "pods"]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&denied.stdout).starts_with("no"));
    assert!(ok(&s, &["auth", "whoami"]).contains("veloscope"));
    assert!(ok(&s, &["auth", "can-i", "--list"]).contains("[get list watch]"));
    for health in ["/healthz", "/readyz", "/livez"] {
        assert_eq!(ok(&s, &["get", "--raw", health]), "ok");
    }
}

/// A backup has OpenAPI v2 and v3 as a cluster does: `kubectl explain` describes built-in kinds
/// (from Kubernetes' published schemas) and custom resources (from the archive's CRDs), and
/// `create`, `apply` and `diff` reach the server and get a clean 405 Status for the write.
#[test]
#[ignore = "needs the kubectl binary (.ci/run installs it)"]
fn kubectl_explains_kinds_and_writes_are_refused_cleanly() {
    require_kubectl();
    let mut widgets = crd("widgets.example.com", "Widget", true);
    widgets.body["spec"]["versions"][0]["schema"] = json!({"openAPIV3Schema": {"type": "object",
        "properties": {"spec": {"type": "object", "properties": {
            "size": {"type": "integer", "description": "How many parts a widget has."}}}}}});
    let a = archive(&[
        obj("namespaces", "app", json!({})),
        widgets,
        obj(
            "widgets.example.com",
            "app/w1",
            json!({"spec": {"size": 3}}),
        ),
        obj("configmaps", "app/settings", json!({"data": {"a": "b"}})),
    ]);
    let s = serve(&a.path, &[]);
    let image = ok(&s, &["explain", "pods.spec.containers.image"]);
    assert!(image.contains("KIND:       Pod"), "{image}");
    assert!(image.contains("FIELD: image <string>"), "{image}");
    let deployment = ok(&s, &["explain", "deployments.spec.replicas"]);
    assert!(deployment.contains("GROUP:      apps"), "{deployment}");
    assert!(deployment.contains("<integer>"), "{deployment}");
    let size = ok(&s, &["explain", "widgets.spec.size"]);
    assert!(size.contains("KIND:       Widget"), "{size}");
    assert!(size.contains("How many parts a widget has."), "{size}");
    let v2: Value = serde_json::from_str(&ok(&s, &["get", "--raw", "/openapi/v2"])).expect("JSON");
    assert_eq!(
        v2["definitions"]["io.k8s.api.core.v1.Pod"]["properties"]["spec"]["$ref"],
        "#/definitions/io.k8s.api.core.v1.PodSpec"
    );
    assert!(v2["definitions"]["com.example.v1.Widget"].is_object());
    let manifest = s.dir.path().join("cm.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: app}\ndata: {a: c}\n",
    )
    .expect("write");
    let file = manifest.to_str().expect("path");
    for verb in [
        &["create", "-f", file][..],
        &["apply", "-f", file],
        &["apply", "--server-side", "-f", file],
    ] {
        let out = kubectl(&s, verb);
        let err = stderr(&out);
        assert!(!out.status.success(), "{verb:?}");
        assert!(err.contains("MethodNotAllowed"), "{verb:?}: {err}");
        assert!(!err.contains("openapi"), "{verb:?}: {err}");
    }
    // What is stored is unchanged.
    assert_eq!(
        ok(
            &s,
            &[
                "get",
                "cm",
                "settings",
                "-n",
                "app",
                "-o",
                "jsonpath={.data.a}"
            ]
        ),
        "b"
    );
}

/// A list without `limit` carries every object, as the apiserver's does (no silent cut at a page
/// size the client never asked for); with `limit`, pages.
#[test]
fn a_list_without_limit_carries_everything() {
    let objects: Vec<_> = (0..10_050)
        .map(|i| obj("configmaps", &format!("bulk/cm-{i:05}"), json!({})))
        .collect();
    let a = archive(&objects);
    let s = serve(&a.path, &[]);
    let (code, body) = get(&s, "/api/v1/namespaces/bulk/configmaps");
    assert_eq!(code, 200);
    let list: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(10_050));
    assert!(list["metadata"].get("continue").is_none());
    // Streamed in chunks, yet every object once, in order.
    let names = listed_names(&s, "/api/v1/namespaces/bulk/configmaps");
    let want: Vec<String> = (0..10_050).map(|i| format!("cm-{i:05}")).collect();
    assert_eq!(names, want);
    let (_, body) = get(&s, "/api/v1/namespaces/bulk/configmaps?limit=500");
    let page: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(500));
    assert!(page["metadata"]["continue"].is_string());
    // As metadata only (what metadata informers list), streamed the same way.
    let (code, body) = raw(
        &s,
        "GET /api/v1/namespaces/bulk/configmaps HTTP/1.1\r\n\
         Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1\r\n\
         Connection: close\r\n\r\n",
    );
    assert_eq!(code, 200);
    let list: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(list["kind"], "PartialObjectMetadataList");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 10_050);
    assert_eq!(items[10_049]["kind"], "PartialObjectMetadata");
    assert_eq!(items[10_049]["metadata"]["name"], "cm-10049");
}

/// A field selector on a field the index lacks pages as the apiserver's does: each page carries
/// at most `limit` matching objects and a token to go on from, the pages together are exactly
/// the matching objects, and a list without `limit` carries them all.
#[test]
fn field_selected_pages_are_complete_and_disjoint() {
    let objects: Vec<_> = (0..1_200)
        .map(|i| {
            let phase = if i % 3 == 0 { "Pending" } else { "Running" };
            obj(
                "pods",
                &format!("big/p-{i:04}"),
                json!({"status": {"phase": phase}}),
            )
        })
        .collect();
    let a = archive(&objects);
    let s = serve(&a.path, &[]);
    let want: Vec<String> = (0..1_200)
        .filter(|i| i % 3 != 0)
        .map(|i| format!("p-{i:04}"))
        .collect();
    let selector = "fieldSelector=status.phase%3DRunning";
    assert_eq!(listed_names(&s, &format!("/api/v1/pods?{selector}")), want);
    let mut paged = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let (code, body) = get(
            &s,
            &format!("/api/v1/pods?{selector}&limit=250&continue={token}"),
        );
        assert_eq!(code, 200, "{body}");
        let page: Value = serde_json::from_str(&body).expect("JSON");
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 250);
        paged.extend(
            items
                .iter()
                .map(|o| o["metadata"]["name"].as_str().unwrap().to_string()),
        );
        pages += 1;
        match page["metadata"]["continue"].as_str() {
            Some(t) => token = t.to_string(),
            None => break,
        }
    }
    assert_eq!(paged, want);
    assert_eq!(pages, 4, "800 matches in pages of 250");
}

/// A watch of Velero's Backups at a location's root streams events, as any watch does (client
/// libraries raise on a plain list there).
#[test]
fn velero_objects_are_watched_as_events() {
    let s = serve(&fixture("bsl"), &[]);
    let (code, body) = get(
        &s,
        "/apis/velero.io/v1/namespaces/velero/backups?watch=true&timeoutSeconds=1",
    );
    assert_eq!(code, 200, "{body}");
    let events: Vec<Value> = body
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "ADDED" && e["object"]["kind"] == "Backup")
        .filter_map(|e| e["object"]["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names.len(), 3, "{body}");
    assert!(names.contains(&"k3s-124"), "{names:?}");
    // Started as any watch is: the bookmark that ends the initial events, when asked for.
    let (_, body) = get(
        &s,
        "/apis/velero.io/v1/namespaces/velero/backups?watch=true&sendInitialEvents=true&timeoutSeconds=1",
    );
    let last: Value = serde_json::from_str(body.lines().last().unwrap_or("")).expect("an event");
    assert_eq!(last["type"], "BOOKMARK", "{body}");
    assert_eq!(last["object"]["kind"], "Backup");
    // Lists are narrowed by selectors, as any list; Schedules are listable (none in a
    // location); the core group names the namespace they live in.
    let names_of = |path: &str| listed_names(&s, path);
    let base = "/apis/velero.io/v1/namespaces/velero/backups";
    assert_eq!(
        names_of(&format!("{base}?fieldSelector=metadata.name%3Dk3s-124")),
        ["k3s-124"]
    );
    assert_eq!(
        names_of(&format!(
            "{base}?labelSelector=velero.io%2Fstorage-location%3Ddefault"
        ))
        .len(),
        3
    );
    assert!(names_of(&format!("{base}?labelSelector=absent%3Dx")).is_empty());
    assert!(names_of("/apis/velero.io/v1/namespaces/velero/schedules").is_empty());
    assert_eq!(names_of("/api/v1/namespaces"), ["velero"]);
}

/// The Python `kubernetes` client (PyPI), typed and dynamic, with the kubeconfig `serve` wrote:
/// it sees what `veloscope ls` lists, pages and watches as against a cluster, and a write is 405.
#[test]
#[ignore = "needs python3 with the kubernetes package (.ci/run installs it from PyPI)"]
fn the_python_client_browses_a_backup() {
    let s = serve(&backup("k3s-124"), &[]);
    let out = Command::new("python3")
        .arg(root().join("tests/cli/python/kubernetes_client.py"))
        .arg(&s.kubeconfig)
        .arg("kube-system")
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).expect("JSON from the script");
    let copy = s.dir.path().join("k3s-124");
    let listed = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["ls", path_str(&copy)];
        all.extend_from_slice(args);
        let mut names: Vec<String> = json(&all)
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| match r["namespace"].as_str() {
                Some(ns) => format!("{ns}/{}", r["name"].as_str().unwrap_or("")),
                None => r["name"].as_str().unwrap_or("").to_string(),
            })
            .collect();
        names.sort();
        names
    };
    let pods = listed(&["pods", "-A", "-o", "json"]);
    assert_eq!(seen["pods"], json!(pods));
    assert_eq!(seen["paged"], json!(pods), "pages join to the whole list");
    assert_eq!(seen["secrets"], 0);
    assert_eq!(seen["namespace"], "kube-system");
    let in_ns: Vec<String> = pods
        .iter()
        .filter_map(|p| p.strip_prefix("kube-system/").map(str::to_string))
        .collect();
    assert_eq!(seen["watched"], json!(in_ns));
    assert_eq!(seen["dynamic_pods"], in_ns.len());
    let deployments: Vec<String> = listed(&["deploy", "-A", "-o", "json"])
        .iter()
        .filter_map(|d| d.split('/').nth(1).map(str::to_string))
        .collect();
    let mut want = deployments.clone();
    want.sort();
    assert_eq!(seen["deployments"], json!(want));
    assert_eq!(seen["delete"], 405);
}

/// A Table without the objects parses only what its columns read (`row_reads`): its cells,
/// wide ones included, and each row's metadata are those of the Table with the whole objects,
/// for the pods of two real clusters and pods in every state kubectl's STATUS tells apart.
#[test]
fn rows_read_only_what_they_keep() {
    let odd = archive(&[
        obj(
            "pods",
            "app/killed",
            json!({"metadata": {"creationTimestamp": "2024-01-01T00:00:00Z", "deletionTimestamp": "2024-01-02T00:00:00Z"},
                "spec": {"nodeName": "n1", "containers": [{"name": "a"}, {"name": "b"}], "readinessGates": [{"conditionType": "x"}]},
                "status": {"phase": "Running", "podIP": "10.0.0.9", "nominatedNodeName": "n2",
                    "containerStatuses": [
                        {"name": "a", "ready": false, "restartCount": 2, "state": {"terminated": {"signal": 9}}},
                        {"name": "b", "ready": true, "restartCount": 1, "state": {"running": {}}}]}}),
        ),
        obj(
            "pods",
            "app/exited",
            json!({"spec": {"containers": [{"name": "a"}]},
                "status": {"phase": "Failed", "reason": "Evicted",
                    "containerStatuses": [{"name": "a", "state": {"terminated": {"exitCode": 3}}}]}}),
        ),
        obj(
            "pods",
            "app/waiting",
            json!({"spec": {"containers": "not a list"},
                "status": {"containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}),
        ),
    ]);
    let table = "application/json;as=Table;v=v1;g=meta.k8s.io";
    for source in [
        backup("k3s-124"),
        backup("sonobuoy-k8s114"),
        odd.path.clone(),
    ] {
        let s = serve(&source, &[]);
        let rows = |query: &str| -> Vec<Value> {
            let (code, body) = raw(
                &s,
                &format!(
                    "GET /api/v1/pods{query} HTTP/1.1\r\nAccept: {table}\r\nConnection: close\r\n\r\n"
                ),
            );
            assert_eq!(code, 200, "{body}");
            let v: Value = serde_json::from_str(&body).expect("a Table");
            v["rows"].as_array().expect("rows").clone()
        };
        let (kept, whole) = (rows(""), rows("?includeObject=Object"));
        assert!(!kept.is_empty(), "{}: no pods", source.display());
        assert_eq!(kept.len(), whole.len());
        for (k, w) in kept.iter().zip(&whole) {
            assert_eq!(k["cells"], w["cells"], "{}", source.display());
            assert_eq!(k["object"]["kind"], "PartialObjectMetadata");
            assert_eq!(k["object"]["metadata"], w["object"]["metadata"]);
        }
    }
}

/// Content negotiation as the apiserver does it: YAML, `PartialObjectMetadata(List)`, Tables of
/// `meta.k8s.io/v1` and `v1beta1`, and 406 for a media type the server does not produce.
#[test]
fn answers_take_the_form_the_client_accepts() {
    let a = small_cluster();
    let s = serve(&a.path, &[]);
    let ask = |path: &str, accept: &str| {
        raw(
            &s,
            &format!("GET {path} HTTP/1.1\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"),
        )
    };
    let pods = "/api/v1/namespaces/app/pods";
    let (code, yaml) = ask(&format!("{pods}/web"), "application/yaml");
    assert_eq!(code, 200);
    assert!(
        yaml.contains("kind: Pod") && yaml.contains("name: web"),
        "{yaml}"
    );
    let (code, body) = ask(
        pods,
        "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
    );
    assert_eq!(code, 200);
    let list: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(list["kind"], "PartialObjectMetadataList");
    assert_eq!(list["items"][0]["kind"], "PartialObjectMetadata");
    assert!(list["items"][0].get("spec").is_none(), "{list}");
    let (_, body) = ask(pods, "application/json;as=Table;v=v1beta1;g=meta.k8s.io");
    let table: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1beta1");
    assert_eq!(table["kind"], "Table");
    let (code, body) = ask(pods, "application/vnd.kubernetes.protobuf");
    assert_eq!(code, 406, "{body}");
    // kubectl's own Accept (protobuf first, then JSON) gets JSON.
    let (code, _) = ask(pods, "application/vnd.kubernetes.protobuf,application/json");
    assert_eq!(code, 200);
}

/// Tables with the columns Kubernetes' own printers give these kinds (pkg/printers/internalversion):
/// headers in order, wide-only columns at priority 1, and the cells kubectl users read.
#[test]
fn tables_carry_the_apiservers_columns() {
    let a = archive(&[
        obj("namespaces", "app", json!({})),
        obj(
            "storageclasses.storage.k8s.io",
            "fast",
            json!({"provisioner": "ebs.csi.aws.com", "allowVolumeExpansion": true}),
        ),
        obj(
            "ingresses.networking.k8s.io",
            "app/web",
            json!({"spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example"}],
                "tls": [{"hosts": ["shop.example"]}]},
                "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}}}),
        ),
        obj(
            "horizontalpodautoscalers.autoscaling",
            "app/web",
            json!({"spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 5,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 80}}}]},
                "status": {"currentReplicas": 2}}),
        ),
        obj(
            "endpoints",
            "app/web",
            json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}, {"ip": "10.0.0.3"}, {"ip": "10.0.0.4"}],
                "ports": [{"port": 8080}]}]}),
        ),
        obj(
            "rolebindings.rbac.authorization.k8s.io",
            "app/readers",
            json!({"roleRef": {"kind": "Role", "name": "reader"},
                "subjects": [{"kind": "User", "name": "ana"}, {"kind": "ServiceAccount", "name": "bot", "namespace": "app"}]}),
        ),
        obj(
            "leases.coordination.k8s.io",
            "app/leader",
            json!({"spec": {"holderIdentity": "web-0"}}),
        ),
        obj(
            "priorityclasses.scheduling.k8s.io",
            "critical",
            json!({"value": 1000, "globalDefault": false}),
        ),
        obj(
            "jobs.batch",
            "app/migrate",
            json!({"status": {"succeeded": 1, "startTime": "2024-01-01T00:00:00Z",
                "completionTime": "2024-01-01T00:00:42Z",
                "conditions": [{"type": "Complete", "status": "True"}]}}),
        ),
    ]);
    let s = serve(&a.path, &[]);
    let table = |path: &str| -> Value {
        let (code, body) = raw(
            &s,
            &format!(
                "GET {path} HTTP/1.1\r\nAccept: application/json;as=Table;v=v1;g=meta.k8s.io\r\nConnection: close\r\n\r\n"
            ),
        );
        assert_eq!(code, 200, "{path}: {body}");
        serde_json::from_str(&body).expect("JSON")
    };
    let check = |path: &str, columns: &[&str], wide: &[&str], cells: &[&str]| {
        let t = table(path);
        let defs = t["columnDefinitions"].as_array().expect("columns");
        let names = |priority: i64| -> Vec<&str> {
            defs.iter()
                .filter(|d| d["priority"] == priority)
                .filter_map(|d| d["name"].as_str())
                .collect()
        };
        assert_eq!(names(0), columns, "{path}");
        assert_eq!(names(1), wide, "{path}");
        let row: Vec<String> = t["rows"][0]["cells"]
            .as_array()
            .expect("cells")
            .iter()
            .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
            .collect();
        for want in cells {
            assert!(row.iter().any(|c| c == want), "{path}: {want} in {row:?}");
        }
    };
    check(
        "/apis/storage.k8s.io/v1/storageclasses",
        &[
            "Name",
            "Provisioner",
            "ReclaimPolicy",
            "VolumeBindingMode",
            "AllowVolumeExpansion",
            "Age",
        ],
        &[],
        &["ebs.csi.aws.com", "Delete", "Immediate", "true"],
    );
    check(
        "/apis/networking.k8s.io/v1/namespaces/app/ingresses",
        &["Name", "Class", "Hosts", "Address", "Ports", "Age"],
        &[],
        &["nginx", "shop.example", "203.0.113.9", "80, 443"],
    );
    check(
        "/apis/autoscaling/v2/namespaces/app/horizontalpodautoscalers",
        &[
            "Name",
            "Reference",
            "Targets",
            "MinPods",
            "MaxPods",
            "Replicas",
            "Age",
        ],
        &[],
        &["Deployment/web", "cpu: <unknown>/80%", "1", "5", "2"],
    );
    check(
        "/api/v1/namespaces/app/endpoints",
        &["Name", "Endpoints", "Age"],
        &[],
        &["10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more..."],
    );
    check(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/app/rolebindings",
        &["Name", "Role", "Age"],
        &["Users", "Groups", "ServiceAccounts"],
        &["Role/reader", "ana", "app/bot"],
    );
    check(
        "/apis/coordination.k8s.io/v1/namespaces/app/leases",
        &["Name", "Holder", "Age"],
        &[],
        &["web-0"],
    );
    check(
        "/apis/scheduling.k8s.io/v1/priorityclasses",
        &["Name", "Value", "Global-Default", "Age", "PreemptionPolicy"],
        &[],
        &["1000", "false", "PreemptLowerPriority"],
    );
    check(
        "/apis/batch/v1/namespaces/app/jobs",
        &["Name", "Status", "Completions", "Duration", "Age"],
        &["Containers", "Images", "Selector"],
        &["Complete", "1/1", "42s"],
    );
}

/// A custom resource's Table has the columns its CRD declares (`additionalPrinterColumns`, with
/// their types and priorities), as the apiserver prints custom resources.
#[test]
fn custom_resources_print_their_crds_columns() {
    let mut definition = crd("widgets.example.com", "Widget", true);
    let columns = json!([
        {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
        {"name": "Owner", "type": "string", "jsonPath": ".spec.owner", "priority": 1},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
    ]);
    definition.body["spec"]["versions"][0]["additionalPrinterColumns"] = columns;
    let a = archive(&[
        obj("namespaces", "app", json!({})),
        definition,
        obj(
            "widgets.example.com",
            "app/w1",
            json!({"metadata": {"creationTimestamp": "2024-01-01T00:00:00Z"},
                "spec": {"size": 3, "owner": "team-a"}, "status": {"phase": "Ready"}}),
        ),
    ]);
    let s = serve(&a.path, &[]);
    let (code, body) = raw(
        &s,
        "GET /apis/example.com/v1/namespaces/app/widgets HTTP/1.1\r\nAccept: application/json;as=Table;v=v1;g=meta.k8s.io\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(code, 200, "{body}");
    let t: Value = serde_json::from_str(&body).expect("JSON");
    let names: Vec<(&str, i64)> = t["columnDefinitions"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap_or(""),
                d["priority"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("Name", 0),
            ("Size", 0),
            ("Phase", 0),
            ("Owner", 1),
            ("Age", 0)
        ]
    );
    assert_eq!(
        t["rows"][0]["cells"],
        json!(["w1", 3, "Ready", "team-a", "2024-01-01T00:00:00Z"])
    );
}

/// A custom resource has the `status` and `scale` subresources its CRD declares, listed by
/// discovery and read-only as the built-ins': the Scale read at the CRD's paths; a kind whose
/// CRD declares none has none.
#[test]
fn custom_resources_have_the_subresources_their_crd_declares() {
    let mut widgets = crd("widgets.example.com", "Widget", true);
    widgets.body["spec"]["versions"][0]["subresources"] = json!({"status": {}, "scale": {
        "specReplicasPath": ".spec.size", "statusReplicasPath": ".status.ready",
        "labelSelectorPath": ".status.selector"}});
    let a = archive(&[
        obj("namespaces", "app", json!({})),
        widgets,
        crd("gadgets.example.com", "Gadget", true),
        obj(
            "widgets.example.com",
            "app/w1",
            json!({"spec": {"size": 3}, "status": {"ready": 2, "selector": "app=w1"}}),
        ),
        obj("gadgets.example.com", "app/g1", json!({"spec": {}})),
    ]);
    let s = serve(&a.path, &[]);
    let (code, body) = get(&s, "/apis/example.com/v1");
    assert_eq!(code, 200, "{body}");
    let list: Value = serde_json::from_str(&body).expect("JSON");
    let names: Vec<&str> = list["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(
        names.contains(&"widgets/status") && names.contains(&"widgets/scale"),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.starts_with("gadgets/")),
        "{names:?}"
    );
    let (code, body) = get(&s, "/apis/example.com/v1/namespaces/app/widgets/w1/scale");
    assert_eq!(code, 200, "{body}");
    let scale: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["apiVersion"], "autoscaling/v1");
    assert_eq!(scale["spec"]["replicas"], 3);
    assert_eq!(scale["status"]["replicas"], 2);
    assert_eq!(scale["status"]["selector"], "app=w1");
    let (code, body) = get(&s, "/apis/example.com/v1/namespaces/app/widgets/w1/status");
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("JSON")["status"]["ready"],
        2
    );
    let (code, _) = get(&s, "/apis/example.com/v1/namespaces/app/gadgets/g1/status");
    assert_eq!(code, 404);
}

/// The field selectors the apiserver supports per kind (pods by IP, restart policy, service
/// account, host network; nodes by schedulability; namespaces by phase; ReplicaSets by replicas;
/// Jobs by successes) narrow lists here too.
#[test]
fn field_selectors_the_apiserver_supports() {
    let a = archive(&[
        obj("namespaces", "app", json!({"status": {"phase": "Active"}})),
        obj(
            "namespaces",
            "gone",
            json!({"status": {"phase": "Terminating"}}),
        ),
        obj(
            "pods",
            "app/web",
            json!({"spec": {"restartPolicy": "Always", "serviceAccountName": "web", "hostNetwork": true},
                "status": {"phase": "Running", "podIP": "10.0.0.7"}}),
        ),
        obj(
            "pods",
            "app/job",
            json!({"spec": {"restartPolicy": "Never", "serviceAccountName": "default"},
                "status": {"phase": "Succeeded", "podIP": "10.0.0.8"}}),
        ),
        obj("nodes", "n1", json!({"spec": {"unschedulable": true}})),
        obj("nodes", "n2", json!({"spec": {}})),
        obj(
            "replicasets.apps",
            "app/web-1",
            json!({"status": {"replicas": 2}}),
        ),
        obj(
            "replicasets.apps",
            "app/web-0",
            json!({"status": {"replicas": 0}}),
        ),
        obj(
            "jobs.batch",
            "app/done",
            json!({"status": {"succeeded": 1}}),
        ),
        obj(
            "jobs.batch",
            "app/running",
            json!({"status": {"active": 1}}),
        ),
    ]);
    let s = serve(&a.path, &[]);
    let names = |path: &str| listed_names(&s, path);
    // A ReplicaSet by its replicas, a Job by its successes (status.succeeded; unset is 0).
    assert_eq!(
        names("/apis/apps/v1/replicasets?fieldSelector=status.replicas%3D2"),
        ["web-1"]
    );
    assert_eq!(
        names("/apis/batch/v1/jobs?fieldSelector=status.successful%3D1"),
        ["done"]
    );
    assert_eq!(
        names("/apis/batch/v1/jobs?fieldSelector=status.successful%3D0"),
        ["running"]
    );
    assert_eq!(
        names("/api/v1/pods?fieldSelector=status.podIP%3D10.0.0.8"),
        ["job"]
    );
    assert_eq!(
        names("/api/v1/pods?fieldSelector=spec.restartPolicy%3DAlways"),
        ["web"]
    );
    assert_eq!(
        names("/api/v1/pods?fieldSelector=spec.serviceAccountName%3Ddefault"),
        ["job"]
    );
    assert_eq!(
        names("/api/v1/pods?fieldSelector=spec.hostNetwork%3Dfalse"),
        ["job"]
    );
    assert_eq!(
        names("/api/v1/nodes?fieldSelector=spec.unschedulable%3Dfalse"),
        ["n2"]
    );
    assert_eq!(
        names("/api/v1/namespaces?fieldSelector=status.phase%3DActive"),
        ["app"]
    );
}

/// The Indexed Job of docs/fleet.md is a Job kubectl accepts: parsed, mapped to batch/v1 through
/// discovery (served by `veloscope serve`, as kubectl needs a server even for a client dry run),
/// with the Indexed completion mode and the `--shard N` that reads JOB_COMPLETION_INDEX.
#[test]
#[ignore = "needs kubectl (.ci/run installs Debian's kubernetes-client)"]
fn the_fleet_docs_indexed_job_is_a_valid_job() {
    require_kubectl();
    let doc = std::fs::read_to_string(root().join("docs/fleet.md")).expect("docs/fleet.md");
    let manifest = doc
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a yaml block");
    let s = serve(&backup("k3s-124"), &[]);
    let file = s.dir.path().join("job.yaml");
    std::fs::write(&file, manifest).expect("write");
    let out = kubectl(
        &s,
        &[
            "create",
            "--dry-run=client",
            "--validate=false",
            "-f",
            path_str(&file),
            "-o",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let job: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(job["kind"], "Job");
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    assert_eq!(job["spec"]["completions"], job["spec"]["parallelism"]);
    let args = &job["spec"]["template"]["spec"]["containers"][0]["args"];
    assert_eq!(args[0], "catalog");
    let shard = args
        .as_array()
        .and_then(|a| a.iter().position(|v| v == "--shard"))
        .expect("--shard");
    assert_eq!(
        args[shard + 1].as_str(),
        job["spec"]["completions"]
            .as_u64()
            .map(|n| n.to_string())
            .as_deref()
    );
}
