//! The persisted index: commands answer from a valid sidecar exactly as from the archive, `show`
//! reads one item from a seek point, and a stale, damaged or foreign sidecar is rejected, reported
//! and rebuilt.

use crate::common::*;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Copies a fixture tarball into a temporary folder (sidecars are written beside it).
fn copy_of(fixture: &str, file: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let to = dir.path().join(file);
    std::fs::copy(backup(fixture).join(file), &to).expect("copy");
    (dir, to)
}

fn run_ok(args: &[&str]) -> (String, String) {
    let out = veloscope(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr(&out),
    )
}

/// stderr without the note that says an answer came from the index.
fn without_note(err: &str) -> String {
    err.lines()
        .filter(|l| !l.starts_with("note: answered from the index"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn sidecar_of(tarball: &Path) -> PathBuf {
    let mut s = tarball.as_os_str().to_owned();
    s.push(".vsidx");
    PathBuf::from(s)
}

#[test]
fn commands_answer_from_the_sidecar_as_from_the_archive() {
    for (fixture, file, ns, resource, name) in [
        (
            "sonobuoy-k8s114",
            "sonobuoy-k8s114.tar.gz",
            "kube-system",
            "configmaps",
            &"coredns".to_string(),
        ),
        (
            "k3s-124",
            "k3s-124.tar.zst",
            "kube-system",
            "addons.k3s.cattle.io",
            &"coredns".to_string(),
        ),
        (
            "edge-cases",
            "edge-cases.tar",
            "edge",
            "configmaps",
            &format!("config-{}", "x".repeat(113)),
        ),
    ] {
        let (_dir, tar) = copy_of(fixture, file);
        let t = path_str(&tar);
        let globbed = format!("{}*,default", &ns[..2]);
        let commands: Vec<Vec<&str>> = vec![
            vec!["inspect", t, "-o", "json"],
            vec!["ls", t, "-o", "json"],
            vec!["ls", t, "--include-namespaces", ns, "-o", "json"],
            vec!["ls", t, "--include-namespaces", &globbed, "-o", "json"],
            vec![
                "ls",
                t,
                "--include-namespaces",
                ns,
                "--include-cluster-resources",
                "-o",
                "json",
            ],
            vec!["ls", t, "--include-namespaces", "[,nope", "-o", "json"],
            vec![
                "ls",
                t,
                "--include-namespaces",
                ns,
                "--exclude-resources",
                "secrets",
                "-o",
                "json",
            ],
            vec!["preview", t, "--include-namespaces", ns, "-o", "json"],
            vec!["preview", t, "--include-namespaces", ns],
            vec!["preview", t, "--include-namespaces", &globbed, "-o", "json"],
            vec!["preview", t, "--include-namespaces", "nope,[", "-o", "json"],
            vec![
                "preview",
                t,
                "--include-namespaces",
                ns,
                "--explain",
                "-o",
                "json",
            ],
            vec![
                "preview",
                t,
                "--include-namespaces",
                ns,
                "--include-cluster-resources=false",
            ],
            vec!["plan", t, "-o", "json"],
            // The table decodes only the filtered namespaces and counts the others.
            vec!["plan", t, "--include-namespaces", ns],
            vec!["plan", t, "--include-namespaces", &globbed],
            vec!["plan", t, "--include-namespaces", ns, "-o", "json"],
        ];
        let answer = |a: &Vec<&str>| {
            let out = veloscope(a);
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                without_note(&stderr(&out)),
            )
        };
        let before: Vec<_> = commands.iter().map(answer).collect();
        assert_eq!(before[2].0, Some(0), "{fixture}: {}", before[2].2);
        assert!(
            before[2].1.contains(ns),
            "{fixture}: namespace listing is empty"
        );
        let (written, _) = run_ok(&["index", t, "-o", "json"]);
        let written: serde_json::Value = serde_json::from_str(&written).expect("json");
        assert_eq!(written["sidecar"], json!(path_str(&sidecar_of(&tar))));
        assert!(sidecar_of(&tar).is_file(), "{fixture}: no sidecar written");
        let after: Vec<_> = commands.iter().map(answer).collect();
        assert_eq!(before, after, "{fixture}: answers differ with the sidecar");
        let shown = veloscope(&["show", t, resource, name.as_ref(), "-n", ns]);
        let direct = veloscope(&["--no-index", "show", t, resource, name.as_ref(), "-n", ns]);
        assert!(direct.status.success(), "{fixture}: {}", stderr(&direct));
        assert!(shown.status.success(), "{fixture}: {}", stderr(&shown));
        assert_eq!(shown.stdout, direct.stdout, "{fixture}: show differs");
    }
}

/// A gzip archive large enough for several seek points: objects with incompressible payloads.
fn large_archive(items: usize) -> TestArchive {
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let objs: Vec<_> = (0..items)
        .map(|i| {
            let noise: String = (0..64)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    format!("{:016x}", x)
                })
                .collect();
            obj(
                "configmaps",
                &format!("ns-{}/cm-{i:05}", i % 7),
                json!({"data": {"noise": noise}}),
            )
        })
        .collect();
    archive(&objs)
}

