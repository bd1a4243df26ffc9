//! `veloscope-core` called in process, as a front end calls it: each answer is checked against
//! the fixture's oracle (`expected.json`, written by the generator from its input objects) or
//! against a fact of the fixture, never against output captured from the engine.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use veloscope_core::diff::DiffRequest;
use veloscope_core::items::ItemQuery;
use veloscope_core::verify::{VerifyRequest, verify};
use veloscope_core::{
    Backup, BackupFilters, DiffOptions, ErrorKind, Observer, Options, Quiet, Scope, Session,
    VeleroVersion, VersionError,
};

fn backup_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../fixtures/bsl/backups/{name}"))
}

fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(backup_dir(name).join("expected.json")).expect("oracle");
    serde_json::from_str(&text).expect("oracle parses")
}

/// The archive, not a sidecar a test run may have left beside the fixture.
fn archive_only() -> Options {
    Options {
        no_index: true,
        ..Options::default()
    }
}

#[test]
fn summary_counts_what_the_generator_wrote() {
    for name in ["edge-cases", "k3s-124", "sonobuoy-k8s114"] {
        let session = Session::new(archive_only(), &Quiet);
        let backup = Backup::open(&backup_dir(name), &session).expect("opens");
        let summary = backup.summary().expect("summary");
        let want = expected(name);
        assert_eq!(Some(summary.items), want["items"].as_u64(), "{name}");
        assert_eq!(Some(summary.entries), want["entries"].as_u64(), "{name}");
        assert_eq!(
            Some(summary.cluster_scoped_items),
            want["clusterScopedItems"].as_u64(),
            "{name}"
        );
        let namespaces: serde_json::Map<String, Value> = summary
            .namespaces
            .iter()
            .map(|n| (n.namespace.to_string(), Value::from(n.items)))
            .collect();
        assert_eq!(Value::Object(namespaces), want["namespaces"], "{name}");
    }
}

#[test]
fn items_follow_velero_namespace_filters() {
    let session = Session::new(archive_only(), &Quiet);
    let path = backup_dir("k3s-124");
    let filters = BackupFilters {
        include_namespaces: vec!["kube-system".into()],
        ..BackupFilters::default()
    };
    let backup = Backup::open_in(&path, &Scope::items(&filters), &session).expect("opens");
    let rows = backup
        .items(&filters, VeleroVersion::LATEST, &session)
        .expect("items");
    let namespaced = rows.iter().filter(|r| r.namespace.is_some()).count();
    assert_eq!(
        Some(namespaced as u64),
        expected("k3s-124")["namespaces"]["kube-system"].as_u64()
    );
    assert!(
        rows.iter()
            .all(|r| r.namespace.is_none_or(|n| n == "kube-system"))
    );
    // Velero backs up the namespace itself when it is included (a cluster-scoped item).
    assert!(
        rows.iter()
            .any(|r| r.resource == "namespaces" && r.name == "kube-system")
    );
}

#[test]
fn one_item_as_stored_and_typed_errors_for_what_is_not_there() {
    let session = Session::new(archive_only(), &Quiet);
    let path = backup_dir("k3s-124");
    let query = ItemQuery {
        resource: "ns",
        name: "default",
        namespace: None,
        api_version: None,
    };
    let backup = Backup::open_in(&path, &Scope::item(&query), &session).expect("opens");
    let item = backup
        .item(&query, &session)
        .expect("the default namespace");
    assert_eq!(item.group_resource, "namespaces");
    let body = item.value().expect("JSON");
    assert_eq!(body["kind"], "Namespace");
    assert_eq!(body["metadata"]["name"], "default");

    let missing = ItemQuery {
        name: "no-such-namespace",
        ..query
    };
    let e = backup.item(&missing, &session).expect_err("not there");
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");

    let Err(e) = Backup::open(Path::new("/no/such/backup"), &session) else {
        panic!("opened a backup that is not there");
    };
    assert_ne!(e.kind(), ErrorKind::Internal, "{e}");
    assert!(e.to_string().contains("/no/such/backup"), "{e}");

    let e = veloscope_core::velero_version("one.eighteen").expect_err("not X.Y");
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
    // The typed cause is kept: a caller inspects it instead of reading the message.
    let cause = std::error::Error::source(&e).and_then(|c| c.downcast_ref::<VersionError>());
    assert_eq!(
        cause,
        Some(&VersionError::Invalid("one.eighteen".into())),
        "{e}"
    );

    // An unreadable spec names its file, and its cause is the manifest reader's typed error.
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("spec.yaml");
    std::fs::write(&spec, "spec: [unclosed").expect("write");
    let filters = veloscope_core::RestoreFilters {
        spec: Some(spec.clone()),
        ..Default::default()
    };
    let e = backup.plan(&filters, &session).expect_err("a broken spec");
    assert!(e.to_string().contains("spec.yaml"), "{e}");
    assert!(std::error::Error::source(&e).is_some(), "{e:?}");
}

#[test]
fn a_backup_does_not_differ_from_itself_and_differs_from_another() {
    let session = Session::new(archive_only(), &Quiet);
    let filters = BackupFilters::default();
    let options = DiffOptions::default();
    let diff = |a: &str, b: &str| {
        let (a, b) = (backup_dir(a), backup_dir(b));
        veloscope_core::diff::diff(
            &DiffRequest {
                a: &a,
                b: &b,
                filters: &filters,
                diff: &options,
                velero_version: VeleroVersion::LATEST,
            },
            &session,
        )
        .expect("diff")
    };
    let same = diff("k3s-124", "k3s-124");
    assert!(!same.report().differs());
    assert_eq!(
        Some(same.report().unchanged as u64),
        expected("k3s-124")["items"].as_u64()
    );

    let other = diff("k3s-124", "edge-cases");
    assert!(other.report().differs());
    let report = other.report();
    let added = report.added.len() as u64 + report.changed.len() as u64;
    assert!(added > 0 && added <= expected("edge-cases")["items"].as_u64().unwrap_or(0));
}

/// Notices reach the caller's observer, never a terminal.
#[derive(Default)]
struct Heard(Mutex<Vec<String>>);

impl Observer for Heard {
    fn notice(&self, text: &str) {
        self.0.lock().expect("lock").push(text.to_string());
    }
}

#[test]
fn verify_finds_what_the_edge_cases_hold_and_tells_the_observer() {
    let heard = Heard::default();
    let session = Session::new(Options::default(), &heard);
    let path = backup_dir("edge-cases");
    let report = verify(
        &VerifyRequest {
            source: &path,
            policy: None,
            junit: None,
            write_manifest: false,
            manifest: None,
        },
        &session,
    )
    .expect("verify");
    // Warnings only: the two pods the backup's own spec would not select.
    assert!(report.ok);
    let mut flagged: Vec<&str> = report.problems.iter().map(|f| f.entry.as_str()).collect();
    flagged.sort();
    assert_eq!(flagged.len(), 2, "{flagged:?}");
    assert!(flagged[0].ends_with("pods/edge/leaving"), "{flagged:?}");
    assert!(flagged[1].ends_with("pods/edge/skip-me"), "{flagged:?}");

    let filters = BackupFilters {
        include_namespaces: vec!["no-such-namespace".into()],
        ..BackupFilters::default()
    };
    let backup = Backup::open(&path, &session).expect("opens");
    let rows = backup
        .items(&filters, VeleroVersion::LATEST, &session)
        .expect("items");
    assert!(rows.is_empty());
    let notices = heard.0.lock().expect("lock");
    assert!(
        notices.iter().any(|n| n.contains("no-such-namespace")),
        "{notices:?}"
    );
}
