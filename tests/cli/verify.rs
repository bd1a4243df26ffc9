//! `verify`: a corruption matrix — each archive carries exactly one kind of damage, and verify
//! reports exactly that code — plus backup-level checks, policies, manifests and JUnit.

use crate::common::*;
use fixture_gen::{Codec, Folder, Obj, append_file, append_raw, gzip, tar_bytes};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;

fn objects() -> Vec<Obj> {
    vec![
        obj("namespaces", "app", json!({"status": {"phase": "Active"}})),
        obj("configmaps", "app/cfg", json!({"data": {"k": "v"}})),
        obj(
            "pods",
            "app/web",
            json!({"spec": {"containers": [{"name": "web"}]}, "status": {"phase": "Running"}}),
        ),
        obj("persistentvolumes", "pv-1", json!({})),
    ]
}

/// Runs verify on `path` and returns (exit code, set of finding codes, report).
fn verify_at(path: &Path, extra: &[&str]) -> (Option<i32>, BTreeSet<String>, Value) {
    let mut args = vec!["verify", path_str(path), "-o", "json"];
    args.extend_from_slice(extra);
    let out = veloscope(&args);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{:?}: {}", out.status, stderr(&out)));
    let codes = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect();
    (out.status.code(), codes, v)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn tar_with(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    append_file(&mut b, "metadata/version", b"1.1.0\n").unwrap();
    for o in objects() {
        let body = serde_json::to_vec(&o.body).unwrap();
        for p in o.paths() {
            append_file(&mut b, &p, &body).unwrap();
        }
    }
    build(&mut b);
    b.into_inner().unwrap()
}

fn only(codes: &BTreeSet<String>, code: &str) {
    assert_eq!(codes, &set(&[code]), "expected exactly {code}");
}

#[test]
fn corruption_matrix_compression_and_tar() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tar = tar_bytes(&objects(), &[]).unwrap();
    let gz = gzip(&tar).unwrap();

    let (code, codes, v) = verify_at(&write(d, "clean.tar.gz", &gz), &[]);
    assert_eq!(
        (code, codes.len()),
        (Some(0), 0),
        "a clean archive has no findings: {v}"
    );
    assert_eq!(v["ok"], true);
    assert_eq!(v["items"], objects().len());

    let (code, codes, v) = verify_at(&write(d, "cut.tar.gz", &gz[..gz.len() * 2 / 3]), &[]);
    assert_eq!(code, Some(1));
    only(&codes, "truncated");
    let msg = v["problems"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("entries read, then") && msg.contains("at compressed offset"),
        "{msg}"
    );

    let mut crc = gz.clone();
    let n = crc.len();
    crc[n - 8] ^= 0xff;
    only(
        &verify_at(&write(d, "crc.tar.gz", &crc), &[]).1,
        "checksum-mismatch",
    );
    let mut isize = gz.clone();
    isize[n - 1] ^= 0x01;
    only(
        &verify_at(&write(d, "isize.tar.gz", &isize), &[]).1,
        "checksum-mismatch",
    );

    let mut bad_deflate = gz[..10].to_vec();
    bad_deflate.extend([0xff; 64]);
    only(
        &verify_at(&write(d, "deflate.tar.gz", &bad_deflate), &[]).1,
        "corrupt-stream",
    );

    let mut trailing = gz.clone();
    trailing.extend(b"not another gzip member");
    only(
        &verify_at(&write(d, "garbage.tar.gz", &trailing), &[]).1,
        "trailing-garbage",
    );

    let mut zst = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
    zst.include_checksum(true).unwrap();
    std::io::Write::write_all(&mut zst, &tar).unwrap();
    let mut zst = zst.finish().unwrap();
    assert_eq!(verify_at(&write(d, "ok.tar.zst", &zst), &[]).1.len(), 0);
    let m = zst.len();
    zst[m - 1] ^= 0xff;
    only(
        &verify_at(&write(d, "sum.tar.zst", &zst), &[]).1,
        "checksum-mismatch",
    );

    let mut header = tar.clone();
    header[1024 + 20] ^= 0x20; // a byte of the second entry's name: its header checksum fails
    only(
        &verify_at(&write(d, "header.tar", &header), &[]).1,
        "tar-header",
    );

    let no_marker = &tar[..tar.len() - 1024];
    let (code, codes, _) = verify_at(&write(d, "nomarker.tar", no_marker), &[]);
    only(&codes, "end-marker-missing");
    assert_eq!(
        code,
        Some(0),
        "a missing end-of-archive marker is a warning"
    );

    let mut after = tar.clone();
    after.extend([b'x'; 512]);
    only(
        &verify_at(&write(d, "after.tar", &after), &[]).1,
        "trailing-data",
    );
}

