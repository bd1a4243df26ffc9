#!/usr/bin/env python3
"""Diff two generated 100k-item backups that differ in 1% of items, against indexing one of them,
measured in the same run. Usage: benches/diff.py [--items N] [--runs N]
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
    k = args.items // 1000
    a = synth(args.items, f"{k}k.tar.gz")
    b = synth(args.items, f"{k}k-changed1pct.tar.gz", mutate_percent=1)
    commands = {
        "veloscope inspect A": ([VELOSCOPE, "inspect", a, "-o", "json", "--no-progress"], (0,)),
        "veloscope diff A B": ([VELOSCOPE, "diff", a, b, "-o", "json", "--no-progress"], (0, 1)),
    }
    med, rss = measure(commands, args.runs)
    print(f"A: {a}, B: {b} (1% of {args.items} items changed), {args.runs} runs, {os.cpu_count()} cores")
    print(f"{'command':<22}{'median s':>10}{'vs inspect A':>14}{'peak RSS':>12}")
    for n in commands:
        print(f"{n:<22}{med[n]:>10.3f}{med[n] / med['veloscope inspect A']:>13.2f}x{rss[n] / 1024:>9.1f} MiB")


if __name__ == "__main__":
    main()