/// Keeps the archive's modification time so a change in its middle goes unseen by the
/// fingerprint (which samples size, mtime and the first and last 64 KiB).
fn corrupt_middle_keeping_mtime(path: &Path) {
    let mtime = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .expect("mtime");
    let mut bytes = std::fs::read(path).expect("read");
    let at = bytes.len() / 3;
    for b in &mut bytes[at..at + 64] {
        *b ^= 0x5a;
    }
    std::fs::write(path, &bytes).expect("write");
    let f = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open");
    f.set_modified(mtime).expect("set mtime");
}

#[test]
fn a_valid_sidecar_answers_without_reading_the_archive_and_show_reads_from_a_seek_point() {
    let a = large_archive(1200);
    let t = path_str(&a.path);
    let (out, _) = run_ok(&["index", t, "--span", "65536", "-o", "json"]);
    let written: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(
        written["seekPoints"].as_u64().unwrap_or(0) >= 10,
        "too few seek points: {written}"
    );
    let (body, _) = run_ok(&[
        "--no-index",
        "show",
        t,
        "configmaps",
        "cm-01197",
        "-n",
        "ns-0",
    ]);
    let size = std::fs::metadata(&a.path).expect("meta").len();
    assert!(size > 400 << 10, "archive too small for the test: {size}");

    // With the index, a namespace listing decodes its sections and says it answered from them.
    let (listed, noted) = run_ok(&["ls", t, "--include-namespaces", "ns-3", "-o", "json"]);
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1200 / 7));
    assert!(noted.contains("note: answered from the index"), "{noted}");

    // The last item is read from the seek point before it, not from the start.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_veloscope"))
        .args(["show", t, "configmaps", "cm-01197", "-n", "ns-0"])
        .env("VELOSCOPE_TRACE", "1")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), body);
    let read: u64 = stderr(&out)
        .lines()
        .find_map(|l| l.split(": read ").nth(1)?.split(' ').next()?.parse().ok())
        .expect("trace line");
    assert!(read < size / 8, "show read {read} of {size} bytes");
}

