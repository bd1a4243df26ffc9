#!/usr/bin/env python3
"""Verify a generated 100k-item backup against inspecting it, in the same run; also with a digest
manifest (SHA-256 of every item). Usage: benches/verify.py [--items N] [--runs N]
"""
import argparse
import os
import shutil

from common import BENCH, VELOSCOPE, build, measure, synth


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    build()
    a = synth(args.items, f"{args.items // 1000}k.tar.gz")
    manifested = os.path.join(BENCH, "manifested.tar.gz")
    shutil.copyfile(a, manifested)
    if os.path.exists(manifested + ".veloscope-manifest.json"):
        os.remove(manifested + ".veloscope-manifest.json")
    os.system(f"{VELOSCOPE} verify {manifested} --write-manifest -q > /dev/null")
    commands = {
        "veloscope inspect": ([VELOSCOPE, "inspect", a, "-o", "json", "--no-progress"], (0,)),
        "veloscope verify": ([VELOSCOPE, "verify", a, "-o", "json", "--no-progress"], (0,)),
        "verify + manifest": ([VELOSCOPE, "verify", manifested, "-o", "json", "--no-progress"], (0,)),
    }
    med, rss = measure(commands, args.runs)
    print(f"archive: {a} ({args.items} items), {args.runs} runs, {os.cpu_count()} cores")
    print(f"{'command':<20}{'median s':>10}{'vs inspect':>12}{'peak RSS':>12}")
    for n in commands:
        print(f"{n:<20}{med[n]:>10.3f}{med[n] / med['veloscope inspect']:>11.2f}x{rss[n] / 1024:>9.1f} MiB")


if __name__ == "__main__":
    main()
