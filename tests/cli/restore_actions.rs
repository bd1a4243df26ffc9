//! `plan` and `plan --render` against Velero's default restore item actions
//! (`pkg/restore/actions/*_action.go`): the objects a restore would create, skip or merge.

use crate::common::*;
use serde_json::{Value, json};
use std::path::Path;

fn plan(a: &TestArchive, extra: &[&str]) -> Value {
    let mut args = vec!["plan", path_str(&a.path), "-o", "json"];
    args.extend_from_slice(extra);
    json(&args)
}

/// The rendered object whose file name contains `part`.
fn rendered(dir: &Path, part: &str) -> Value {
    let file = std::fs::read_dir(dir)
        .expect("render dir")
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().contains(part))
        .unwrap_or_else(|| panic!("no rendered {part}"));
    let text = std::fs::read_to_string(file.path()).expect("read");
    veloscope_model::manifest::first_document(&text).expect("yaml")
}

fn skip_note(v: &Value, name: &str) -> Option<String> {
    v["skipped"]
        .as_array()?
        .iter()
        .find(|s| s["name"] == name)
        .map(|s| format!("{}: {}", s["reason"], s["note"]))
}

fn warnings(v: &Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect()
}

#[test]
fn actions_rewrite_and_skip_what_velero_does() {
    let token = "kubernetes.io/service-account-token";
    let a = archive(&[
        obj(
            "serviceaccounts",
            "app/builder",
            json!({"secrets": [{"name": "builder-token-abcde"}, {"name": "builder-dockercfg"}]}),
        ),
        obj(
            "secrets",
            "app/builder-token-abcde",
            json!({"type": token,
            "metadata": {"annotations": {"kubernetes.io/service-account.name": "builder", "kubernetes.io/service-account.uid": "u1"}},
            "data": {"token": "dA==", "ca.crt": "Yw==", "namespace": "YXBw"}}),
        ),
        obj(
            "secrets",
            "app/default-token-xyz",
            json!({"type": token, "data": {"token": "dA=="}}),
        ),
        obj(
            "secrets",
            "app/orphan-token-q",
            json!({"type": token,
            "metadata": {"annotations": {"kubernetes.io/service-account.uid": "u2", "keep": "1"}},
            "data": {"token": "dA==", "ca.crt": "Yw==", "extra": "eA=="}}),
        ),
        obj(
            "secrets",
            "app/plain",
            json!({"type": "Opaque", "data": {"token": "dA=="}}),
        ),
        obj(
            "apiservices.apiregistration.k8s.io",
            "v1.apps",
            json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
            "metadata": {"labels": {"kube-aggregator.kubernetes.io/automanaged": "onstart"}}}),
        ),
        obj(
            "apiservices.apiregistration.k8s.io",
            "v1beta1.metrics.k8s.io",
            json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService"}),
        ),
        obj(
            "validatingwebhookconfigurations.admissionregistration.k8s.io",
            "guard",
            json!({
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
            "webhooks": [{"name": "a.example.com", "sideEffects": "Unknown"}, {"name": "b.example.com", "sideEffects": "NoneOnDryRun"}]}),
        ),
        obj(
            "customresourcedefinitions.apiextensions.k8s.io",
            "widgets.example.com",
            json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "spec": {"group": "example.com", "scope": "Namespaced", "preserveUnknownFields": true,
                "names": {"plural": "widgets", "kind": "Widget"},
                "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object"}}}]}}),
        ),
        obj(
            "persistentvolumeclaims",
            "app/data",
            json!({"metadata": {"annotations": {
            "pv.kubernetes.io/bind-completed": "yes", "volume.kubernetes.io/storage-provisioner": "ebs",
            "volume.kubernetes.io/selected-node": "node-1", "velero.io/volume-snapshot-name": "snap", "keep.example.com/x": "1"}},
            "spec": {"storageClassName": "gp2"}}),
        ),
    ]);
    let out = a.dir.path().join("render");
    let v = plan(
        &a,
        &["--render", path_str(&out), "--include-cluster-resources"],
    );
    // Skipped, with the action that skips them.
    let apiservice = skip_note(&v, "v1.apps").expect("automanaged APIService skipped");
    assert!(apiservice.contains("velero.io/apiservice"), "{apiservice}");
    assert!(
        skip_note(&v, "v1beta1.metrics.k8s.io").is_none(),
        "a user APIService is restored"
    );
    for (secret, account) in [
        ("builder-token-abcde", "builder"),
        ("default-token-xyz", "default"),
    ] {
        let note = skip_note(&v, secret).unwrap_or_else(|| panic!("{secret} skipped"));
        assert!(
            note.contains("velero.io/secret") && note.contains(account),
            "{note}"
        );
    }
    // Rewritten.
    let sa = rendered(&out, "serviceaccounts-app-builder");
    assert_eq!(sa["secrets"], json!([{"name": "builder-dockercfg"}]));
    let orphan = rendered(&out, "secrets-app-orphan-token-q");
    assert_eq!(orphan["data"], json!({"extra": "eA=="}));
    assert_eq!(orphan["metadata"]["annotations"], json!({"keep": "1"}));
    assert_eq!(
        rendered(&out, "secrets-app-plain")["data"],
        json!({"token": "dA=="})
    );
    let hooks = rendered(&out, "validatingwebhookconfigurations");
    assert_eq!(hooks["webhooks"][0]["sideEffects"], "None");
    assert_eq!(hooks["webhooks"][1]["sideEffects"], "NoneOnDryRun");
    let crd = rendered(&out, "customresourcedefinitions");
    assert_eq!(crd["spec"]["preserveUnknownFields"], false);
    assert_eq!(
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["x-kubernetes-preserve-unknown-fields"],
        true
    );
    let pvc = rendered(&out, "persistentvolumeclaims-app-data");
    assert_eq!(
        pvc["metadata"]["annotations"],
        json!({"keep.example.com/x": "1"})
    );
    // The actions that read the cluster are named.
    let w = warnings(&v);
    assert!(
        w.iter()
            .any(|w| w.starts_with("velero.io/change-storage-class:")),
        "{w:#?}"
    );
}