/// An edit that keeps the archive's size and mtime (and so its fingerprint) no longer lets the
/// old index answer: the content digest differs, the index is reported stale, and the archive
/// is read instead (here it is damaged, so the answer is that error, not the old listing).
#[test]
fn a_same_size_edit_with_the_mtime_kept_is_not_answered_from_the_index() {
    let a = large_archive(1200);
    let t = path_str(&a.path);
    run_ok(&["index", t]);
    corrupt_middle_keeping_mtime(&a.path);
    let out = veloscope(&["ls", t, "--include-namespaces", "ns-3", "-o", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("content differs from its index"), "{err}");
    assert!(out.stdout.is_empty(), "no listing from the stale index");
}

#[test]
fn a_stale_sidecar_is_reported_and_rebuilt() {
    let a = archive(&[obj("configmaps", "default/old", json!({}))]);
    let t = path_str(&a.path);
    run_ok(&["index", t]);
    let b = archive(&[obj("configmaps", "default/new", json!({}))]);
    std::fs::copy(&b.path, &a.path).expect("replace archive");
    let (listed, warned) = run_ok(&["ls", t]);
    assert!(
        listed.contains("new") && !listed.contains("old"),
        "{listed}"
    );
    assert!(warned.contains("stale"), "{warned}");
    let (again, quiet) = run_ok(&["ls", t]);
    assert_eq!(again, listed);
    assert!(!quiet.contains("stale"), "not rebuilt: {quiet}");
}

#[test]
fn damaged_foreign_and_future_sidecars_are_rejected_and_rebuilt() {
    let a = archive(&[
        obj("configmaps", "default/one", json!({})),
        obj("secrets", "default/two", json!({})),
    ]);
    let t = path_str(&a.path);
    let (want, _) = run_ok(&["--no-index", "ls", t, "-o", "json"]);
    run_ok(&["index", t]);
    let side = sidecar_of(&a.path);
    let good = std::fs::read(&side).expect("sidecar");
    let mut flipped = good.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0xff;
    let mut future = good.clone();
    future[8] = 99;
    for (bytes, why) in [
        (flipped, "damaged: checksum mismatch"),
        (good[..good.len() - 10].to_vec(), "damaged: payload is"),
        (b"not an index at all".to_vec(), "not a veloscope index"),
        (future, "index format 99"),
    ] {
        std::fs::write(&side, &bytes).expect("write sidecar");
        let (got, warned) = run_ok(&["ls", t, "-o", "json"]);
        assert_eq!(got, want, "{why}");
        assert!(warned.contains(why), "expected {why:?} in {warned}");
        assert_eq!(
            std::fs::read(&side).expect("sidecar"),
            good,
            "{why}: not rebuilt"
        );
    }
    // --no-index neither reads nor rewrites it.
    std::fs::write(&side, b"junk").expect("write");
    let (got, warned) = run_ok(&["--no-index", "ls", t, "-o", "json"]);
    assert_eq!(got, want);
    assert!(warned.is_empty(), "{warned}");
    assert_eq!(std::fs::read(&side).expect("sidecar"), b"junk");
}

#[test]
fn index_writes_elsewhere_with_out_and_refuses_bad_archives() {
    let a = archive(&[obj("configmaps", "default/one", json!({}))]);
    let out = a.dir.path().join("elsewhere.vsidx");
    run_ok(&["index", path_str(&a.path), "--out", path_str(&out)]);
    assert!(out.is_file());
    assert!(!sidecar_of(&a.path).exists());

    let bad = a.dir.path().join("bad.tar.gz");
    let mut bytes = std::fs::read(&a.path).expect("read");
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&bad, &bytes).expect("write");
    let r = veloscope(&["index", path_str(&bad)]);
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("bad.tar.gz"), "{}", stderr(&r));
    assert!(
        !sidecar_of(&bad).exists(),
        "a sidecar was written for a damaged archive"
    );
}

#[test]
fn show_reads_each_stored_version_from_the_sidecar_as_from_the_archive() {
    let (_dir, tar) = copy_of("edge-cases", "edge-cases.tar");
    let t = path_str(&tar);
    run_ok(&["index", t]);
    for version in [None, Some("v2"), Some("v1"), Some("v9")] {
        let mut args = vec!["show", t, "hpa", "web", "-n", "edge", "-o", "json"];
        if let Some(v) = version {
            args.extend(["--api-version", v]);
        }
        let indexed = veloscope(&args);
        let direct = veloscope(&[&["--no-index"], args.as_slice()].concat());
        assert_eq!(indexed.status.code(), direct.status.code(), "{version:?}");
        assert_eq!(indexed.stdout, direct.stdout, "{version:?}");
        assert_eq!(
            without_note(&stderr(&indexed)),
            stderr(&direct),
            "{version:?}"
        );
    }
}

