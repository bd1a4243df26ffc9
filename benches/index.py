#!/usr/bin/env python3
"""Index a generated 100k-item backup and compare against baselines measured in the same run.

Prints, for each command, the median wall time over N runs, its ratio to `gzip -dc` and to
`tar -tzf` on the same file, and the peak RSS. Usage: benches/index.py [--items N] [--runs N]
"""
import os

from common import VELOSCOPE, build, items_and_runs, measure, synth, table


def main():
    args = items_and_runs(__doc__)
    build()
    archive = synth(args.items, f"{args.items // 1000}k.tar.gz")
    commands = {
        "gzip -dc": (["gzip", "-dc", archive], (0,)),
        "tar -tzf": (["tar", "-tzf", archive], (0,)),
        # --no-index: scale.py leaves a sidecar beside the archive; this measures reading it.
        "veloscope inspect": ([VELOSCOPE, "--no-index", "inspect", archive, "-o", "json",
                               "--no-progress"], (0,)),
    }
    med, rss = measure(commands, args.runs)
    size = os.path.getsize(archive)
    print(f"archive: {archive} ({args.items} items, {size / 2**20:.1f} MiB), {args.runs} runs, "
          f"{os.cpu_count()} cores")
    table(commands, med, rss, ["gzip -dc", "tar -tzf"])


if __name__ == "__main__":
    main()
