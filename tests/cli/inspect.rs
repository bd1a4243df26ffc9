use crate::common::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// inspect -o json agrees with what the generator put in the archive.
fn assert_matches_expected(report: &Value, exp: &Value) {
    assert_eq!(report["items"], exp["items"], "items");
    assert_eq!(report["entries"], exp["entries"], "entries");
    assert_eq!(report["clusterScopedItems"], exp["clusterScopedItems"]);
    assert_eq!(report["formatVersion"], "1.1.0");
    let resources: BTreeMap<String, &Value> = report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["resource"].as_str().unwrap().to_string(), r))
        .collect();
    let exp_res = exp["resources"].as_object().unwrap();
    assert_eq!(
        resources.keys().collect::<Vec<_>>(),
        exp_res.keys().collect::<Vec<_>>(),
        "resource set"
    );
    for (gr, e) in exp_res {
        let r = resources[gr];
        assert_eq!(r["items"], e["items"], "{gr} items");
        assert_eq!(r["namespaced"], e["namespaced"], "{gr} namespaced");
        assert_eq!(
            r["preferredVersion"], e["preferredVersion"],
            "{gr} preferred"
        );
        let mut got: Vec<&str> = r["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        got.sort();
        let want: Vec<&str> = e["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(got, want, "{gr} versions");
    }
    let namespaces: BTreeMap<String, Value> = report["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["namespace"].as_str().unwrap().to_string(),
                n["items"].clone(),
            )
        })
        .collect();
    let exp_ns: BTreeMap<String, Value> = exp["namespaces"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(namespaces, exp_ns, "namespaces");
}

#[test]
fn sonobuoy_real_cluster_gzip() {
    let dir = backup("sonobuoy-k8s114");
    let r = json(&["inspect", path_str(&dir), "-o", "json"]);
    assert_matches_expected(&r, &expected("sonobuoy-k8s114"));
    assert_eq!(r["compression"], "gzip");
    assert_eq!(r["backup"]["name"], "sonobuoy-k8s114");
    assert_eq!(r["backup"]["phase"], "Completed");
    assert_eq!(r["backup"]["spec"]["includedNamespaces"][0], "*");
    assert_eq!(r["backup"]["totalItems"], r["items"]);
    assert_eq!(
        r["warnings"].as_array().unwrap().len(),
        0,
        "{:?}",
        r["warnings"]
    );
    // The resource list side file counts each logical item once.
    assert_eq!(r["sideFiles"]["resourceList"], r["items"]);
    assert_eq!(r["sideFiles"]["itemOperations"], 0);
    assert_eq!(
        r["sideFiles"]["csiVolumeSnapshots"],
        Value::Null,
        "absent legacy file = none"
    );
}

#[test]
fn k3s_support_bundle_zstd() {
    let dir = backup("k3s-124");
    let r = json(&["inspect", path_str(&dir), "-o", "json"]);
    assert_matches_expected(&r, &expected("k3s-124"));
    assert_eq!(r["compression"], "zstd");
    assert_eq!(r["sideFiles"]["resourceList"], r["items"]);
    let pvs = &expected("k3s-124")["resources"]["persistentvolumes"]["items"];
    assert_eq!(&r["sideFiles"]["volumeInfo"], pvs);
}

#[test]
fn edge_cases_plain_tar_pax_colons_and_versions() {
    let dir = backup("edge-cases");
    let r = json(&["inspect", path_str(&dir), "-o", "json"]);
    assert_matches_expected(&r, &expected("edge-cases"));
    assert_eq!(r["compression"], "none");
    assert_eq!(r["warnings"].as_array().unwrap().len(), 0);
}

#[test]
fn same_archive_as_zstd_tarball_and_as_two_gzip_members() {
    let exp = expected("edge-cases");
    for f in ["tarballs/edge.tar.zst", "tarballs/multi-member.tar.gz"] {
        let r = json(&["inspect", path_str(&fixture(f)), "-o", "json"]);
        assert_matches_expected(&r, &exp);
        assert_eq!(
            r["backup"],
            Value::Null,
            "a bare tarball has no Backup object"
        );
    }
}

#[test]
fn yaml_and_table_output() {
    let dir = backup("edge-cases");
    let out = veloscope(&["inspect", path_str(&dir), "-o", "yaml"]);
    assert!(out.status.success());
    let y: Value =
        veloscope_model::manifest::first_document(std::str::from_utf8(&out.stdout).unwrap())
            .unwrap();
    assert_eq!(y["items"], expected("edge-cases")["items"]);
    let out = veloscope(&["inspect", path_str(&dir)]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Phase:"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("RESOURCE ") && l.contains("PREFERRED"))
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("horizontalpodautoscalers.autoscaling") && l.contains("v2,v1"))
    );
}

#[test]
fn hostile_paths_are_warnings_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fixture("tarballs/hostile-paths.tar");
    let out = veloscope_in(tmp.path(), &["inspect", path_str(&f), "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let warned: Vec<&str> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["entry"].as_str().unwrap())
        .collect();
    for entry in [
        "../escape.json",
        "/etc/cron.d/evil",
        "resources/pods/namespaces/x/../../../../evil.json",
        "resources/pods/namespaces/x/link.json",
        "resources/pods/namespaces/x/dev.json",
        "notes.txt",
    ] {
        assert!(
            warned.contains(&entry),
            "no warning for {entry}: {warned:?}"
        );
    }
    assert_eq!(r["items"], 1);
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing extracted"
    );
}