#[test]
fn the_entry_budget_holds_for_reads_from_a_sidecar() {
    let a = archive(&[obj(
        "configmaps",
        "default/big",
        json!({"data": {"k": "v".repeat(4000)}}),
    )]);
    let t = path_str(&a.path);
    run_ok(&["index", t]);
    let out = veloscope(&[
        "--max-entry-bytes",
        "1000",
        "show",
        t,
        "configmaps",
        "big",
        "-n",
        "default",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--max-entry-bytes"),
        "{}",
        stderr(&out)
    );
    run_ok(&["show", t, "configmaps", "big", "-n", "default"]);
}

/// A sidecar written by `veloscope index` and one a command rebuilds in place are the same bytes,
/// every warning the edge cases raise included: the sidecar depends on the archive alone.
#[test]
fn index_and_a_rebuild_write_the_same_sidecar() {
    let odd = odd_entries();
    for (fixture, file) in [
        ("sonobuoy-k8s114", "sonobuoy-k8s114.tar.gz"),
        ("k3s-124", "k3s-124.tar.zst"),
        ("edge-cases", "edge-cases.tar"),
        ("odd entries", ""),
    ] {
        let (_dir, tar) = match file {
            "" => (None, odd.path.clone()),
            _ => {
                let (dir, tar) = copy_of(fixture, file);
                (Some(dir), tar)
            }
        };
        let t = path_str(&tar);
        let (_, warned) = run_ok(&["index", t]);
        if file.is_empty() {
            for what in [
                "appears twice",
                "differs from its unversioned copy",
                "only versioned copies exist",
                "unlike its path",
            ] {
                assert!(warned.contains(what), "no {what:?} warning: {warned}");
            }
        }
        let side = sidecar_of(&tar);
        let packed = std::fs::read(&side).expect("sidecar");
        std::fs::write(&side, b"stale").expect("write");
        // The rebuild comes first; the odd archive's invalid JSON then fails the command.
        veloscope(&["inspect", t]);
        let rebuilt = std::fs::read(&side).expect("sidecar");
        assert!(rebuilt.len() > 500, "{fixture}: not rebuilt");
        assert!(packed == rebuilt, "{fixture}: the two sidecars differ");
    }
}

/// Entries that exercise every merge rule of the index: a duplicate path, a twin that differs, an
/// item with only a versioned copy, a non-preferred version before its unversioned entry,
/// invalid JSON, and an object whose name disagrees with its path.
fn odd_entries() -> TestArchive {
    let body = |name: &str, label: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "ns", "labels": {"v": label},
                "annotations": {"backup.velero.io/x": "y", "other": "z"},
                "ownerReferences": [{"apiVersion": "v1", "kind": "Thing", "name": "t", "controller": true}]}})
        .to_string()
    };
    let entries: Vec<(String, String)> = vec![
        ("metadata/version".into(), "1.1.0\n".into()),
        (
            "resources/configmaps/v1beta1/namespaces/ns/a.json".into(),
            body("a", "old"),
        ),
        (
            "resources/configmaps/namespaces/ns/a.json".into(),
            body("a", "new"),
        ),
        (
            "resources/configmaps/v1-preferredversion/namespaces/ns/a.json".into(),
            body("a", "new"),
        ),
        (
            "resources/configmaps/namespaces/ns/b.json".into(),
            body("b", "1"),
        ),
        (
            "resources/configmaps/namespaces/ns/b.json".into(),
            body("b", "2"),
        ),
        (
            "resources/configmaps/v1-preferredversion/namespaces/ns/b.json".into(),
            body("b", "1"),
        ),
        (
            "resources/configmaps/v1-preferredversion/namespaces/ns/c.json".into(),
            body("c", "1"),
        ),
        (
            "resources/configmaps/namespaces/ns/d.json".into(),
            "{\"kind\": ".into(),
        ),
        (
            "resources/configmaps/namespaces/ns/e.json".into(),
            body("not-e", "1"),
        ),
        (
            "resources/configmaps/v2/namespaces/ns/f.json".into(),
            body("f", "v2"),
        ),
    ];
    let mut b = tar::Builder::new(Vec::new());
    for (path, body) in &entries {
        fixture_gen::append_file(&mut b, path, body.as_bytes()).expect("append");
    }
    let tar = b.into_inner().expect("tar");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("odd.tar.gz");
    std::fs::write(&path, fixture_gen::gzip(&tar).expect("gzip")).expect("write");
    TestArchive { dir, path }
}

/// A sidecar built from a look-alike archive, with the real archive's fingerprint copied into
/// it, does not hide an item: the content digest does not match, and the archive is read.
#[test]
fn a_forged_sidecar_does_not_hide_items() {
    let admin = obj(
        "clusterrolebindings.rbac.authorization.k8s.io",
        "backdoor",
        json!({"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}}),
    );
    let real = archive(&[obj("configmaps", "app/c", json!({})), admin]);
    let look_alike = archive(&[obj("configmaps", "app/c", json!({}))]);
    run_ok(&["index", path_str(&real.path)]);
    run_ok(&["index", path_str(&look_alike.path)]);
    let genuine = std::fs::read(sidecar_of(&real.path)).expect("sidecar");
    let mut forged = std::fs::read(sidecar_of(&look_alike.path)).expect("sidecar");
    // The fingerprint: bytes 12..48 of the header.
    forged[12..48].copy_from_slice(&genuine[12..48]);
    // verify reads the archive, never the sidecar, and reports one that disagrees with it.
    let codes = || {
        let out = veloscope(&["verify", path_str(&real.path), "-o", "json"]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(report["items"], 2, "{report}");
        report["problems"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p["code"].as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert!(!codes().contains(&"index-disagrees".to_string()));
    std::fs::write(sidecar_of(&real.path), &forged).expect("plant");
    assert!(codes().contains(&"index-disagrees".to_string()));
    let (listed, warned) = run_ok(&["ls", path_str(&real.path), "-o", "json"]);
    assert!(
        listed.contains("backdoor"),
        "the binding is listed: {listed}"
    );
    assert!(
        warned.contains("content differs from its index"),
        "{warned}"
    );
}
