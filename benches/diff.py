#!/usr/bin/env python3
"""Diff two generated 100k-item backups that differ in 1% of items, against indexing one of them,
measured in the same run. Usage: benches/diff.py [--items N] [--runs N]
"""
import os

from common import VELOSCOPE, build, items_and_runs, measure, synth, table


def main():
    args = items_and_runs(__doc__)
    build()
    k = args.items // 1000
    a = synth(args.items, f"{k}k.tar.gz")
    b = synth(args.items, f"{k}k-changed1pct.tar.gz", mutate_percent=1)
    commands = {
        # --no-index: the baseline reads the archive, as diff does.
        "veloscope inspect A": ([VELOSCOPE, "--no-index", "inspect", a, "-o", "json",
                                 "--no-progress"], (0,)),
        "veloscope diff A B": ([VELOSCOPE, "diff", a, b, "-o", "json", "--no-progress"], (0, 1)),
    }
    med, rss = measure(commands, args.runs)
    print(f"A: {a}, B: {b} (1% of {args.items} items changed), {args.runs} runs, "
          f"{os.cpu_count()} cores")
    table(commands, med, rss, ["veloscope inspect A"])


if __name__ == "__main__":
    main()
