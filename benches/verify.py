#!/usr/bin/env python3
"""Verify a generated 100k-item backup against inspecting it, in the same run; also with a digest
manifest (SHA-256 of every item). Usage: benches/verify.py [--items N] [--runs N]
"""
import os
import shutil

from common import BENCH, VELOSCOPE, build, items_and_runs, measure, synth, table


def main():
    args = items_and_runs(__doc__)
    build()
    a = synth(args.items, f"{args.items // 1000}k.tar.gz")
    manifested = os.path.join(BENCH, "manifested.tar.gz")
    shutil.copyfile(a, manifested)
    if os.path.exists(manifested + ".veloscope-manifest.json"):
        os.remove(manifested + ".veloscope-manifest.json")
    os.system(f"{VELOSCOPE} verify {manifested} --write-manifest -q > /dev/null")
    commands = {
        # --no-index: the baseline reads the archive, as verify does.
        "veloscope inspect": ([VELOSCOPE, "--no-index", "inspect", a, "-o", "json",
                               "--no-progress"], (0,)),
        "veloscope verify": ([VELOSCOPE, "verify", a, "-o", "json", "--no-progress"], (0,)),
        "verify + manifest": ([VELOSCOPE, "verify", manifested, "-o", "json", "--no-progress"], (0,)),
    }
    med, rss = measure(commands, args.runs)
    print(f"archive: {a} ({args.items} items), {args.runs} runs, {os.cpu_count()} cores")
    table(commands, med, rss, ["veloscope inspect"])


if __name__ == "__main__":
    main()
