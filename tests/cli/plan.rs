//! `plan` against Velero's restore tests (format reference §8, cases 22–28) and the restore rules
//! of §5: priorities, namespace mapping, skips, PV decisions, rendering, conflicts, hooks.

use crate::common::*;
use fixture_gen::{Codec, Folder, Obj, gzip};
use serde_json::{Value, json};

fn plan_json(path: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec!["plan", path_str(path), "-o", "json"];
    args.extend_from_slice(extra);
    json(&args)
}

fn steps(v: &Value) -> Vec<String> {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let ns = s["targetNamespace"]
                .as_str()
                .map(|n| format!("{n}/"))
                .unwrap_or_default();
            format!(
                "{} {}/{ns}{}",
                s["action"].as_str().unwrap(),
                s["resource"].as_str().unwrap(),
                s["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn created(v: &Value) -> std::collections::BTreeSet<String> {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == "create" && s["resource"] != "namespaces")
        .map(|s| {
            let ns = s["targetNamespace"]
                .as_str()
                .map(|n| format!("{n}/"))
                .unwrap_or_default();
            format!(
                "{}/{ns}{}",
                s["resource"].as_str().unwrap(),
                s["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn skipped(v: &Value) -> std::collections::BTreeMap<String, String> {
    v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let ns = s["namespace"]
                .as_str()
                .map(|n| format!("{n}/"))
                .unwrap_or_default();
            (
                format!(
                    "{}/{ns}{}",
                    s["resource"].as_str().unwrap(),
                    s["name"].as_str().unwrap()
                ),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// TestRestoreResourceFiltering's archive: pods in ns-1 and ns-2, two PVs.
fn pods_and_pvs() -> TestArchive {
    archive(&[
        obj(
            "pods",
            "ns-1/pod-1",
            json!({"metadata": {"labels": {"a1": "b1", "a": "b"}}}),
        ),
        obj(
            "pods",
            "ns-2/pod-2",
            json!({"metadata": {"labels": {"a2": "b2"}}}),
        ),
        obj(
            "persistentvolumes",
            "pv-1",
            json!({"metadata": {"labels": {"a": "b"}}}),
        ),
        obj(
            "persistentvolumes",
            "pv-2",
            json!({"metadata": {"labels": {"a5": "b5"}}}),
        ),
    ])
}

// TestRestoreResourceFiltering (reference §8, case 24).
#[test]
fn test_restore_resource_filtering() {
    let a = pods_and_pvs();
    let all = set(&[
        "persistentvolumes/pv-1",
        "persistentvolumes/pv-2",
        "pods/ns-1/pod-1",
        "pods/ns-2/pod-2",
    ]);
    assert_eq!(created(&plan_json(&a.path, &[])), all);
    // Velero's test excludes "pvs", which its fake discovery resolves; kubectl's short name is "pv".
    assert_eq!(
        created(&plan_json(&a.path, &["--exclude-resources", "pv"])),
        set(&["pods/ns-1/pod-1", "pods/ns-2/pod-2"])
    );
    assert_eq!(
        created(&plan_json(&a.path, &["--include-namespaces", "ns-1"])),
        set(&["pods/ns-1/pod-1"])
    );
    assert_eq!(
        created(&plan_json(
            &a.path,
            &[
                "--include-namespaces",
                "ns-1",
                "--include-cluster-resources"
            ]
        )),
        set(&[
            "persistentvolumes/pv-1",
            "persistentvolumes/pv-2",
            "pods/ns-1/pod-1"
        ])
    );
    assert_eq!(
        created(&plan_json(&a.path, &["--include-cluster-resources=false"])),
        set(&["pods/ns-1/pod-1", "pods/ns-2/pod-2"])
    );
}

// Label and OR selectors, cluster-scoped items included (reference §8, case 25).
#[test]
fn restore_selectors() {
    let a = pods_and_pvs();
    assert_eq!(
        created(&plan_json(
            &a.path,
            &["--or-selector", "a1=b1 or a2=b2 or a3=b3 or a4=b4"]
        )),
        set(&["pods/ns-1/pod-1", "pods/ns-2/pod-2"]),
        "the PV labelled a5=b5 is not restored"
    );
    assert_eq!(
        created(&plan_json(&a.path, &["-l", "a=b"])),
        set(&["persistentvolumes/pv-1", "pods/ns-1/pod-1"])
    );
}

// TestRestoreResourcePriorities (reference §8, case 23): creation order follows the priorities.
#[test]
fn test_restore_resource_priorities() {
    let a = archive(&[
        obj("deployments.apps", "ns/d", json!({})),
        obj("pods", "ns/p", json!({})),
        obj("serviceaccounts", "ns/sa", json!({})),
        obj("persistentvolumeclaims", "ns/c", json!({})),
        obj("persistentvolumes", "pv", json!({})),
    ]);
    let v = plan_json(
        &a.path,
        &[
            "--restore-resource-priorities",
            "persistentvolumes,persistentvolumeclaims,serviceaccounts,-,deployments.apps",
        ],
    );
    let order: Vec<String> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["resource"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        order,
        [
            "persistentvolumes",
            "namespaces",
            "persistentvolumeclaims",
            "serviceaccounts",
            "pods",
            "deployments.apps"
        ]
    );
    let bad = veloscope(&[
        "plan",
        path_str(&a.path),
        "--restore-resource-priorities",
        "a,-,b,-,c",
    ]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn default_order_crds_first_then_priorities_then_sorted() {
    let a = archive(&[
        obj("configmaps", "ns/c", json!({})),
        obj("deployments.apps", "ns/d", json!({})),
        obj("pods", "ns/p", json!({})),
        obj("secrets", "ns/s", json!({})),
        obj("services", "ns/svc", json!({})),
        crd("widgets.example.com", "Widget", true),
        obj("namespaces", "ns", json!({"status": {"phase": "Active"}})),
    ]);
    let v = plan_json(&a.path, &[]);
    assert_eq!(
        steps(&v),
        [
            "create customresourcedefinitions.apiextensions.k8s.io/widgets.example.com",
            "create namespaces/ns",
            "create secrets/ns/s",
            "create configmaps/ns/c",
            "create pods/ns/p",
            "create services/ns/svc",
            "create deployments.apps/ns/d",
        ]
    );
    let v = plan_json(&a.path, &["--velero-version", "1.11"]);
    let order: Vec<String> = steps(&v);
    let pos = |s: &str| order.iter().position(|x| x.contains(s)).unwrap();
    assert!(
        pos("deployments.apps") < pos("services/"),
        "before 1.12 services are not in the priority list: {order:?}"
    );
}

// TestRestoreNamespaceMapping: filters on source names, mapping on targets.
#[test]
fn test_restore_namespace_mapping() {
    let a = archive(&[
        obj("pods", "ns-1/pod-1", json!({})),
        obj("pods", "ns-2/pod-2", json!({})),
        obj("pods", "ns-3/pod-3", json!({})),
        obj(
            "namespaces",
            "ns-1",
            json!({"metadata": {"labels": {"team": "a"}}, "status": {"phase": "Active"}}),
        ),
    ]);
    let v = plan_json(
        &a.path,
        &[
            "--include-namespaces",
            "ns-1,ns-2",
            "--namespace-mappings",
            "ns-1:mapped-ns-1,ns-2:mapped-ns-2",
        ],
    );
    assert_eq!(
        created(&v),
        set(&["pods/mapped-ns-1/pod-1", "pods/mapped-ns-2/pod-2"])
    );
    let ns_steps: Vec<&Value> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == "create-namespace")
        .collect();
    assert_eq!(ns_steps.len(), 2);
    assert_eq!(ns_steps[0]["name"], "mapped-ns-1");
    assert!(
        ns_steps[0]["note"]
            .as_str()
            .unwrap()
            .contains("from the archived Namespace ns-1")
    );
    assert!(ns_steps[1]["note"].as_str().unwrap().starts_with("blank"));
    let v = plan_json(&a.path, &["--namespace-mappings", "ns-1:mapped-ns-1"]);
    assert!(
        created(&v).contains("pods/ns-3/pod-3"),
        "unmapped namespaces restore to themselves"
    );
}

// TestIsCompleted, mirror pods, non-restorable resources (reference §8, case 26).
#[test]
fn restore_skips() {
    let a = archive(&[
        obj(
            "pods",
            "ns/mirror",
            json!({"metadata": {"annotations": {"kubernetes.io/config.mirror": "abc"}}}),
        ),
        obj("pods", "ns/failed", json!({"status": {"phase": "Failed"}})),
        obj(
            "pods",
            "ns/succeeded",
            json!({"status": {"phase": "Succeeded"}}),
        ),
        obj(
            "pods",
            "ns/running",
            json!({"status": {"phase": "Running"}}),
        ),
        obj(
            "pods",
            "ns/pending",
            json!({"status": {"phase": "Pending"}}),
        ),
        obj(
            "jobs.batch",
            "ns/done",
            json!({"status": {"completionTime": "2024-01-01T00:00:00Z"}}),
        ),
        obj(
            "jobs.batch",
            "ns/empty",
            json!({"status": {"completionTime": ""}}),
        ),
        obj("events", "ns/ev", json!({})),
        obj("nodes", "node-1", json!({})),
    ]);
    let v = plan_json(&a.path, &[]);
    assert_eq!(
        created(&v),
        set(&["jobs.batch/ns/empty", "pods/ns/pending", "pods/ns/running"])
    );
    let s = skipped(&v);
    assert_eq!(s["pods/ns/mirror"], "mirror pod");
    assert_eq!(s["pods/ns/failed"], "completed pod");
    assert_eq!(s["pods/ns/succeeded"], "completed pod");
    assert_eq!(s["jobs.batch/ns/done"], "completed job");
    assert_eq!(s["events/ns/ev"], "non-restorable resource");
    assert_eq!(s["nodes/node-1"], "non-restorable resource");
}

// restore_controller_test.go (reference §8, case 27).
#[test]
fn non_restorable_includes_fail_validation() {
    let a = pods_and_pvs();
    for r in ["nodes", "events", "events.events.k8s.io"] {
        let out = veloscope(&["plan", path_str(&a.path), "--include-resources", r]);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("{r} are non-restorable resources")),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "excludes list cannot contain an item in the includes list: {r}"
            )),
            "{err}"
        );
    }
    let out = veloscope(&[
        "plan",
        path_str(&a.path),
        "--existing-resource-policy",
        "replace",
    ]);
    assert!(stderr(&out).contains("Invalid ExistingResourcePolicy: replace"));
    let out = veloscope(&[
        "plan",
        path_str(&a.path),
        "-l",
        "a=b",
        "--or-selector",
        "c=d",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

// TestInvalidTarballContents (reference §8, case 28).
#[test]
fn empty_and_undecodable_archives() {
    let empty = archive(&[]);
    let v = plan_json(&empty.path, &[]);
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("does not exist"))
    );
    let v = plan_json(&fixture("tarballs/invalid-json.tar.gz"), &[]);
    assert_eq!(skipped(&v)["configmaps/edge/broken"], "error decoding");
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("error decoding"))
    );
    assert!(!steps(&v).is_empty(), "the restore goes on");
}

/// A backup folder with PVs backed up in different ways.
fn volumes_folder(volume_info: Value) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let pvc = |name: &str| {
        obj(
            "persistentvolumeclaims",
            &format!("app/{name}"),
            json!({"spec": {"volumeName": format!("pv-{name}")}, "status": {"phase": "Bound"}}),
        )
    };
    let pv = |name: &str, policy: &str| {
        obj(
            "persistentvolumes",
            &format!("pv-{name}"),
            json!({"spec": {"persistentVolumeReclaimPolicy": policy, "claimRef": {"namespace": "app", "name": name, "uid": "u1"}}}),
        )
    };
    let objs: Vec<Obj> = vec![
        pvc("native"),
        pv("native", "Delete"),
        pvc("fs"),
        pv("fs", "Delete"),
        pvc("csi"),
        pv("csi", "Delete"),
        pvc("gone"),
        pv("gone", "Delete"),
        pvc("kept"),
        pv("kept", "Retain"),
        obj(
            "pods",
            "app/web",
            json!({"spec": {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "fs"}}]}}),
        ),
    ];
    let dir = Folder {
        name: "b",
        codec: Codec::Gzip,
        objects: objs,
        extra_entries: vec![],
        backup: Some(json!({"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": "b"}, "spec": {}, "status": {"phase": "Completed"}})),
        results: json!({"errors": {}, "warnings": {}}),
        volume_info,
    }
    .write(tmp.path())
    .unwrap();
    (tmp, dir)
}

