//! `catalog`: backups into Parquet tables that DuckDB and Spark read and answer as `ls` and
//! `find` do; incremental, sharded, a bad backup reported, and no half-written file visible.

use crate::common::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A location of three nightly backups of a small shop: a TLS Secret from the second night on,
/// an image upgrade, a binding to cluster-admin from the first night.
fn shop(root: &Path) {
    let pod = |name: &str, image: &str| {
        obj(
            "pods",
            &format!("shop/{name}"),
            json!({"metadata": {"labels": {"app": "web", "tier": "front"}},
                "spec": {"serviceAccountName": "web", "nodeName": "node-a",
                    "initContainers": [{"name": "init", "image": "busybox:1.36"}],
                    "containers": [{"name": "web", "image": image}]},
                "status": {"phase": "Running"}}),
        )
    };
    let tls = |name: &str| {
        obj(
            "secrets",
            &format!("shop/{name}"),
            json!({"type": "kubernetes.io/tls", "data": {"tls.crt": "Y2VydA==", "tls.key": "c2VjcmV0LWtleQ=="}}),
        )
    };
    let admin = obj(
        "clusterrolebindings.rbac.authorization.k8s.io",
        "ops-admin",
        json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "Group", "name": "ops"}]}),
    );
    let base = || {
        vec![
            obj("namespaces", "shop", json!({"status": {"phase": "Active"}})),
            obj("configmaps", "shop/settings", json!({"data": {"a": "1"}})),
            admin.clone(),
        ]
    };
    let mut one = base();
    one.push(pod("web-1", "nginx:1.25"));
    write_backup(root, "nightly-1", "2026-11-01T02:00:00Z", one);
    let mut two = base();
    two.extend([pod("web-1", "nginx:1.27"), tls("shop-tls")]);
    write_backup(root, "nightly-2", "2026-11-02T02:00:00Z", two);
    let mut three = base();
    three.extend([
        pod("web-1", "nginx:1.27"),
        pod("web-2", "nginx:1.27"),
        tls("shop-tls"),
    ]);
    write_backup(root, "nightly-3", "2026-11-03T02:00:00Z", three);
}

fn catalog(args: &[&str]) -> (Value, i32) {
    let mut all = vec!["catalog"];
    all.extend_from_slice(args);
    all.extend(["-o", "json"]);
    let out = veloscope(&all);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("catalog {args:?}: no JSON report: {}", stderr(&out)));
    (report, out.status.code().unwrap_or(-1))
}

