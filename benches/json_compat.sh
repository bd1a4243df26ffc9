#!/usr/bin/env bash
# Runs every command with -o json (and the table output) on every fixture and writes each answer,
# its stderr and exit code to one folder. Run it before and after a refactor with two binaries and
# `diff -r` the folders: a behaviour-preserving change leaves them identical.
#
#   benches/json_compat.sh target/release/veloscope /tmp/before
#   (change, rebuild)
#   benches/json_compat.sh target/release/veloscope /tmp/after && diff -r /tmp/before /tmp/after
set -uo pipefail
bin=$(realpath "$1")
out=$2
cd "$(dirname "$0")/.."
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Sidecars are written to a copy, so the fixtures stay as committed.
cp -r fixtures/bsl "$work/bsl"
cp -r fixtures/tarballs "$work/tarballs"
B=$work/bsl/backups
n=0
run() {
  n=$((n + 1))
  local name
  name=$(printf '%03d' "$n")
  "$bin" "$@" >"$out/$name.out" 2>"$out/$name.err"
  echo "$?" >"$out/$name.code"
  # Temporary paths differ between runs.
  sed -i "s#$work#WORK#g" "$out/$name.out" "$out/$name.err"
  echo "$*" | sed "s#$work#WORK#g" >"$out/$name.cmd"
}
for b in edge-cases k3s-124 sonobuoy-k8s114; do
  for fmt in json table yaml; do
    run inspect "$B/$b" -o $fmt --no-index
    run ls "$B/$b" -o $fmt --no-index
    run preview "$B/$b" -o $fmt --no-index
    run plan "$B/$b" -o $fmt --no-index
    run verify "$B/$b" -o $fmt
  done
  run ls "$B/$b" -o json --no-index --include-namespaces 'kube-*' --exclude-resources pods
  run ls "$B/$b" --show-labels --no-index -l 'app'
  run preview "$B/$b" --explain --no-index --include-namespaces default,kube-system
  run preview "$B/$b" -o json --no-index --include-resources deploy,po,crd --include-cluster-resources=true
  run preview "$B/$b" -o json --no-index --or-selector 'k8s-app=kube-dns or app=web'
  run plan "$B/$b" -o json --no-index --include-namespaces 'kube-system' --namespace-mappings kube-system:restored
  run plan "$B/$b" --no-index --exclude-resources secrets --existing-resource-policy update
  run plan "$B/$b" --render "$work/render-$b" --no-index
  (cd "$work/render-$b" 2>/dev/null && ls) >"$out/render-$b.list"
  run show "$B/$b" namespaces default -o json --no-index
  run show "$B/$b" namespaces kube-system -o yaml --no-index
  run index "$B/$b" -o json
  run inspect "$B/$b" -o json
  run ls "$B/$b" -o json --include-namespaces kube-system
  run preview "$B/$b" -o json
  run plan "$B/$b" -o json
  run show "$B/$b" namespaces default
  run diff "$B/$b" "$B/$b" -o json
  run validate "$B/$b/velero-backup.json" -o json --against "$B/$b"
done
run diff "$B/edge-cases" "$B/k3s-124" -o json --no-index
run diff "$B/edge-cases" "$B/k3s-124" --no-index
run diff "$B/k3s-124" "$B/sonobuoy-k8s114" --stat --no-index
run diff "$B/k3s-124" "$B/sonobuoy-k8s114" -o json
run show "$B/edge-cases" hpa web -n edge --api-version v1 -o yaml
run preview "$B/edge-cases" --include-namespaces edge --explain
run plan "$B/edge-cases" --include-namespaces edge --namespace-mappings edge:edge-restored
run backups "$work/bsl" -o json
run backups "$work/bsl"
run find "$work/bsl" --kind Namespace -o json
run find "$work/bsl" --name 'kube-*'
run restores "$work/bsl" -o json
for t in "$work"/tarballs/*; do
  run inspect "$t" -o json --no-index
  run verify "$t" -o json
done
echo "$n runs written to $out"