#[test]
fn pv_decisions_from_volume_info() {
    let info = json!([
        {"pvName": "pv-native", "backupMethod": "NativeSnapshot"},
        {"pvName": "pv-fs", "backupMethod": "PodVolumeBackup"},
        {"pvName": "pv-csi", "backupMethod": "CSISnapshot"},
        {"pvName": "pv-gone", "skipped": true},
        {"pvName": "pv-kept", "skipped": true}
    ]);
    let (_t, dir) = volumes_folder(info);
    let v = plan_json(&dir, &[]);
    let notes: std::collections::BTreeMap<String, String> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["resource"] == "persistentvolumes")
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["note"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(notes["pv-native"], "from its native snapshot");
    assert!(notes["pv-kept"].starts_with("as is"));
    let s = skipped(&v);
    for pv in ["pv-fs", "pv-csi", "pv-gone"] {
        assert_eq!(
            s[&format!("persistentvolumes/{pv}")],
            "volume re-provisioned",
            "{pv}"
        );
    }
    let v = plan_json(&dir, &["--restore-volumes=false"]);
    let native = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "pv-native")
        .unwrap();
    assert!(
        native["note"]
            .as_str()
            .unwrap()
            .contains("restorePVs is false")
    );
}

#[test]
fn pv_decisions_from_legacy_side_files() {
    let (_t, dir) = volumes_folder(json!([]));
    std::fs::remove_file(dir.join("b-volumeinfo.json.gz")).unwrap();
    let put = |name: &str, v: Value| {
        std::fs::write(dir.join(name), gzip(format!("{v}\n").as_bytes()).unwrap()).unwrap()
    };
    put(
        "b-volumesnapshots.json.gz",
        json!([{"spec": {"persistentVolumeName": "pv-native"}, "status": {"phase": "Completed"}}]),
    );
    put(
        "b-podvolumebackups.json.gz",
        json!([{"metadata": {"annotations": {"velero.io/pvc-name": "fs"}}, "spec": {"pod": {"namespace": "app", "name": "web"}}}]),
    );
    put(
        "b-csi-volumesnapshots.json.gz",
        json!([{"metadata": {"namespace": "app", "name": "vs"}, "spec": {"source": {"persistentVolumeClaimName": "csi"}}}]),
    );
    let v = plan_json(&dir, &[]);
    let s = skipped(&v);
    assert_eq!(s["persistentvolumes/pv-fs"], "volume re-provisioned");
    assert_eq!(s["persistentvolumes/pv-csi"], "volume re-provisioned");
    assert_eq!(s["persistentvolumes/pv-gone"], "volume re-provisioned");
    assert!(created(&v).contains("persistentvolumes/pv-native"));
    assert!(created(&v).contains("persistentvolumes/pv-kept"));
}