#[test]
fn an_existing_service_account_is_merged_whatever_the_policy() {
    let a = archive(&[
        obj(
            "serviceaccounts",
            "app/runner",
            json!({"secrets": [{"name": "s1"}, {"name": "s2"}],
            "imagePullSecrets": [{"name": "pull"}], "metadata": {"labels": {"team": "a"}}}),
        ),
        obj("serviceaccounts", "app/same", json!({})),
    ]);
    let cluster = json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "runner", "namespace": "app"}, "secrets": [{"name": "s1"}]},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "same", "namespace": "app"}}
    ]});
    let f = a.file("cluster.json", &cluster.to_string());
    for policy in [&[][..], &["--existing-resource-policy", "none"][..]] {
        let mut args = vec!["--existing", f.as_str()];
        args.extend_from_slice(policy);
        let v = plan(&a, &args);
        let step = |name: &str| {
            v["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["name"] == name)
                .cloned()
                .unwrap()
        };
        let runner = step("runner");
        assert_eq!(runner["action"], "update", "{runner}");
        let note = runner["note"].as_str().unwrap();
        assert!(
            note.contains("secrets +s2")
                && note.contains("imagePullSecrets +pull")
                && note.contains("labels +team"),
            "{note}"
        );
        assert_eq!(step("same")["action"], "skip");
    }
    // Identical but for Velero's labels, under update: Velero patches the labels on (an
    // update, not a skip), as its restore tests expect.
    let v = plan(
        &a,
        &[
            "--existing",
            f.as_str(),
            "--existing-resource-policy",
            "update",
        ],
    );
    let same = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "same")
        .cloned()
        .unwrap();
    assert_eq!(same["action"], "update", "{same}");
    assert!(same["note"].as_str().unwrap().contains("labels"), "{same}");
}

