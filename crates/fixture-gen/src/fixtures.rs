//! The committed fixtures under `fixtures/`, rebuilt from `fixtures/sources/`.

use crate::{Codec, Folder, Obj, append_file, append_raw, compress, gzip, sources, tar_bytes};
use anyhow::{Context, Result};
use serde_json::{Value, json};
use std::path::Path;

/// The stored spec of `velero backup create --include-cluster-resources=true` after the v1.17+
/// controller normalised it (format reference §3.4: old-path auto-excludes), with the other
/// defaults the controller fills in (§6.1).
fn normalised_spec() -> Value {
    json!({
        "csiSnapshotTimeout": "10m0s",
        "excludedResources": [
            "volumesnapshots.snapshot.storage.k8s.io",
            "volumesnapshotcontents.snapshot.storage.k8s.io"
        ],
        "hooks": {},
        "includeClusterResources": true,
        "includedNamespaces": ["*"],
        "itemOperationTimeout": "4h0m0s",
        "metadata": {},
        "storageLocation": "default",
        "ttl": "720h0m0s"
    })
}

fn backup_from(template: &Value) -> Value {
    let mut b = template.clone();
    b["spec"] = normalised_spec();
    b
}

fn no_results() -> Value {
    json!({"errors": {}, "warnings": {}})
}

/// Writes `bsl/` and `tarballs/` under `root`, reading `sources` (the committed corpus copies).
pub fn write_fixtures(sources_dir: &Path, root: &Path) -> Result<()> {
    let src = sources_dir;
    let bsl = root.join("bsl");
    if bsl.exists() {
        std::fs::remove_dir_all(&bsl)?;
    }
    let template = sources::debug_bundle_backup(
        &src.join("debug-bundle-1669709736054564976.tar.gz"),
        "backup-1",
    )?;

    // 1. A real k8s 1.14 cluster (sonobuoy), plus real CRDs: served as apiextensions v1beta1
    //    (preferred on 1.14) and as v1 (a non-preferred version directory).
    let mut objects = sources::sonobuoy(&src.join("sonobuoy-k8s-v1.14.2.tar.gz"))?;
    let crd_gr = "customresourcedefinitions.apiextensions.k8s.io";
    for crd in sources::crds(&src.join("crds/v1beta1"))? {
        objects.push(Obj::new(crd_gr, None, crd));
    }
    for crd in sources::crds(&src.join("crds/v1"))? {
        let mut o = Obj::new(crd_gr, None, crd);
        o.preferred = false;
        objects.push(o);
    }
    Folder {
        name: "sonobuoy-k8s114",
        codec: Codec::Gzip,
        objects,
        extra_entries: vec![],
        backup: Some(backup_from(&template)),
        results: no_results(),
        volume_info: json!([]),
    }
    .write(&bsl)?;

    // 2. A real k3s 1.24 cluster (support bundle), zstd-compressed.
    let objects = sources::support_bundle(&src.join("support-bundle-k3s-v1.24.4.tar.gz"))?;
    let volume_info: Vec<Value> = objects
        .iter()
        .filter(|o| o.gr == "persistentvolumes")
        .map(|pv| {
            let claim = &pv.body["spec"]["claimRef"];
            json!({"pvcName": claim["name"], "pvcNamespace": claim["namespace"], "pvName": pv.name,
                   "snapshotDataMoved": false, "preserveLocalSnapshot": false, "skipped": true,
                   "skippedReason": "no applicable volume policy",
                   "pvInfo": {"reclaimPolicy": pv.body["spec"]["persistentVolumeReclaimPolicy"], "labels": {}}})
        })
        .collect();
    Folder {
        name: "k3s-124",
        codec: Codec::Zstd,
        objects,
        extra_entries: vec![],
        backup: Some(backup_from(&template)),
        results: no_results(),
        volume_info: json!(volume_info),
    }
    .write(&bsl)?;

    // 3. Edge cases, plain tar: names that need PAX headers, names with ':', a non-preferred
    //    version directory, and the item states restore cares about.
    let edge = edge_objects();
    Folder {
        name: "edge-cases",
        codec: Codec::Tar,
        objects: edge.clone(),
        extra_entries: vec![],
        backup: Some(backup_from(&template)),
        results: no_results(),
        volume_info: json!([]),
    }
    .write(&bsl)?;

    write_damaged(&root.join("tarballs"), &edge)?;
    Ok(())
}

