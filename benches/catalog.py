#!/usr/bin/env python3
"""`catalog` of a location holding one generated backup, against `index` and `verify` of the same
backup and `tar -tzf`/`gzip -dc` of its tarball, in the same run; then the Parquet bytes per
item. Every catalog run starts from an empty folder (no backup is skipped as unchanged).

Usage: benches/catalog.py [--items N] [--runs N]
"""
import json
import os

from common import BENCH, VELOSCOPE, build, items_and_runs, measure, synth, table


def location(archive, items):
    """A BSL folder whose one backup is the generated tarball (hard-linked, not copied)."""
    name = f"synth-{items // 1000}k"
    folder = os.path.join(BENCH, "catalog-location", "backups", name)
    os.makedirs(folder, exist_ok=True)
    tarball = os.path.join(folder, f"{name}.tar.gz")
    if not os.path.exists(tarball):
        os.link(archive, tarball)
    with open(os.path.join(folder, "velero-backup.json"), "w") as f:
        json.dump({"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": name},
                   "spec": {}, "status": {"phase": "Completed",
                                          "startTimestamp": "2026-11-01T02:00:00Z"}}, f)
    return os.path.dirname(os.path.dirname(folder)), name


def size_of(folder):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)


def main():
    args = items_and_runs(__doc__, runs=3)
    build()
    archive = synth(args.items, f"{args.items // 1000}k.tar.gz")
    loc, _ = location(archive, args.items)
    out = os.path.join(BENCH, "catalog-out")
    objects = os.path.join(BENCH, "catalog-objects")
    v = f"{VELOSCOPE} -q --no-progress"
    commands = {
        "gzip -dc": (["sh", "-c", f"gzip -dc {archive} > /dev/null"], (0,)),
        "tar -tzf": (["sh", "-c", f"tar -tzf {archive} > /dev/null"], (0,)),
        "index": (["sh", "-c", f"{v} index {archive} --out {BENCH}/catalog.vsidx"], (0,)),
        "verify": (["sh", "-c", f"{v} verify {archive}"], (0, 1)),
        "catalog": (["sh", "-c", f"rm -rf {out} && {v} catalog {loc} --out {out}"], (0,)),
        "catalog --with-objects": (
            ["sh", "-c", f"rm -rf {objects} && {v} catalog {loc} --out {objects} --with-objects"],
            (0,)),
    }
    med, rss = measure(commands, args.runs)
    print(f"archive: {archive} ({args.items} items, {os.path.getsize(archive)} bytes), "
          f"{args.runs} runs, {os.cpu_count()} cores")
    table(commands, med, rss, ["tar -tzf", "index"])
    for name, folder in [("catalog", out), ("catalog --with-objects", objects)]:
        items = size_of(os.path.join(folder, "items"))
        print(f"{name}: items table {items} bytes, {items / args.items:.1f} bytes per item; "
              f"all tables {size_of(folder)} bytes")


if __name__ == "__main__":
    main()