#[test]
fn restore_name_and_spec_files() {
    let a = archive(&[
        obj("configmaps", "app/c", json!({})),
        obj("configmaps", "other/d", json!({})),
    ]);
    let out = a.dir.path().join("render");
    let whole = a.file(
        "restore.yaml",
        "apiVersion: velero.io/v1\nkind: Restore\nmetadata:\n  name: nightly-drill\nspec:\n  includedNamespaces: [app]\n",
    );
    plan(&a, &["--spec", &whole, "--render", path_str(&out)]);
    let c = rendered(&out, "configmaps-app-c");
    assert_eq!(
        c["metadata"]["labels"]["velero.io/restore-name"],
        "nightly-drill"
    );
    // A bare {"spec": ...} is a manifest without its kind: its selector applies.
    let bare = a.file("bare.json", r#"{"spec": {"includedNamespaces": ["app"]}}"#);
    let v = plan(&a, &["--spec", &bare]);
    let names: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(names.contains(&"c") && !names.contains(&"d"), "{names:?}");
    // A field Velero does not have is an error, never ignored.
    let typo = a.file("typo.yaml", "spec:\n  includedNamespace: [app]\n");
    refused(
        &["plan", path_str(&a.path), "--spec", &typo],
        "unknown field \"includedNamespace\"",
    );
    let typo = a.file(
        "typo2.yaml",
        "kind: Backup\nspec:\n  includeNamespaces: [app]\n",
    );
    refused(
        &["preview", path_str(&a.path), "--spec", &typo],
        "unknown field \"includeNamespaces\"",
    );
}

/// A claim whose volume has no snapshot, no pod volume backup and no data upload comes back
/// empty: the plan says so first, not only in its skipped list.
#[test]
fn a_claim_that_comes_back_empty_is_the_first_warning() {
    let a = archive(&[
        obj(
            "persistentvolumes",
            "pv-data",
            json!({"spec": {"persistentVolumeReclaimPolicy": "Delete",
            "claimRef": {"namespace": "app", "name": "data"}}, "status": {"phase": "Bound"}}),
        ),
        obj(
            "persistentvolumeclaims",
            "app/data",
            json!({"spec": {"volumeName": "pv-data"}, "status": {"phase": "Bound"}}),
        ),
    ]);
    let v = plan(&a, &["--namespace-mappings", "app:drill"]);
    let w = warnings(&v);
    assert!(
        w.first()
            .is_some_and(|w| w.starts_with("PVC drill/data will be re-provisioned empty")),
        "{w:#?}"
    );
    let out = veloscope(&["plan", path_str(&a.path)]);
    let table = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr(&out);
    assert!(
        table.contains("PVC app/data will be re-provisioned empty"),
        "{table}"
    );
}

/// Velero's `shouldRenamePV` (its restore tests "when a PV with a reclaim policy of Delete has a
/// snapshot and exists in-cluster, it is renamed"): a snapshotted PV whose claim's namespace is
/// remapped while a PV of its name exists comes back as `velero-clone-<uuid>`, annotated with its
/// original name, and its claim follows it.
#[test]
fn a_snapshotted_pv_that_clashes_is_renamed() {
    use fixture_gen::{Codec, Folder};
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = Folder {
        name: "b",
        codec: Codec::Gzip,
        objects: vec![
            obj("persistentvolumeclaims", "app/data", json!({"spec": {"volumeName": "pv-data"}, "status": {"phase": "Bound"}})),
            obj("persistentvolumes", "pv-data", json!({"spec": {"persistentVolumeReclaimPolicy": "Delete",
                "claimRef": {"namespace": "app", "name": "data", "uid": "u1"}}})),
        ],
        extra_entries: vec![],
        backup: Some(json!({"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": "b"}, "spec": {}, "status": {"phase": "Completed"}})),
        results: json!({"errors": {}, "warnings": {}}),
        volume_info: json!([{"pvName": "pv-data", "backupMethod": "NativeSnapshot"}]),
    }
    .write(tmp.path())
    .expect("folder");
    let cluster = tmp.path().join("cluster.json");
    std::fs::write(
        &cluster,
        json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv-data"}}]})
        .to_string(),
    )
    .expect("write");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "plan",
            path_str(&dir),
            "-o",
            "json",
            "--existing",
            path_str(&cluster),
        ];
        args.extend_from_slice(extra);
        json(&args)
    };
    let pv_step = |v: &Value| {
        v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["resource"] == "persistentvolumes")
            .cloned()
            .expect("pv step")
    };
    // Not remapped: no rename (the existing PV makes Velero skip the snapshot restore instead).
    assert_eq!(pv_step(&run(&[]))["name"], "pv-data");
    let out = tmp.path().join("render");
    let v = run(&[
        "--namespace-mappings",
        "app:drill",
        "--render",
        path_str(&out),
    ]);
    let step = pv_step(&v);
    // The archive item's name, joinable to the archive; the new one beside it.
    assert_eq!(step["name"], "pv-data", "{step}");
    assert_eq!(step["targetName"], "velero-clone-<uuid-1>", "{step}");
    assert!(
        step["note"].as_str().unwrap().contains("placeholder"),
        "{step}"
    );
    let pv = rendered(&out, "persistentvolumes-velero-clone");
    assert_eq!(pv["metadata"]["name"], "velero-clone-<uuid-1>");
    assert_eq!(
        pv["metadata"]["annotations"]["velero.io/original-pv-name"],
        "pv-data"
    );
    assert_eq!(pv["spec"]["claimRef"]["namespace"], "drill");
    let pvc = rendered(&out, "persistentvolumeclaims-drill-data");
    assert_eq!(pvc["spec"]["volumeName"], "velero-clone-<uuid-1>");
}

