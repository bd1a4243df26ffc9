#!/usr/bin/env python3
"""Writing every object of a generated backup to files: `plan --render` (one YAML a step, in
apply order) and `extract` (one YAML an object), against `tar -xzf` of the same archive into an
empty folder in the same run (the floor for writing that many files). Each run starts from an
empty folder.

Usage: benches/render.py [--items N] [--runs N]
"""
import os

from common import BENCH, VELOSCOPE, build, items_and_runs, measure, synth, table


def main():
    args = items_and_runs(__doc__, runs=3)
    build()
    archive = synth(args.items, f"{args.items // 1000}k.tar.gz")
    out = os.path.join(BENCH, "render-out")
    fresh = f"rm -rf {out} && mkdir -p {out} && "
    v = f"{VELOSCOPE} -q --no-progress"
    commands = {
        "tar -xzf": (["sh", "-c", fresh + f"tar -xzf {archive} -C {out}"], (0,)),
        "plan --render": (["sh", "-c", fresh + f"{v} plan {archive} --render {out}/r"], (0,)),
        "extract": (["sh", "-c", fresh + f"{v} extract {archive} {out}/x"], (0,)),
    }
    med, rss = measure(commands, args.runs)
    print(f"archive: {archive} ({args.items} items), {args.runs} runs, {os.cpu_count()} cores")
    table(commands, med, rss, ["tar -xzf"])


if __name__ == "__main__":
    main()
