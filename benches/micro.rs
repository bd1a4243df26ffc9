//! Micro-benchmarks of the per-entry hot paths: path grammar, metadata-only parse, label
//! selector matching. Run with `cargo bench --bench micro`.

use veloscope_archive::{Details, ItemMeta, path};
use veloscope_model::selector::Selector;

fn main() {
    divan::main();
}

const POD: &[u8] = include_bytes!("data/pod.json");
/// A 450 KB CustomResourceDefinition read from a cluster (shared/corpora/velero-crd-testdata):
/// the size of body the nesting check scans (shorter ones cannot nest past Go's limit).
const CRD: &[u8] = include_bytes!("data/crd.json");

const PATHS: [&str; 4] = [
    "resources/pods/namespaces/default/nginx-deployment-7986654d4-5bq2x.json",
    "resources/pods/v1-preferredversion/namespaces/default/nginx-deployment-7986654d4-5bq2x.json",
    "resources/customresourcedefinitions.apiextensions.k8s.io/cluster/addons.k3s.cattle.io.json",
    "metadata/version",
];

#[divan::bench]
fn classify_paths() -> usize {
    PATHS
        .iter()
        .filter(|p| path::classify(path::normalize(divan::black_box(p))).is_ok())
        .count()
}

#[divan::bench]
fn parse_pod_metadata() -> usize {
    let meta = ItemMeta::parse(divan::black_box(POD)).expect("pod parses");
    meta.metadata.labels.0.len()
}

#[divan::bench]
fn parse_pod_metadata_and_details() -> bool {
    let meta = ItemMeta::parse(divan::black_box(POD)).expect("pod parses");
    !matches!(Details::read("pods", &meta), Details::None)
}

#[divan::bench]
fn parse_large_crd_metadata() -> usize {
    let meta = ItemMeta::parse(divan::black_box(CRD)).expect("CRD parses");
    meta.metadata.labels.0.len()
}

#[divan::bench]
fn nesting_check_large_crd() -> bool {
    veloscope_model::json::too_deep(divan::black_box(CRD))
}

#[divan::bench]
fn hash_pod_body() -> u64 {
    xxhash_rust::xxh3::xxh3_64(divan::black_box(POD))
}

#[divan::bench]
fn parse_selector() -> usize {
    Selector::parse(divan::black_box(
        "app in (nginx, web),tier!=cache,!canary,env=prod",
    ))
    .map_or(0, |_| 1)
}

#[divan::bench]
fn match_selector(bencher: divan::Bencher) {
    let sel = Selector::parse("app in (nginx, web),tier!=cache,!canary").expect("selector");
    let labels = [
        ("app", "nginx"),
        ("pod-template-hash", "7986654d4"),
        ("tier", "front"),
    ];
    bencher.bench(|| {
        sel.matches(|k| {
            divan::black_box(&labels)
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| *v)
        })
    });
}
