#!/usr/bin/env bash
# Screenshots of each page of the web UI, taken by headless Chromium against `veloscope serve` on a
# copy of the bundled location (serving indexes the backups, and the fixtures stay as they are).
# Usage: docs/ui/screenshots.sh   (needs chromium; writes docs/ui/*.png)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked -q
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r fixtures/bsl "$work/bsl"
bin=$PWD/target/release/veloscope
(cd "$work" && exec "$bin" serve bsl --listen 127.0.0.1:0 2>"$work/log") &
server=$!
until url=$(grep -o 'read-only at .*' "$work/log" | cut -d' ' -f3) && [ -n "$url" ]; do sleep 0.1; done
until login=$(grep -o 'http://[^ ]*/ui/login?token=[0-9a-f]*' "$work/log") && [ -n "$login" ]; do sleep 0.1; done
# The one-time login link sets this profile's session cookie.
chromium --headless --no-sandbox --disable-gpu --user-data-dir="$work/profile" --dump-dom "$login" >/dev/null 2>&1
shot() {
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,860 \
    --user-data-dir="$work/profile" --screenshot="docs/ui/$1.png" "$url$2" 2>/dev/null
}
shot backups /ui/
shot backup /ui/backups/k3s-124
shot items '/ui/backups/k3s-124/items?include-namespaces=kube-system'
shot item /ui/backups/k3s-124/items/deployments.apps/kube-system/coredns
shot search '/ui/search?include-resources=clusterroles&name=system:aggregate-to-*'
shot diff '/ui/diff?a=sonobuoy-k8s114&b=k3s-124&include-namespaces=kube-system'
shot verify /ui/backups/k3s-124/verify
shot plan '/ui/backups/k3s-124/plan?include-namespaces=kube-system&namespace-mappings=kube-system:kube-system-copy'
ls docs/ui/*.png