pub fn edge_objects() -> Vec<Obj> {
    let long_name = format!("config-{}", "x".repeat(113));
    let long_group = format!("{}.example.com", ["segment"; 20].join("-"));
    let mut v = vec![
        Obj::new(
            "namespaces",
            None,
            json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "edge", "labels": {"team": "storage"}}, "status": {"phase": "Active"}}),
        ),
        Obj::new(
            "configmaps",
            Some("edge"),
            json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": long_name, "namespace": "edge"}, "data": {"k": "v"}}),
        ),
        Obj::new(
            &format!("widgets.{long_group}"),
            Some("edge"),
            json!({"apiVersion": format!("{long_group}/v1"),
            "kind": "Widget", "metadata": {"name": "w1", "namespace": "edge"}, "spec": {"size": 3}}),
        ),
        Obj::new(
            "clusterroles.rbac.authorization.k8s.io",
            None,
            json!({"apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole", "metadata": {"name": "system:controller:edge-a"}, "rules": []}),
        ),
        Obj::new(
            "clusterroles.rbac.authorization.k8s.io",
            None,
            json!({"apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole", "metadata": {"name": "system:aggregate-to-edit", "labels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}}, "rules": []}),
        ),
        Obj::new(
            "horizontalpodautoscalers.autoscaling",
            Some("edge"),
            json!({"apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web", "namespace": "edge"},
            "spec": {"maxReplicas": 3, "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}}}),
        ),
        Obj::new(
            "pods",
            Some("edge"),
            json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-0", "namespace": "edge", "labels": {"app": "web"},
                "annotations": {"pre.hook.backup.velero.io/command": "[\"/bin/sync\"]"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "controller": true, "uid": "u1"}]},
            "spec": {"volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data-web-0"}}]},
            "status": {"phase": "Running"}}),
        ),
        Obj::new(
            "pods",
            Some("edge"),
            json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "done", "namespace": "edge", "labels": {"app": "batch"}}, "status": {"phase": "Succeeded"}}),
        ),
        Obj::new(
            "pods",
            Some("edge"),
            json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "leaving", "namespace": "edge", "deletionTimestamp": "2022-11-29T08:00:00Z"}, "status": {"phase": "Running"}}),
        ),
        Obj::new(
            "pods",
            Some("edge"),
            json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "skip-me", "namespace": "edge", "labels": {"velero.io/exclude-from-backup": "true"}}, "status": {"phase": "Running"}}),
        ),
        Obj::new(
            "jobs.batch",
            Some("edge"),
            json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "migrate", "namespace": "edge"}, "status": {"completionTime": "2022-11-29T07:00:00Z", "succeeded": 1}}),
        ),
        Obj::new(
            "persistentvolumeclaims",
            Some("edge"),
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data-web-0", "namespace": "edge", "labels": {"app": "web"}},
            "spec": {"volumeName": "pvc-1234", "storageClassName": "standard"}, "status": {"phase": "Bound"}}),
        ),
        Obj::new(
            "persistentvolumes",
            None,
            json!({"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": "pvc-1234"}, "spec": {"persistentVolumeReclaimPolicy": "Delete",
            "claimRef": {"name": "data-web-0", "namespace": "edge"}, "capacity": {"storage": "1Gi"}}, "status": {"phase": "Bound"}}),
        ),
    ];
    let mut v1 = Obj::new(
        "horizontalpodautoscalers.autoscaling",
        Some("edge"),
        json!({"apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web", "namespace": "edge"},
        "spec": {"maxReplicas": 3, "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}}}),
    );
    v1.preferred = false;
    v.push(v1);
    v
}

/// Damaged and hostile archives for the error tests, each described in fixtures/README.md.
fn write_damaged(dir: &Path, edge: &[Obj]) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let tar = tar_bytes(edge, &[])?;
    let gz = gzip(&tar)?;
    std::fs::write(dir.join("empty.tar.gz"), b"")?;
    std::fs::write(
        dir.join("not-an-archive.tar.gz"),
        b"This is a README, not a backup.\n",
    )?;
    std::fs::write(dir.join("truncated.tar.gz"), &gz[..gz.len() / 2])?;
    let mut bad_crc = gz.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 0xff;
    std::fs::write(dir.join("bad-crc.tar.gz"), bad_crc)?;
    // Flip one byte of the third header's name: its checksum no longer matches.
    let mut corrupt = tar.clone();
    let needle =
        b"resources/clusterroles.rbac.authorization.k8s.io/cluster/system:aggregate-to-edit.json";
    let at = corrupt
        .windows(needle.len())
        .position(|w| w == needle)
        .context("header to corrupt not found")?;
    corrupt[at + 10] ^= 0x20;
    std::fs::write(dir.join("corrupt-header.tar"), corrupt)?;
    // One item whose body is not JSON.
    let bad_json = tar_with(
        edge,
        &[(
            "resources/configmaps/namespaces/edge/broken.json",
            b"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{".as_slice(),
        )],
    )?;
    std::fs::write(dir.join("invalid-json.tar.gz"), gzip(&bad_json)?)?;
    // The same archive as two gzip members: valid, as Velero's multistream reader accepts it.
    let half = tar.len() / 2;
    let mut multi = gzip(&tar[..half])?;
    multi.extend(gzip(&tar[half..])?);
    std::fs::write(dir.join("multi-member.tar.gz"), multi)?;
    // A PAX header of 2 MiB: past the default 1 MiB budget on extension headers.
    let mut b = tar::Builder::new(Vec::new());
    append_file(&mut b, "metadata/version", b"1.1.0\n")?;
    let big = format!(
        "resources/configmaps/namespaces/a/{}.json",
        "y".repeat(2 << 20)
    );
    append_file(&mut b, &big, b"{}")?;
    std::fs::write(dir.join("pax-bomb.tar.gz"), gzip(&b.into_inner()?)?)?;
    std::fs::write(dir.join("hostile-paths.tar"), hostile(edge)?)?;
    std::fs::write(dir.join("edge.tar.zst"), compress(&tar, Codec::Zstd)?)?;
    Ok(())
}