/// (backup, action) of every backup a run reported.
fn actions(report: &Value) -> BTreeSet<(String, String)> {
    report["backups"]
        .as_array()
        .expect("backups")
        .iter()
        .map(|o| {
            (
                o["backup"].as_str().unwrap_or("").to_string(),
                o["action"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The committed partitions: `table/location=…/backup=…` of every part file.
fn partitions(catalog: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for table in ["backups", "items", "volumes", "findings"] {
        for loc in std::fs::read_dir(catalog.join(table))
            .into_iter()
            .flatten()
            .flatten()
        {
            for b in std::fs::read_dir(loc.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if b.path().join("part-0.parquet").is_file() {
                    found.insert(format!(
                        "{table}/{}/{}",
                        loc.file_name().to_string_lossy(),
                        b.file_name().to_string_lossy()
                    ));
                }
            }
        }
    }
    found
}

/// What `ls` lists of each backup of a location, keyed as the engine script keys items.
fn listed(location: &Path, name: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for b in std::fs::read_dir(location.join("backups")).expect("backups") {
        let b = b.expect("entry").file_name().to_string_lossy().into_owned();
        let rows = json(&[
            "ls",
            path_str(&location.join("backups").join(&b)),
            "-o",
            "json",
        ]);
        for r in rows.as_array().expect("rows") {
            keys.insert(format!(
                "{name}/{b}/{}/{}/{}",
                r["resource"].as_str().unwrap_or(""),
                r["namespace"].as_str().unwrap_or(""),
                r["name"].as_str().unwrap_or("")
            ));
        }
    }
    keys
}

/// A location of the shop's three backups and a copy of the bundled fixtures' location, and a
/// catalog of both made with objects.
pub(crate) struct Fleet {
    _dir: tempfile::TempDir,
    pub(crate) shop: PathBuf,
    out: PathBuf,
}

pub(crate) fn fleet() -> Fleet {
    let dir = tempfile::tempdir().expect("tempdir");
    let shop_dir = dir.path().join("shop");
    shop(&shop_dir);
    let out = dir.path().join("catalog");
    let (report, code) = catalog(&[
        path_str(&shop_dir),
        path_str(&root().join("fixtures/bsl")),
        "--out",
        path_str(&out),
        "--with-objects",
    ]);
    assert_eq!(code, 0, "{report}");
    Fleet {
        _dir: dir,
        shop: shop_dir,
        out,
    }
}

/// Runs the engine script and checks its answers against `ls` and the shop's known history.
fn engine_answers_as_ls(engine: &str) {
    let f = fleet();
    engine_answers_as_ls_at(engine, &f, path_str(&f.out), &[]);
}

/// [`engine_answers_as_ls`] over `catalog`, a catalog of `f`'s two locations wherever it is
/// (`env`: what the engine needs to reach it).
pub(crate) fn engine_answers_as_ls_at(
    engine: &str,
    f: &Fleet,
    catalog: &str,
    env: &[(&str, String)],
) {
    let out = Command::new("python3")
        .arg(root().join("tests/cli/python/catalog_engines.py"))
        .args([engine, catalog])
        .env("VELOSCOPE", env!("CARGO_BIN_EXE_veloscope"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{engine}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).expect("JSON from the script");
    // Every item `ls` lists, no other, in both locations.
    let mut expected = listed(&f.shop, "shop");
    expected.extend(listed(&root().join("fixtures/bsl"), "bsl"));
    let items: BTreeSet<String> = seen["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|k| k.as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        items, expected,
        "{engine}: the items table is what ls lists"
    );
    assert_eq!(
        seen["labels"]["shop/nightly-3/pods/shop/web-2"],
        json!({"app": "web", "tier": "front"})
    );
    let q = &seen["queries"];
    assert_eq!(
        q["tls_secrets"],
        json!([
            ["shop", "nightly-2", "shop", "shop-tls"],
            ["shop", "nightly-3", "shop", "shop-tls"]
        ])
    );
    let shop_rows = |name: &str| -> Value {
        q[name]
            .as_array()
            .expect("rows")
            .iter()
            .filter(|r| r[0] == "shop")
            .cloned()
            .collect()
    };
    assert_eq!(
        shop_rows("images"),
        json!([
            ["shop", "nightly-1", "busybox:1.36"],
            ["shop", "nightly-1", "nginx:1.25"],
            ["shop", "nightly-2", "busybox:1.36"],
            ["shop", "nightly-2", "nginx:1.27"],
            ["shop", "nightly-3", "busybox:1.36"],
            ["shop", "nightly-3", "nginx:1.27"]
        ])
    );
    // The shop's binding since its first backup (2026-11-01T02:00:00Z); the fixtures' own.
    let since = q["cluster_admin_since"].as_array().expect("rows");
    assert!(
        since.contains(&json!(["ops-admin", 1_793_498_400])),
        "{since:?}"
    );
    assert!(since.iter().any(|r| r[0] == "cluster-admin"), "{since:?}");
    let counts = q["namespace_counts"].as_array().expect("rows");
    for (backup, n) in [("nightly-1", 2), ("nightly-2", 3), ("nightly-3", 4)] {
        assert!(
            counts.contains(&json!([backup, "shop", n])),
            "{backup}: {counts:?}"
        );
    }
    // The fixtures hold no failed finding; every backup is complete and without error.
    assert_eq!(q["failed_findings"], json!([]));
    for b in seen["backups"].as_array().expect("rows") {
        assert_eq!((&b[4], &b[5]), (&json!(true), &json!(true)), "{b}");
    }
}

#[test]
#[ignore = "needs python3 with the duckdb package (.ci/run installs it from PyPI)"]
fn duckdb_answers_what_ls_answers() {
    engine_answers_as_ls("duckdb");
}

#[test]
#[ignore = "needs pyspark and a Java runtime (.ci/run installs pyspark from PyPI and Debian's openjdk-17-jre-headless)"]
fn spark_answers_what_ls_answers() {
    engine_answers_as_ls("spark");
}

/// `veloscope sql` (DataFusion) answers the same five questions as DuckDB and Spark do.
#[cfg(feature = "sql")]
#[test]
fn veloscope_sql_answers_what_ls_answers() {
    engine_answers_as_ls("veloscope");
}

/// `sql` over a catalog: kubectl-style table, JSON with every column, CSV with nested values as
/// text; statements that would write are refused, and so is a folder that is not a catalog.
#[cfg(feature = "sql")]
#[test]
fn sql_prints_tables_json_and_csv_and_never_writes() {
    let f = fleet();
    let cat = path_str(&f.out);
    let q = "select backup, name, images from items where resource = 'pods' and location = 'shop' order by backup, name";
    let table = veloscope(&["sql", q, "--catalog", cat]);
    assert!(table.status.success(), "{}", stderr(&table));
    let text = String::from_utf8_lossy(&table.stdout).into_owned();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    assert_eq!(header, ["BACKUP", "NAME", "IMAGES"]);
    assert_eq!(lines.count(), 4, "{text}");
    let rows = json(&["sql", q, "--catalog", cat, "-o", "json"]);
    assert_eq!(
        rows[0],
        json!({"backup": "nightly-1", "name": "web-1", "images": ["busybox:1.36", "nginx:1.25"]})
    );
    let csv = veloscope(&["sql", q, "--catalog", cat, "-o", "csv"]);
    let csv = String::from_utf8_lossy(&csv.stdout).into_owned();
    assert!(
        csv.starts_with("backup,name,images\nnightly-1,web-1,\"[busybox:1.36, nginx:1.25]\"\n"),
        "{csv}"
    );
    let none = json(&[
        "sql",
        "select name from items where name = 'nothing'",
        "--catalog",
        cat,
        "-o",
        "json",
    ]);
    assert_eq!(none, json!([]));
    for write in [
        "insert into findings values ('error', 'x', 'y', 'z', 'shop', 'nightly-1')",
        "copy (select 1) to '/tmp/veloscope-sql-copy.csv'",
        "create external table t stored as parquet location '/tmp'",
    ] {
        let out = veloscope(&["sql", write, "--catalog", cat]);
        assert_eq!(out.status.code(), Some(2), "{write}");
        assert!(
            stderr(&out).starts_with("error: sql:"),
            "{write}: {}",
            stderr(&out)
        );
    }
    assert!(!Path::new("/tmp/veloscope-sql-copy.csv").exists());
    // Read only, even of a damaged catalog: a missing table is an error, never made.
    std::fs::remove_dir_all(f.out.join("volumes")).expect("remove");
    let out = veloscope(&["sql", "select 1", "--catalog", cat]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no volumes/ folder"),
        "{}",
        stderr(&out)
    );
    assert!(!f.out.join("volumes").exists());
    let out = veloscope(&["sql", "select 1", "--catalog", path_str(&f.shop)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a veloscope catalog"),
        "{}",
        stderr(&out)
    );
    let out = veloscope(&["sql", "select nope from items", "--catalog", cat]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

/// Without the feature, `sql` says how to get it and what answers meanwhile.
#[cfg(not(feature = "sql"))]
#[test]
fn sql_without_the_feature_names_the_way_to_it() {
    let out = veloscope(&["sql", "select 1", "--catalog", "/nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("--features sql") && err.contains("duckdb"),
        "{err}"
    );
}

#[test]
fn a_second_run_skips_what_is_unchanged_and_follows_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let loc = dir.path().join("shop");
    shop(&loc);
    let out = dir.path().join("catalog");
    let run = || catalog(&[path_str(&loc), "--out", path_str(&out)]);
    let (first, code) = run();
    assert_eq!(code, 0, "{first}");
    assert!(
        actions(&first).iter().all(|(_, a)| a == "written"),
        "{first}"
    );
    let (second, _) = run();
    assert!(
        actions(&second).iter().all(|(_, a)| a == "unchanged"),
        "{second}"
    );
    // A backup rewritten (another object) and one deleted.
    write_backup(
        &loc,
        "nightly-2",
        "2026-11-02T02:00:00Z",
        vec![obj("configmaps", "shop/only", json!({}))],
    );
    std::fs::remove_dir_all(loc.join("backups/nightly-1")).expect("delete");
    let (third, code) = run();
    assert_eq!(code, 0, "{third}");
    assert_eq!(
        actions(&third),
        [
            ("nightly-1", "removed"),
            ("nightly-2", "written"),
            ("nightly-3", "unchanged")
        ]
        .iter()
        .map(|(b, a)| (b.to_string(), a.to_string()))
        .collect()
    );
    let parts = partitions(&out);
    assert!(
        !parts.iter().any(|p| p.contains("backup=nightly-1")),
        "{parts:?}"
    );
    let rewritten = third["backups"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|o| o["backup"] == "nightly-2")
        .cloned()
        .expect("nightly-2");
    assert_eq!(rewritten["items"], 1);
}

#[test]
fn a_damaged_backup_is_reported_and_the_others_are_catalogued() {
    let dir = tempfile::tempdir().expect("tempdir");
    let loc = dir.path().join("shop");
    shop(&loc);
    // Half of nightly-2's tarball.
    let tarball = loc.join("backups/nightly-2/nightly-2.tar.gz");
    let bytes = std::fs::read(&tarball).expect("tarball");
    std::fs::write(&tarball, &bytes[..bytes.len() / 2]).expect("truncate");
    // A folder whose name object storage could not hold: not catalogued, so a failure too.
    std::fs::create_dir_all(loc.join("backups/bad\u{1}name")).expect("dir");
    let out = dir.path().join("catalog");
    let (report, code) = catalog(&[path_str(&loc), "--out", path_str(&out)]);
    assert_eq!(code, 1, "a failed backup makes the exit status 1: {report}");
    let unreadable: Vec<&Value> = report["backups"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|o| o["backup"] == "")
        .collect();
    assert_eq!(unreadable.len(), 1, "{report}");
    assert_eq!(unreadable[0]["action"], "failed");
    let failed: Vec<&Value> = report["backups"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|o| o["action"] == "failed")
        .collect();
    assert_eq!(failed.len(), 2, "{report}");
    let failed: Vec<&Value> = failed.into_iter().filter(|o| o["backup"] != "").collect();
    assert_eq!(failed[0]["backup"], "nightly-2");
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap_or("")
            .contains("could not be read to its end"),
        "{report}"
    );
    let parts = partitions(&out);
    // Its findings and its row (with the error) are kept; half its items are not.
    assert!(
        parts.contains("backups/location=shop/backup=nightly-2"),
        "{parts:?}"
    );
    assert!(
        parts.contains("findings/location=shop/backup=nightly-2"),
        "{parts:?}"
    );
    assert!(
        !parts.contains("items/location=shop/backup=nightly-2"),
        "{parts:?}"
    );
    for b in ["nightly-1", "nightly-3"] {
        assert!(
            parts.contains(&format!("items/location=shop/backup={b}")),
            "{parts:?}"
        );
    }
    // A failed backup is tried again by the next run, not skipped as unchanged.
    let (again, code) = catalog(&[path_str(&loc), "--out", path_str(&out)]);
    assert_eq!(code, 1);
    assert!(
        actions(&again).contains(&("nightly-2".into(), "failed".into())),
        "{again}"
    );
}

#[test]
fn shards_are_disjoint_and_together_the_whole_catalog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let loc = dir.path().join("shop");
    shop(&loc);
    for i in 4..=12 {
        write_backup(
            &loc,
            &format!("nightly-{i}"),
            &format!("2026-11-{i:02}T02:00:00Z"),
            vec![obj("configmaps", &format!("shop/c{i}"), json!({}))],
        );
    }
    let whole = dir.path().join("whole");
    let (_, code) = catalog(&[path_str(&loc), "--out", path_str(&whole)]);
    assert_eq!(code, 0);
    let sharded = dir.path().join("sharded");
    let mut taken: Vec<BTreeSet<String>> = Vec::new();
    for i in 0..3 {
        // The second shard takes its index from an Indexed Job's variable.
        let out = if i == 1 {
            Command::new(env!("CARGO_BIN_EXE_veloscope"))
                .args([
                    "catalog",
                    path_str(&loc),
                    "--out",
                    path_str(&sharded),
                    "--shard",
                    "3",
                    "-o",
                    "json",
                ])
                .env("JOB_COMPLETION_INDEX", "1")
                .output()
                .expect("run")
        } else {
            veloscope(&[
                "catalog",
                path_str(&loc),
                "--out",
                path_str(&sharded),
                "--shard",
                &format!("{i}/3"),
                "-o",
                "json",
            ])
        };
        assert!(out.status.success(), "{}", stderr(&out));
        let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        taken.push(actions(&report).into_iter().map(|(b, _)| b).collect());
    }
    for (i, a) in taken.iter().enumerate() {
        for b in &taken[i + 1..] {
            assert!(a.is_disjoint(b), "{a:?} and {b:?} overlap");
        }
    }
    let union: BTreeSet<String> = taken.into_iter().flatten().collect();
    assert_eq!(union.len(), 12);
    assert_eq!(partitions(&sharded), partitions(&whole));
    // A shard never removes another shard's backups.
    let (again, _) = catalog(&[
        path_str(&loc),
        "--out",
        path_str(&sharded),
        "--shard",
        "0/3",
    ]);
    assert!(
        actions(&again).iter().all(|(_, a)| a == "unchanged"),
        "{again}"
    );
    assert_eq!(partitions(&sharded), partitions(&whole));
}

#[test]
fn a_catalog_killed_mid_write_shows_no_partial_partition() {
    let dir = tempfile::tempdir().expect("tempdir");
    let loc = dir.path().join("big");
    // Enough items that the read takes a while.
    let objects = (0..60_000)
        .map(|i| {
            obj(
                "configmaps",
                &format!("ns-{}/cm-{i}", i % 50),
                json!({"data": {"v": "x".repeat(200)}}),
            )
        })
        .collect();
    write_backup(&loc, "big-1", "2026-11-01T02:00:00Z", objects);
    let out = dir.path().join("catalog");
    let mut child = Command::new(env!("CARGO_BIN_EXE_veloscope"))
        .args(["catalog", path_str(&loc), "--out", path_str(&out), "-q"])
        .spawn()
        .expect("spawn");
    // Kill it once its items file is being written in the staging folder.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let staged = |out: &Path| {
        std::fs::read_dir(out.join("_staging"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|d| {
                std::fs::read_dir(d.path())
                    .into_iter()
                    .flatten()
                    .flatten()
                    .any(|f| f.metadata().is_ok_and(|m| m.len() > 0))
            })
    };
    while !staged(&out) {
        assert!(std::time::Instant::now() < deadline, "nothing was staged");
        assert!(
            child.try_wait().expect("wait").is_none(),
            "finished before it could be killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().expect("kill");
    child.wait().expect("reap");
    assert_eq!(
        partitions(&out),
        BTreeSet::new(),
        "a killed run committed a partition"
    );
    // Readers glob the tables' folders: nothing of the staging folder is under them.
    for table in ["backups", "items", "volumes", "findings"] {
        let under: Vec<_> = walk(&out.join(table));
        assert!(
            under.iter().all(|p| p.ends_with("part-0.parquet")),
            "{under:?}"
        );
    }
    // The next run catalogues it whole.
    let (report, code) = catalog(&[path_str(&loc), "--out", path_str(&out)]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["backups"][0]["items"], 60_000);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            files.extend(walk(&e.path()));
        } else {
            files.push(e.path());
        }
    }
    files
}

#[test]
fn bad_requests_are_refused_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let loc = dir.path().join("shop");
    shop(&loc);
    // A folder that holds something else is never written into.
    let foreign = dir.path().join("notes");
    std::fs::create_dir_all(&foreign).expect("dir");
    std::fs::write(foreign.join("todo.txt"), "keep me").expect("write");
    let out = veloscope(&["catalog", path_str(&loc), "--out", path_str(&foreign)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a veloscope catalog"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_dir(&foreign).expect("dir").count(), 1);
    // Nor a location it reads.
    let out = veloscope(&[
        "catalog",
        path_str(&loc),
        "--out",
        path_str(&loc.join("catalog")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("inside the source"),
        "{}",
        stderr(&out)
    );
    assert!(!loc.join("catalog").exists());
    for (shard, says) in [
        ("3/3", "below the count"),
        ("x", "whole number"),
        ("2", "JOB_COMPLETION_INDEX"),
    ] {
        let out = veloscope(&[
            "catalog",
            path_str(&loc),
            "--out",
            path_str(&dir.path().join("c")),
            "--shard",
            shard,
        ]);
        assert_eq!(out.status.code(), Some(2), "{shard}");
        assert!(stderr(&out).contains(says), "{shard}: {}", stderr(&out));
    }
    // A Secret's values never reach the object column unless asked for.
    let out_dir = dir.path().join("c2");
    let (_, code) = catalog(&[
        path_str(&loc.join("backups/nightly-2")),
        "--out",
        path_str(&out_dir),
        "--with-objects",
    ]);
    assert_eq!(code, 0);
    // The file is compressed: read the column back rather than search its bytes.
    let text = parquet_text(&out_dir.join("items/location=shop/backup=nightly-2/part-0.parquet"));
    assert!(
        !text.contains("c2VjcmV0LWtleQ=="),
        "a Secret value was exported"
    );
    assert!(
        text.contains("dmVsb3Njb3BlOnJlZGFjdGVk"),
        "no redaction marker"
    );
}

/// Every string of a Parquet file's `object` column, read back by the arrow reader.
fn parquet_text(path: &Path) -> String {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = std::fs::File::open(path).expect("open");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let mut text = String::new();
    for batch in reader {
        let batch = batch.expect("batch");
        let col = batch.column_by_name("object").expect("object column");
        let strings = col
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .expect("strings");
        for s in strings.iter().flatten() {
            text.push_str(s);
        }
    }
    text
}