#[test]
fn corruption_matrix_entries() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "duplicate-entry",
            tar_with(|b| {
                let same = serde_json::to_vec(&objects()[1].body).unwrap();
                append_file(b, "resources/configmaps/namespaces/app/cfg.json", &same).unwrap()
            }),
        ),
        (
            "link-entry",
            tar_with(|b| {
                append_raw(
                    b,
                    "resources/configmaps/namespaces/app/l.json",
                    tar::EntryType::Symlink,
                    b"",
                    Some("/etc/passwd"),
                )
                .unwrap()
            }),
        ),
        (
            "device-entry",
            tar_with(|b| {
                append_raw(
                    b,
                    "resources/configmaps/namespaces/app/d.json",
                    tar::EntryType::Block,
                    b"",
                    None,
                )
                .unwrap()
            }),
        ),
        (
            "absolute-path",
            tar_with(|b| {
                append_raw(
                    b,
                    "/resources/configmaps/namespaces/app/a.json",
                    tar::EntryType::Regular,
                    b"{}",
                    None,
                )
                .unwrap()
            }),
        ),
        (
            "parent-path",
            tar_with(|b| {
                append_raw(
                    b,
                    "resources/../../x.json",
                    tar::EntryType::Regular,
                    b"{}",
                    None,
                )
                .unwrap()
            }),
        ),
        (
            "outside-grammar",
            tar_with(|b| {
                append_file(b, "resources/configmaps/namespaces/app/sub/x.json", b"{}").unwrap()
            }),
        ),
        (
            "invalid-json",
            tar_with(|b| {
                append_file(
                    b,
                    "resources/configmaps/namespaces/app/bad.json",
                    b"{\"a\":",
                )
                .unwrap()
            }),
        ),
        (
            "path-mismatch",
            tar_with(|b| {
                append_file(b, "resources/configmaps/namespaces/app/x.json", br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"y","namespace":"app"}}"#).unwrap()
            }),
        ),
        (
            "kind-mismatch",
            tar_with(|b| {
                append_file(b, "resources/pods/namespaces/app/k.json", br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"k","namespace":"app"}}"#).unwrap()
            }),
        ),
        (
            "version-mismatch",
            tar_with(|b| {
                let body = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"v","namespace":"app"}}"#;
                append_file(b, "resources/configmaps/namespaces/app/v.json", body).unwrap();
                append_file(
                    b,
                    "resources/configmaps/v1beta1-preferredversion/namespaces/app/v.json",
                    body,
                )
                .unwrap();
            }),
        ),
        (
            "twin-mismatch",
            tar_with(|b| {
                append_file(b, "resources/configmaps/namespaces/app/t.json", br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t","namespace":"app"}}"#).unwrap();
                append_file(b, "resources/configmaps/v1-preferredversion/namespaces/app/t.json", br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t","namespace":"app"},"data":{}}"#).unwrap();
            }),
        ),
        (
            "missing-unversioned",
            tar_with(|b| {
                append_file(b, "resources/configmaps/v1-preferredversion/namespaces/app/m.json", br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"m","namespace":"app"}}"#).unwrap()
            }),
        ),
    ];
    for (code, bytes) in cases {
        let (exit, codes, _) = verify_at(
            &write(d, &format!("{code}.tar.gz"), &gzip(&bytes).unwrap()),
            &[],
        );
        only(&codes, code);
        assert_eq!(exit, Some(1), "{code} is an error");
    }
    let (_, codes, _) = verify_at(&fixture("tarballs/pax-bomb.tar.gz"), &[]);
    only(&codes, "entry-budget");
}