fn tar_with(objs: &[Obj], extra: &[(&str, &[u8])]) -> Result<Vec<u8>> {
    let extra: Vec<(String, Vec<u8>)> = extra
        .iter()
        .map(|(p, d)| (p.to_string(), d.to_vec()))
        .collect();
    tar_bytes(objs, &extra)
}

/// Paths that escape, an absolute path, a symlink and a device, around one valid item.
fn hostile(edge: &[Obj]) -> Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    append_file(&mut b, "metadata/version", b"1.1.0\n")?;
    let body = serde_json::to_vec(&edge[0].body)?;
    append_file(&mut b, "resources/namespaces/cluster/edge.json", &body)?;
    let raw = |b: &mut tar::Builder<Vec<u8>>,
               name: &str,
               kind: tar::EntryType,
               link: Option<&str>|
     -> Result<()> {
        let data: &[u8] = if kind == tar::EntryType::Regular {
            b"{}"
        } else {
            b""
        };
        append_raw(b, name, kind, data, link)
    };
    raw(&mut b, "../escape.json", tar::EntryType::Regular, None)?;
    raw(&mut b, "/etc/cron.d/evil", tar::EntryType::Regular, None)?;
    raw(
        &mut b,
        "resources/pods/namespaces/x/../../../../evil.json",
        tar::EntryType::Regular,
        None,
    )?;
    raw(
        &mut b,
        "resources/pods/namespaces/x/link.json",
        tar::EntryType::Symlink,
        Some("/etc/passwd"),
    )?;
    raw(
        &mut b,
        "resources/pods/namespaces/x/dev.json",
        tar::EntryType::Char,
        None,
    )?;
    raw(&mut b, "notes.txt", tar::EntryType::Regular, None)?;
    Ok(b.into_inner()?)
}
