#!/usr/bin/env python3
"""Index a generated 100k-item backup and compare against baselines measured in the same run.

Prints, for each command, the median wall time over N runs, its ratio to `gzip -dc` and to
`tar -tzf` on the same file, and the peak RSS (from wait4's rusage). Generates the backup into
target/bench/ on first use. Usage: benches/index.py [--items N] [--runs N]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd):
    """Wall seconds and peak RSS (KiB) of one run, stdout discarded."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(cmd, stdout=null, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed: {err}")
    return elapsed, usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "-q", "-p", "veloscope", "-p", "fixture-gen"],
                   cwd=ROOT, check=True)
    bench = os.path.join(ROOT, "target", "bench")
    os.makedirs(bench, exist_ok=True)
    archive = os.path.join(bench, f"{args.items // 1000}k.tar.gz")
    if not os.path.exists(archive):
        subprocess.run([os.path.join(ROOT, "target/release/fixture-gen"), "synth",
                        "--items", str(args.items), "--out", archive], check=True)
    veloscope = os.path.join(ROOT, "target/release/veloscope")

    commands = {
        "gzip -dc": ["gzip", "-dc", archive],
        "tar -tzf": ["tar", "-tzf", archive],
        "veloscope inspect": [veloscope, "inspect", archive, "-o", "json", "--no-progress"],
    }
    results = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():  # interleaved, so machine noise hits all alike
            results[name].append(run(cmd))

    size = os.path.getsize(archive)
    print(f"archive: {archive} ({args.items} items, {size / 2**20:.1f} MiB), {args.runs} runs, "
          f"{os.cpu_count()} cores")
    med = {n: statistics.median(t for t, _ in r) for n, r in results.items()}
    rss = {n: max(m for _, m in r) for n, r in results.items()}
    print(f"{'command':<20}{'median s':>10}{'vs gzip -dc':>13}{'vs tar -tzf':>13}{'peak RSS':>12}")
    for n in commands:
        print(f"{n:<20}{med[n]:>10.3f}{med[n] / med['gzip -dc']:>12.2f}x"
              f"{med[n] / med['tar -tzf']:>12.2f}x{rss[n] / 1024:>9.1f} MiB")


if __name__ == "__main__":
    main()
