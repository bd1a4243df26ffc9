#!/bin/sh
# Issue 27, point 1: which JSON reader the metadata pass uses, chosen by measurement. Builds the
# candidates (benches/json-choice, outside the workspace so they never enter the project's build)
# and reads the item bodies of the generated 100k-item backup (sonobuoy corpus objects, 1.5 KB on
# average) and Velero's large CRD test data (340 KB on average) with each, on one core. Prints
# each candidate's time as a ratio of serde_json's (what the engine uses).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
python3 -c 'import sys; sys.path.insert(0, "benches"); from common import build, synth; build(); synth(100000, "100k.tar.gz")'
CARGO_TARGET_DIR="$root/target/json-choice" cargo build --release -q --locked \
  --manifest-path benches/json-choice/Cargo.toml
exec taskset -c 0 "$root/target/json-choice/release/json-choice" \
  target/bench/100k.tar.gz ../shared/corpora/velero-crd-testdata/v1
