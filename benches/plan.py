#!/usr/bin/env python3
"""Planning a one-namespace restore of a generated backup from its sidecar, against `ls` with the
same filter in the same run (issue 15 asks for at most 2x at 1M items). Also the JSON plan, which
lists every item not restored and so decodes the whole index, and the unfiltered plan.

Usage: benches/plan.py [--items N] [--runs N]
"""
import os
import shutil
import subprocess

from common import BENCH, VELOSCOPE, build, items_and_runs, measure, synth, table


def main():
    args = items_and_runs(__doc__, runs=5)
    build()
    source = synth(args.items, f"{args.items // 1000}k.tar.gz")
    # A copy of our own, indexed by this build (other scripts' sidecars may be another format).
    archive = os.path.join(BENCH, f"{args.items // 1000}k-plan.tar.gz")
    if not os.path.exists(archive):
        shutil.copy(source, archive)
    subprocess.run([VELOSCOPE, "-q", "index", archive], check=True, stdout=subprocess.DEVNULL)
    ns = ["--include-namespaces", "ns-0000"]
    v = [VELOSCOPE, "-q", "--no-progress"]
    commands = {
        "ls -n": (v + ["ls", archive, *ns, "-o", "json"], (0,)),
        "plan -n": (v + ["plan", archive, *ns], (0,)),
        "plan -n -o json": (v + ["plan", archive, *ns, "-o", "json"], (0,)),
        "plan": (v + ["plan", archive], (0,)),
    }
    med, rss = measure(commands, args.runs)
    print(f"archive: {archive} ({args.items} items), {args.runs} runs, {os.cpu_count()} cores")
    table(commands, med, rss, ["ls -n"])


if __name__ == "__main__":
    main()