#[test]
fn render_writes_objects_in_apply_order() {
    let (t, dir) = volumes_folder(json!([{"pvName": "pv-fs", "backupMethod": "PodVolumeBackup"}]));
    let out_dir = t.path().join("rendered");
    let v = plan_json(
        &dir,
        &[
            "--render",
            path_str(&out_dir),
            "--namespace-mappings",
            "app:restored",
            "--restore-name",
            "r1",
        ],
    );
    let mut files: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".yaml"))
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        v["steps"].as_array().unwrap().len(),
        "one file per step"
    );
    assert!(files[0].starts_with("0001-"));
    let read = |prefix: &str| -> Value {
        let f = files
            .iter()
            .find(|f| f.contains(prefix))
            .unwrap_or_else(|| panic!("{prefix}: {files:?}"));
        veloscope_model::manifest::first_document(
            &std::fs::read_to_string(out_dir.join(f)).unwrap(),
        )
        .unwrap()
    };
    let claim = read("persistentvolumeclaims-restored-fs");
    assert_eq!(claim["metadata"]["namespace"], "restored");
    assert!(
        claim["spec"].get("volumeName").is_none(),
        "re-provisioned PV: the claim's volumeName is cleared"
    );
    assert_eq!(claim["metadata"]["labels"]["velero.io/restore-name"], "r1");
    assert_eq!(claim["metadata"]["labels"]["velero.io/backup-name"], "b");
    assert!(claim.get("status").is_none());
    let kept_claim = read("persistentvolumeclaims-restored-kept");
    assert_eq!(kept_claim["spec"]["volumeName"], "pv-kept");
    let pv = read("persistentvolumes-pv-kept");
    assert_eq!(
        pv["spec"]["claimRef"],
        json!({"namespace": "restored", "name": "kept"}),
        "claimRef remapped, uid dropped"
    );
    let ns = read("namespaces-restored");
    assert_eq!(ns["metadata"]["name"], "restored");
}

