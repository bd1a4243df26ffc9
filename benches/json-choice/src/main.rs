//! Which JSON reader the metadata pass should use, measured on item bodies: each candidate
//! validates the whole body (as the engine must: an item Velero cannot decode is one it skips)
//! and, where it can, reads the fields the index keeps. Prints throughput and the ratio of each
//! candidate's time to serde_json's, best of 5 runs on one thread.
//!
//! Usage: json-choice BACKUP.tar.gz|DIR-OF-JSON...

use serde::Deserialize;
use serde::de::IgnoredAny;
use std::borrow::Cow;
use std::io::Read;
use std::path::Path;
use std::time::Instant;

/// The shape of the fields every item's index entry reads (names, labels borrowed).
#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct Head<'a> {
    #[serde(borrow, default)]
    api_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    metadata: Meta<'a>,
}

#[derive(Deserialize, Default)]
#[allow(dead_code)]
struct Meta<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    labels: Option<std::collections::BTreeMap<Cow<'a, str>, Cow<'a, str>>>,
}

fn bodies(source: &str) -> std::io::Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    if Path::new(source).is_dir() {
        for e in std::fs::read_dir(source)? {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "json") {
                out.push(std::fs::read(&p)?);
            }
        }
        return Ok(out);
    }
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(source)?);
    for e in tar::Archive::new(gz).entries()? {
        let mut e = e?;
        let path = e.path()?.to_string_lossy().into_owned();
        if path.starts_with("resources/") && path.ends_with(".json") {
            let mut b = Vec::new();
            e.read_to_end(&mut b)?;
            out.push(b);
        }
    }
    Ok(out)
}

type Reader = fn(&[u8]) -> bool;

const CANDIDATES: [(&str, Reader); 6] = [
    ("serde_json: validate and skip", |b| {
        serde_json::from_slice::<IgnoredAny>(b).is_ok()
    }),
    ("serde_json: validate, read metadata", |b| {
        serde_json::from_slice::<Head>(b).is_ok()
    }),
    ("sonic-rs: validate and skip", |b| {
        sonic_rs::from_slice::<IgnoredAny>(b).is_ok()
    }),
    ("sonic-rs: validate, read metadata", |b| {
        sonic_rs::from_slice::<Head>(b).is_ok()
    }),
    ("simd-json: validate (tape)", |b| {
        let mut copy = b.to_vec();
        let ok = simd_json::to_tape(&mut copy).is_ok();
        ok
    }),
    ("sonic-rs: find metadata, no validation", |b| {
        sonic_rs::get(b, &["metadata"]).is_ok()
    }),
];

fn main() {
    let sources: Vec<String> = std::env::args().skip(1).collect();
    if sources.is_empty() {
        eprintln!("usage: json-choice BACKUP.tar.gz|DIR-OF-JSON...");
        std::process::exit(2);
    }
    for source in sources {
        let bodies = match bodies(&source) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{source}: {e}");
                std::process::exit(2);
            }
        };
        let bytes: usize = bodies.iter().map(Vec::len).sum();
        // Small sets are read several times so that each run takes long enough to time.
        let rounds = (200_000_000 / bytes.max(1)).clamp(1, 1000);
        println!(
            "\n{source}: {} bodies, {:.1} MB, {:.0} B on average; each run reads them {rounds} times",
            bodies.len(),
            bytes as f64 / 1e6,
            bytes as f64 / bodies.len().max(1) as f64
        );
        let mut base = None;
        for (name, read) in CANDIDATES {
            let mut best = f64::MAX;
            for _ in 0..5 {
                let t = Instant::now();
                let mut ok = 0;
                for _ in 0..rounds {
                    ok += bodies.iter().filter(|b| read(b)).count();
                }
                best = best.min(t.elapsed().as_secs_f64());
                if ok != bodies.len() * rounds {
                    println!("{name}: refused {} bodies", bodies.len() * rounds - ok);
                }
            }
            let base = *base.get_or_insert(best);
            println!(
                "{name:<42} {:>8.1} ms {:>6.2} GB/s {:>6.2}× serde_json's time",
                best * 1e3,
                (bytes * rounds) as f64 / best / 1e9,
                best / base
            );
        }
    }
}