/// Velero's CSI restore actions: a claim backed by a VolumeSnapshot is sourced from it, and the
/// snapshot and its content are re-created under names derived from the Restore's UID; with
/// `restorePVs: false` none of the CSI kinds is restored.
#[test]
fn csi_snapshots_are_restored_as_velero_restores_them() {
    let a = archive(&[
        obj(
            "persistentvolumeclaims",
            "app/data",
            json!({"metadata": {"annotations": {"velero.io/volume-snapshot-name": "vs-1"}},
            "spec": {"volumeName": "pv-1"}, "status": {"phase": "Pending"}}),
        ),
        obj(
            "volumesnapshots.snapshot.storage.k8s.io",
            "app/vs-1",
            json!({"spec": {"source": {"persistentVolumeClaimName": "data"},
            "volumeSnapshotClassName": "csi"}, "status": {"boundVolumeSnapshotContentName": "snapcontent-1"}}),
        ),
        obj(
            "volumesnapshotcontents.snapshot.storage.k8s.io",
            "snapcontent-1",
            json!({"spec": {"deletionPolicy": "Delete",
            "driver": "ebs.csi.aws.com", "source": {"volumeHandle": "vol-1"},
            "volumeSnapshotRef": {"name": "vs-1", "namespace": "app", "uid": "u"}}, "status": {"snapshotHandle": "snap-1"}}),
        ),
    ]);
    let out = a.dir.path().join("render");
    let v = plan(
        &a,
        &[
            "--render",
            path_str(&out),
            "--namespace-mappings",
            "app:drill",
        ],
    );
    let pvc = rendered(&out, "persistentvolumeclaims-drill-data");
    assert!(pvc["spec"].get("volumeName").is_none(), "{pvc}");
    assert_eq!(pvc["spec"]["dataSource"]["kind"], "VolumeSnapshot");
    assert_eq!(
        pvc["spec"]["dataSource"]["name"],
        "<sha256 of restore-uid/vs-1>"
    );
    let vs = rendered(&out, "volumesnapshots");
    assert_eq!(vs["metadata"]["name"], "<sha256 of restore-uid/vs-1>");
    assert_eq!(
        vs["spec"]["source"]["volumeSnapshotContentName"],
        "<sha256 of restore-uid/vs-1>"
    );
    let vsc = rendered(&out, "volumesnapshotcontents");
    assert_eq!(vsc["spec"]["source"], json!({"snapshotHandle": "snap-1"}));
    assert_eq!(vsc["spec"]["volumeSnapshotRef"]["namespace"], "drill");
    assert!(
        warnings(&v)
            .iter()
            .any(|w| w.starts_with("velero.io/csi-volumesnapshotcontent-restorer"))
    );
    let v = plan(&a, &["--restore-volumes", "false"]);
    for name in ["vs-1", "snapcontent-1"] {
        let note = skip_note(&v, name).unwrap_or_else(|| panic!("{name} skipped"));
        assert!(note.contains("restorePVs is false"), "{note}");
    }
    let out = a.dir.path().join("render2");
    plan(
        &a,
        &["--restore-volumes", "false", "--render", path_str(&out)],
    );
    let pvc = rendered(&out, "persistentvolumeclaims-app-data");
    assert!(
        pvc["spec"].get("dataSource").is_none() && pvc["spec"].get("volumeName").is_none(),
        "{pvc}"
    );
}