#[test]
fn render_service_node_ports() {
    let a = archive(&[obj(
        "services",
        "ns/web",
        json!({"spec": {"type": "NodePort", "clusterIP": "10.0.0.7", "clusterIPs": ["10.0.0.7"],
        "ports": [{"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30080}]}}),
    )]);
    let out = a.dir.path().join("r1");
    plan_json(&a.path, &["--render", path_str(&out)]);
    let svc = |dir: &std::path::Path| -> Value {
        let f = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains("services"))
            .unwrap();
        veloscope_model::manifest::first_document(&std::fs::read_to_string(f).unwrap()).unwrap()
    };
    let s = svc(&out);
    assert!(s["spec"].get("clusterIP").is_none() && s["spec"].get("clusterIPs").is_none());
    assert!(
        s["spec"]["ports"][0].get("nodePort").is_none(),
        "a nodePort nobody set explicitly is dropped"
    );
    let out2 = a.dir.path().join("r2");
    plan_json(
        &a.path,
        &["--render", path_str(&out2), "--preserve-nodeports"],
    );
    assert_eq!(svc(&out2)["spec"]["ports"][0]["nodePort"], 30080);
}

#[test]
fn existing_objects_conflict() {
    let a = archive(&[
        obj("configmaps", "app/same", json!({"data": {"k": "v"}})),
        obj("configmaps", "app/changed", json!({"data": {"k": "new"}})),
        obj("configmaps", "app/absent", json!({"data": {"k": "v"}})),
        obj("widgets.example.com", "app/w", json!({})),
    ]);
    let cluster = json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app", "uid": "x"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "same", "namespace": "app", "uid": "x", "resourceVersion": "5"}, "data": {"k": "v"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "changed", "namespace": "app"}, "data": {"k": "old"}}
    ]});
    let f = a.file("cluster.json", &cluster.to_string());
    let action = |v: &Value, name: &str| {
        v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()["action"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let v = plan_json(&a.path, &["--existing", &f]);
    assert_eq!(action(&v, "same"), "skip");
    assert_eq!(
        action(&v, "changed"),
        "skip",
        "policy none leaves a differing object alone"
    );
    assert_eq!(action(&v, "absent"), "create");
    assert_eq!(action(&v, "app"), "skip", "the namespace exists");
    assert!(v["warnings"].as_array().unwrap().iter().any(|w| {
        w.as_str()
            .unwrap()
            .contains("widgets.example.com: will fail: no CRD")
    }));
    let v = plan_json(
        &a.path,
        &["--existing", &f, "--existing-resource-policy", "update"],
    );
    assert_eq!(action(&v, "changed"), "update");
    // Unchanged, yet Velero patches its backup/restore-name labels onto it under update
    // (restore.go's updateBackupRestoreLabels).
    assert_eq!(action(&v, "same"), "update");
    let v = plan_json(&a.path, &[]);
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("were not checked"))
    );
}

#[test]
fn restore_hooks_listed_with_their_pods() {
    let a = archive(&[
        obj(
            "pods",
            "db/db-0",
            json!({"metadata": {"labels": {"app": "db"}, "annotations": {
            "post.hook.restore.velero.io/command": "[\"/bin/sh\",\"-c\",\"check\"]", "post.hook.restore.velero.io/container": "db"}}}),
        ),
        obj(
            "pods",
            "db/other",
            json!({"metadata": {"labels": {"app": "x"}}}),
        ),
    ]);
    let spec = a.file("restore.yaml", "apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: r}\nspec:\n  backupName: b\n  hooks:\n    resources:\n    - name: warm\n      labelSelector: {matchLabels: {app: x}}\n      postHooks:\n      - exec: {command: [/bin/warm]}\n");
    let v = plan_json(&a.path, &["--spec", &spec]);
    let hooks: Vec<String> = v["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            format!(
                "{} {} {}",
                h["source"].as_str().unwrap(),
                h["pod"].as_str().unwrap(),
                h["detail"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(hooks.len(), 2, "{hooks:?}");
    assert!(
        hooks[0].starts_with("annotation db/db-0 db: [\"/bin/sh\",\"-c\",\"check\"]"),
        "{hooks:?}"
    );
    assert!(
        hooks[1].starts_with("spec db/other <first container>: /bin/warm"),
        "{hooks:?}"
    );
}

#[test]
fn related_items_follow_their_pod() {
    let a = archive(&[
        obj(
            "pods",
            "ns-1/p",
            json!({"metadata": {"labels": {"app": "x"}}, "spec": {"priorityClassName": "high",
            "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "c"}}]}}),
        ),
        obj(
            "persistentvolumeclaims",
            "ns-1/c",
            json!({"spec": {"volumeName": "pv-c"}, "status": {"phase": "Bound"}}),
        ),
        obj(
            "persistentvolumes",
            "pv-c",
            json!({"spec": {"persistentVolumeReclaimPolicy": "Retain", "claimRef": {"namespace": "ns-1", "name": "c"}}}),
        ),
        obj("priorityclasses.scheduling.k8s.io", "high", json!({})),
    ]);
    // The selector matches only the pod; its PVC, the PVC's PV and the PriorityClass come along,
    // even with a namespace filter (cluster-scoped related items bypass the "auto" rule).
    let v = plan_json(&a.path, &["-l", "app=x", "--include-namespaces", "ns-1"]);
    assert_eq!(
        steps(&v),
        [
            "create-namespace namespaces/ns-1",
            "create pods/ns-1/p",
            "create persistentvolumeclaims/ns-1/c",
            "create persistentvolumes/pv-c",
            "create priorityclasses.scheduling.k8s.io/high",
        ]
    );
    let via = |name: &str| {
        v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()["via"]
            .clone()
    };
    assert_eq!(via("pv-c"), "persistentvolumeclaims/ns-1/c");
    assert_eq!(via("high"), "pods/ns-1/p");
    let v = plan_json(
        &a.path,
        &["-l", "app=x", "--include-cluster-resources=false"],
    );
    assert!(
        !steps(&v).iter().any(|s| s.contains("persistentvolumes/")),
        "false keeps related cluster-scoped items out"
    );
}

#[test]
fn plan_table_reads_like_a_plan() {
    let dir = backup("edge-cases");
    let out = veloscope(&[
        "plan",
        path_str(&dir),
        "--include-namespaces",
        "edge",
        "--namespace-mappings",
        "edge:edge2",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("Restore plan (Velero 1.18 rules):"),
        "{text}"
    );
    assert!(text.contains("create-namespace"), "{text}");
    assert!(text.contains("edge → edge2"), "{text}");
    assert!(text.contains("Not restored ("), "{text}");
}

/// With a sidecar, `--render` reads the planned items at their seek points instead of reading
/// the archive again, and writes the same files.
#[test]
fn render_from_a_sidecar_reads_only_the_planned_items() {
    let (t, dir) = volumes_folder(json!([{"pvName": "pv-fs", "backupMethod": "PodVolumeBackup"}]));
    let render = |to: &str, trace: bool| {
        let out_dir = t.path().join(to);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_veloscope"))
            .args(["plan", path_str(&dir), "--render", path_str(&out_dir)])
            .args(["--namespace-mappings", "app:restored", "-o", "json"])
            .env(
                if trace {
                    "VELOSCOPE_TRACE"
                } else {
                    "VELOSCOPE_UNSET"
                },
                "1",
            )
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", stderr(&out));
        let mut files: Vec<(String, String)> = std::fs::read_dir(&out_dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".yaml"))
            })
            .map(|e| {
                let p = e.unwrap().path();
                let text = std::fs::read_to_string(&p).unwrap();
                (p.file_name().unwrap().to_string_lossy().into_owned(), text)
            })
            .collect();
        files.sort();
        (files, stderr(&out))
    };
    let (scanned, _) = render("scanned", false);
    let indexed = veloscope(&["index", path_str(&dir)]);
    assert!(indexed.status.success(), "{}", stderr(&indexed));
    let (seeked, trace) = render("seeked", true);
    assert_eq!(seeked, scanned);
    // One read per rendered item (a namespace the plan creates has no item to read).
    let reads = trace.lines().filter(|l| l.starts_with("trace:")).count();
    assert!(
        reads > 0 && reads <= scanned.len(),
        "{reads} reads: {trace}"
    );
}
