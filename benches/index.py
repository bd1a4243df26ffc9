#!/usr/bin/env python3
"""Index a generated 100k-item backup and compare against baselines measured in the same run.

Prints, for each command, the median wall time over N runs, its ratio to `gzip -dc` and to
`tar -tzf` on the same file, and the peak RSS. Usage: benches/index.py [--items N] [--runs N]
"""
import argparse
import os

from common import VELOSCOPE, build, measure, synth


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    build()
    archive = synth(args.items, f"{args.items // 1000}k.tar.gz")
    commands = {
        "gzip -dc": (["gzip", "-dc", archive], (0,)),
        "tar -tzf": (["tar", "-tzf", archive], (0,)),
        "veloscope inspect": ([VELOSCOPE, "inspect", archive, "-o", "json", "--no-progress"], (0,)),
    }
    med, rss = measure(commands, args.runs)
    size = os.path.getsize(archive)
    print(f"archive: {archive} ({args.items} items, {size / 2**20:.1f} MiB), {args.runs} runs, "
          f"{os.cpu_count()} cores")
    print(f"{'command':<20}{'median s':>10}{'vs gzip -dc':>13}{'vs tar -tzf':>13}{'peak RSS':>12}")
    for n in commands:
        print(f"{n:<20}{med[n]:>10.3f}{med[n] / med['gzip -dc']:>12.2f}x"
              f"{med[n] / med['tar -tzf']:>12.2f}x{rss[n] / 1024:>9.1f} MiB")


if __name__ == "__main__":
    main()