/// A backup folder with its side files, from the generator; `damage` edits it.
fn folder(
    damage: impl FnOnce(&Path, &mut Value, &mut Vec<Obj>),
) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let mut backup = json!({"apiVersion": "velero.io/v1", "kind": "Backup",
        "metadata": {"name": "b", "namespace": "velero"},
        "spec": {"includedNamespaces": ["*"], "includeClusterResources": true},
        "status": {"phase": "Completed", "formatVersion": "1.1.0", "version": 1,
                   "startTimestamp": "2022-11-29T07:29:44Z", "completionTimestamp": "2022-11-29T07:29:50Z"}});
    let mut objs = objects();
    damage(tmp.path(), &mut backup, &mut objs);
    let dir = Folder {
        name: "b",
        codec: Codec::Gzip,
        objects: objs,
        extra_entries: vec![],
        backup: Some(backup),
        results: json!({"errors": {}, "warnings": {}}),
        volume_info: json!([]),
    }
    .write(tmp.path())
    .unwrap();
    std::fs::remove_file(dir.join("expected.json")).unwrap();
    (tmp, dir)
}

#[test]
fn backup_records_agree_with_the_archive() {
    let (_t, dir) = folder(|_, _, _| {});
    let (code, codes, v) = verify_at(&dir, &[]);
    assert_eq!((code, codes.len()), (Some(0), 0), "{v}");

    let (_t, dir) = folder(|_, b, _| b["status"]["phase"] = json!("PartiallyFailed"));
    let (code, codes, _) = verify_at(&dir, &[]);
    only(&codes, "phase-partially-failed");
    assert_eq!(code, Some(0));
    let (_t, dir) = folder(|_, b, _| b["status"]["phase"] = json!("Failed"));
    only(&verify_at(&dir, &[]).1, "phase-not-completed");
    let (_t, dir) = folder(|_, b, _| b["status"]["formatVersion"] = json!("1.0.0"));
    only(&verify_at(&dir, &[]).1, "format-version-mismatch");
    let (_t, dir) = folder(|_, b, _| b["spec"] = json!({"includedNamespaces": ["other"]}));
    let (code, codes, _) = verify_at(&dir, &[]);
    only(&codes, "not-selected-by-spec");
    assert_eq!(code, Some(0), "an audit finding is a warning");

    // Edits after the generator wrote the folder.
    let (_t, dir) = folder(|_, _, _| {});
    let json_path = dir.join("velero-backup.json");
    let mut b: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    b["status"]["progress"]["itemsBackedUp"] = json!(99);
    std::fs::write(&json_path, b.to_string()).unwrap();
    only(&verify_at(&dir, &[]).1, "progress-mismatch");
    std::fs::write(&json_path, "{not json").unwrap();
    only(&verify_at(&dir, &[]).1, "backup-json-invalid");

    let (_t, dir) = folder(|_, _, _| {});
    let list = json!({"v1/ConfigMap": ["app/cfg", "app/ghost"], "v1/Namespace": ["app"], "v1/PersistentVolume": ["pv-1"]});
    std::fs::write(
        dir.join("b-resource-list.json.gz"),
        gzip(format!("{list}\n").as_bytes()).unwrap(),
    )
    .unwrap();
    let (_, codes, v) = verify_at(&dir, &[]);
    assert_eq!(
        codes,
        set(&["resource-list-extra-item", "resource-list-missing-item"]),
        "{v}"
    );
    let msgs: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("v1/ConfigMap app/ghost is listed but not in the archive"))
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("v1/Pod app/web is in the archive but not listed"))
    );

    let (_t, dir) = folder(|_, _, _| {});
    std::fs::write(dir.join("b-volumeinfo.json.gz"), b"plain text").unwrap();
    only(&verify_at(&dir, &[]).1, "side-file-invalid");
    let (_t, dir) = folder(|_, _, _| {});
    let results = json!({"errors": {"namespaces": {"app": ["resource: /pods name: /web error: /hook failed"]}}, "warnings": {}});
    std::fs::write(
        dir.join("b-results.gz"),
        gzip(format!("{results}\n").as_bytes()).unwrap(),
    )
    .unwrap();
    let (code, codes, _) = verify_at(&dir, &[]);
    only(&codes, "backup-error-recorded");
    assert_eq!(code, Some(0));
}

