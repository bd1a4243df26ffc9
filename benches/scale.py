#!/usr/bin/env python3
"""The macro benchmark of issue 8: 100k- and 1M-item backups, every command against baselines.

Generates target/bench/{100k,1000k}.tar.gz (and a copy with 1% of items changed, for diff) once,
then for each size times, interleaved over N runs: the in-process inflate of the same backend
(`inflate` example), `gzip -dc`, `tar -tzf`, `veloscope index`, `ls`/`preview` with a namespace
filter answered from the sidecar, `show` of the last item of the archive (read from a seek point), `ls` of every item and `plan`
(from the sidecar), `inspect --no-index`,
`diff` against the changed copy and `verify`. Prints medians, ratios to the baselines and peak RSS.

Usage: benches/scale.py [--sizes 100000,1000000] [--runs 3]
"""
import argparse
import json
import os
import re
import subprocess

from common import BENCH, ROOT, VELOSCOPE, build, measure, synth, table

INFLATE = os.path.join(ROOT, "target", "release", "examples", "inflate")


def last_item(archive):
    """The item written last (synth numbers items in archive order)."""
    out = subprocess.run([VELOSCOPE, "ls", archive, "-o", "json", "-q"], check=True,
                         capture_output=True, text=True).stdout
    items = [i for i in json.loads(out) if i.get("namespace")]
    return max(items, key=lambda i: int(re.sub(r"\D", "", i["name"][-7:]) or 0))


def show_read_bytes(archive, item):
    """Compressed bytes `show` read, from its trace line."""
    env = dict(os.environ, VELOSCOPE_TRACE="1")
    err = subprocess.run([VELOSCOPE, "show", archive, item["resource"], item["name"], "-n",
                          item["namespace"], "-o", "json"], env=env, check=True,
                         capture_output=True, text=True).stderr
    reads = [int(m) for m in re.findall(r": read (\d+) bytes", err)]
    return max(reads) if reads else 0


def bench(items, runs):
    name = f"{items // 1000}k"
    a = synth(items, f"{name}.tar.gz")
    b = synth(items, f"{name}-changed1pct.tar.gz", mutate_percent=1)
    subprocess.run([VELOSCOPE, "index", a, "-q"], check=True, stdout=subprocess.DEVNULL)
    item = last_item(a)
    ns = item["namespace"]
    v = [VELOSCOPE, "--no-progress", "-q"]
    commands = {
        "inflate-only": ([INFLATE, a], (0,)),
        "gzip -dc": (["gzip", "-dc", a], (0,)),
        "tar -tzf": (["tar", "-tzf", a], (0,)),
        "veloscope index": (v + ["index", a], (0,)),
        "ls -n (sidecar)": (v + ["ls", a, "--include-namespaces", ns, "-o", "json"], (0,)),
        "preview -n (sidecar)": (v + ["preview", a, "--include-namespaces", ns, "-o", "json"],
                                 (0,)),
        "show last (sidecar)": (v + ["show", a, item["resource"], item["name"], "-n", ns],
                                (0,)),
        "ls every item (sidecar)": (v + ["ls", a], (0,)),
        "plan (sidecar)": (v + ["plan", a], (0,)),
        "inspect --no-index": (v + ["inspect", a, "--no-index"], (0,)),
        "diff A B": (v + ["diff", a, b, "-o", "json"], (0, 1)),
        "verify": (v + ["verify", a, "-o", "json"], (0, 1)),
    }
    med, rss = measure(commands, runs)
    size = os.path.getsize(a)
    side = os.path.getsize(a + ".vsidx")
    print(f"\n{name}: {a} ({items} items, {size / 2**20:.1f} MiB; sidecar {side / 2**20:.1f} MiB, "
          f"{side // items} B/item), {runs} runs, {os.cpu_count()} cores")
    table(commands, med, rss, ["inflate-only", "gzip -dc", "tar -tzf"])
    budget = 64 + 300 * items / 2**20
    print(f"show read {show_read_bytes(a, item) / 2**20:.2f} MiB of compressed input; "
          f"RSS budget 64 MiB + 300 B/item = {budget:.0f} MiB")
    for name in ["veloscope index", "ls every item (sidecar)", "plan (sidecar)",
                 "inspect --no-index", "diff A B", "verify"]:
        print(f"  {name:<26} peak RSS {rss[name] / 1024:>6.0f} MiB = "
              f"{rss[name] / 1024 / budget:.2f}× the budget")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    build()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "veloscope-archive", "--example",
                    "inflate"], cwd=ROOT, check=True)
    os.makedirs(BENCH, exist_ok=True)
    for items in (int(s) for s in args.sizes.split(",")):
        bench(items, args.runs)


if __name__ == "__main__":
    main()
