//! `cargo run -p fixture-gen -- fixtures` regenerates `fixtures/` from `fixtures/sources/`;
//! `cargo run -p fixture-gen -- synth --items N --out FILE` writes a benchmark backup.

use anyhow::{Context, Result, bail};
use fixture_gen::{Codec, synth::Synth};
use std::path::PathBuf;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    match args.first().map(String::as_str) {
        Some("fixtures") => fixture_gen::fixtures::write_fixtures(&root.join("sources"), &root),
        Some("synth") => {
            let get = |flag: &str| {
                args.iter()
                    .position(|a| a == flag)
                    .and_then(|i| args.get(i + 1))
                    .cloned()
            };
            let items: usize = get("--items").unwrap_or("100000".into()).parse()?;
            let out = PathBuf::from(get("--out").context("--out FILE is required")?);
            let codec = match get("--codec").as_deref() {
                None | Some("gzip") => Codec::Gzip,
                Some("zstd") => Codec::Zstd,
                Some("tar") => Codec::Tar,
                Some(c) => bail!("unknown codec {c}"),
            };
            let synth = Synth {
                items,
                namespaces: get("--namespaces").unwrap_or("100".into()).parse()?,
                codec,
                mutate_percent: get("--mutate-percent").unwrap_or("0".into()).parse()?,
                velero_order: args.iter().any(|a| a == "--velero-order"),
                pod_percent: get("--pod-percent").map(|p| p.parse()).transpose()?,
            };
            let templates =
                fixture_gen::synth::templates(&root.join("sources/sonobuoy-k8s-v1.14.2.tar.gz"))?;
            synth.write(&templates, &out)?;
            Ok(())
        }
        _ => bail!(
            "usage: fixture-gen fixtures | synth --items N --out FILE [--codec gzip|zstd|tar] [--namespaces N] [--mutate-percent P] [--velero-order] [--pod-percent P]"
        ),
    }
}