#[test]
fn format_version_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let body = serde_json::to_vec(&objects()[1].body).unwrap();
    for p in objects()[1].paths() {
        append_file(&mut b, &p, &body).unwrap();
    }
    let p = write(dir.path(), "nover.tar", &b.into_inner().unwrap());
    only(&verify_at(&p, &[]).1, "format-version-missing");
    let mut b = tar::Builder::new(Vec::new());
    append_file(&mut b, "metadata/version", b"2.0.0\n").unwrap();
    let p = write(dir.path(), "v2.tar", &b.into_inner().unwrap());
    only(&verify_at(&p, &[]).1, "format-version-unsupported");
}

#[test]
fn policy_gates() {
    let (t, dir) = folder(|_, _, _| {});
    let policy = |text: &str| {
        let p = t.path().join("policy.yaml");
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    let ok = policy(
        "requiredNamespaces: {app: 2}\nrequiredResources: {pods: 1, cm: 1}\nforbiddenNamespaces: [kube-system]\nforbiddenResources: [secrets]\nmaxAge: 1000000h\nallowedPhases: [Completed]\nmaxWarnings: 0\n",
    );
    let (code, codes, _) = verify_at(&dir, &["--policy", &ok]);
    assert_eq!((code, codes.len()), (Some(0), 0));
    let bad = policy(
        "requiredNamespaces: {app: 5, db: 1}\nrequiredResources: {deploy: 1}\nforbiddenResources: [configmaps]\nforbiddenNamespaces: [app]\nmaxAge: 26h\nallowedPhases: [PartiallyFailed]\n",
    );
    let (code, codes, _) = verify_at(&dir, &["--policy", &bad]);
    assert_eq!(code, Some(1));
    assert_eq!(
        codes,
        set(&[
            "forbidden-namespace",
            "forbidden-resource",
            "max-age",
            "phase-not-allowed",
            "required-namespace",
            "required-resource"
        ])
    );
    let demote =
        policy("forbiddenResources: [configmaps]\nseverity: {forbidden-resource: warning}\n");
    let (code, codes, _) = verify_at(&dir, &["--policy", &demote]);
    assert_eq!(
        (code, codes),
        (Some(0), set(&["forbidden-resource"])),
        "a demoted finding does not fail"
    );
    let unknown = policy("severity: {no-such-check: warning}\n");
    let out = veloscope(&["verify", path_str(&dir), "--policy", &unknown]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown finding code \"no-such-check\""));
    let typo = policy("maxAges: 1h\n");
    assert_eq!(
        veloscope(&["verify", path_str(&dir), "--policy", &typo])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn manifest_round_trip_reports_tampering() {
    let (_t, dir) = folder(|_, _, _| {});
    let out = veloscope(&["verify", path_str(&dir), "--write-manifest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.join("veloscope-manifest.json").is_file());
    let (code, codes, v) = verify_at(&dir, &[]);
    assert_eq!((code, codes.len()), (Some(0), 0), "{v}");
    assert!(
        v["manifest"]
            .as_str()
            .unwrap()
            .starts_with("checked against")
    );

    // Rewrite the tarball: one item altered, one removed, one added.
    let mut objs = objects();
    objs[1].body["data"]["k"] = json!("tampered");
    objs.remove(3);
    objs.push(obj("secrets", "app/new", json!({})));
    std::fs::write(
        dir.join("b.tar.gz"),
        gzip(&tar_bytes(&objs, &[]).unwrap()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("b-results.gz"),
        gzip(b"{\"errors\":{},\"warnings\":{\"velero\":[\"x\"]}}\n").unwrap(),
    )
    .unwrap();
    let (code, codes, v) = verify_at(&dir, &[]);
    assert_eq!(code, Some(1));
    for c in [
        "manifest-item-added",
        "manifest-item-altered",
        "manifest-item-removed",
        "manifest-side-file-altered",
    ] {
        assert!(codes.contains(c), "{c}: {v}");
    }
    let msgs = v.to_string();
    assert!(
        msgs.contains("configmaps/app/cfg was altered")
            && msgs.contains("persistentvolumes/pv-1 was removed")
            && msgs.contains("secrets/app/new was added")
    );

    // An edited manifest is caught by its own digest.
    let mpath = dir.join("veloscope-manifest.json");
    let mut m: Value = serde_json::from_slice(&std::fs::read(&mpath).unwrap()).unwrap();
    m["items"]["configmaps/app/cfg"] = json!("0".repeat(64));
    std::fs::write(&mpath, m.to_string()).unwrap();
    assert!(verify_at(&dir, &[]).1.contains("manifest-invalid"));
}

#[test]
fn junit_report() {
    let dir = tempfile::tempdir().unwrap();
    let xml_path = dir.path().join("verify.xml");
    let out = veloscope(&[
        "verify",
        path_str(&fixture("tarballs/invalid-json.tar.gz")),
        "--junit",
        path_str(&xml_path),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    for suite in [
        "compression",
        "tar",
        "items",
        "backup",
        "policy",
        "manifest",
    ] {
        assert!(
            xml.contains(&format!("<testsuite name=\"{suite}\"")),
            "{suite}: {xml}"
        );
    }
    assert!(xml.contains("<testcase name=\"invalid-json\""));
    assert!(xml.contains("<failure"), "{xml}");
    assert_eq!(
        xml.matches("<failure").count(),
        1,
        "only the invalid-json check fails"
    );
}

#[test]
fn table_groups_by_severity_and_could_not_run_is_two() {
    let out = veloscope(&["verify", path_str(&fixture("tarballs/hostile-paths.tar"))]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("ERRORS (6)\nCODE"), "{text}");
    assert!(
        text.trim_end()
            .ends_with("1 item, 6 errors, 0 warnings: FAILED"),
        "{text}"
    );
    assert_eq!(
        veloscope(&["verify", "/nonexistent/x.tar.gz"])
            .status
            .code(),
        Some(2)
    );
}

/// A backup folder whose tarball lost its second half: the truncation is the cause, the
/// mismatching counts its knock-on.
fn truncated_backup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("bsl/backups/sonobuoy-k8s114");
    let dst = dir.path().join("sonobuoy-k8s114");
    std::fs::create_dir(&dst).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        if e.file_name().to_string_lossy().ends_with(".vsidx") {
            continue;
        }
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
    let tarball = dst.join("sonobuoy-k8s114.tar.gz");
    let bytes = std::fs::read(&tarball).unwrap();
    std::fs::write(&tarball, &bytes[..bytes.len() / 2]).unwrap();
    dir
}

#[test]
fn findings_group_by_code_root_cause_first_and_cap() {
    let dir = truncated_backup();
    let backup = dir.path().join("sonobuoy-k8s114");
    let out = veloscope(&["verify", path_str(&backup), "--max-findings", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let codes: Vec<&str> = text
        .lines()
        .skip(2)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(codes[0], "truncated", "the cause first: {text}");
    let missing = text
        .lines()
        .find(|l| l.starts_with("resource-list-missing-item"))
        .unwrap();
    let count: usize = missing.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(count > 1, "{text}");
    assert!(
        text.contains(&format!("… {} more resource-list-missing-item", count - 1)),
        "{text}"
    );
    // The summary counts every finding, listed or not.
    let errors: usize = text
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("ERRORS (")
        .trim_end_matches(')')
        .parse()
        .unwrap();
    assert!(text.contains(&format!(", {errors} errors,")), "{text}");

    // JSON lists every finding unless asked; capped, it counts what it left out.
    let all = veloscope(&["verify", path_str(&backup), "-o", "json"]);
    let all: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(all["problems"].as_array().unwrap().len(), errors);
    assert!(all.get("omitted").is_none());
    let capped = veloscope(&[
        "verify",
        path_str(&backup),
        "-o",
        "json",
        "--max-findings",
        "1",
    ]);
    let capped: serde_json::Value = serde_json::from_slice(&capped.stdout).unwrap();
    assert_eq!(capped["omitted"]["resource-list-missing-item"], count - 1);
    assert_eq!(capped["ok"], false);
}
