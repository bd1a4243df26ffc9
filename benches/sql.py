#!/usr/bin/env python3
"""`veloscope sql` (DataFusion, built with --features sql) against DuckDB on the same Parquet
files and the same queries, over a catalog of at least 10 million items: a 100k-item generated
backup catalogued once, its partition files then linked under COPIES backup names (the files
are what the engines read; their contents need not differ). Both run as a user runs them: a
process per query (DuckDB through its Python package), median of the runs.

Usage: benches/sql.py [--items N] [--copies N] [--runs N]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

from common import BENCH, ROOT, VELOSCOPE, measure, synth

QUERIES = {
    "count by kind": "select kind, count(*) as n from items group by kind order by n desc",
    "images per backup": "select backup, count(distinct image) as images from "
                         "(select backup, unnest(images) as image from items where resource = 'pods') t "
                         "group by backup order by backup",
    "namespace counts": "select backup, namespace, count(*) as n from items "
                        "where namespace is not null group by backup, namespace order by backup, namespace",
    "one item's history": "select backup, sha256 from items where resource = "
                          "'roles.rbac.authorization.k8s.io' and namespace = 'ns-0003' "
                          "and name = 'kube-proxy-0000003' order by backup",
    "findings join": "select b.backup, count(f.code) as n from backups b left join findings f "
                     "on f.location = b.location and f.backup = b.backup group by b.backup order by b.backup",
}


def make_catalog(items, copies):
    archive = synth(items, f"{items // 1000}k.tar.gz")
    loc = os.path.join(BENCH, "sql-location", "backups", "seed")
    os.makedirs(loc, exist_ok=True)
    tarball = os.path.join(loc, "seed.tar.gz")
    if not os.path.exists(tarball):
        os.link(archive, tarball)
    with open(os.path.join(loc, "velero-backup.json"), "w") as f:
        json.dump({"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": "seed"},
                   "spec": {}, "status": {"phase": "Completed",
                                          "startTimestamp": "2026-11-01T02:00:00Z"}}, f)
    seed = os.path.join(BENCH, "sql-seed")
    subprocess.run([VELOSCOPE, "-q", "catalog", os.path.dirname(os.path.dirname(loc)),
                    "--out", seed, "--location-name", "fleet"], check=True, stdout=subprocess.DEVNULL)
    cat = os.path.join(BENCH, f"sql-catalog-{copies}")
    if not os.path.exists(cat):
        os.makedirs(cat)
        shutil.copy(os.path.join(seed, "_veloscope_catalog.json"), cat)
        for table in ["backups", "items", "volumes", "findings"]:
            part = os.path.join(seed, table, "location=fleet", "backup=seed", "part-0.parquet")
            for i in range(copies):
                d = os.path.join(cat, table, "location=fleet", f"backup=nightly-{i:04d}")
                os.makedirs(d)
                os.link(part, os.path.join(d, "part-0.parquet"))
    return cat


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--copies", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    # The same command as the README's install of the feature (another set of packages would
    # unify features differently and build DataFusion again); fixture-gen only when missing.
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "--features", "sql"],
                   cwd=ROOT, check=True)
    if not os.path.exists(os.path.join(ROOT, "target/release/fixture-gen")):
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "fixture-gen"], cwd=ROOT,
                       check=True)
    try:
        import duckdb  # noqa: F401
    except ImportError:
        sys.exit("needs the duckdb package: pip install duckdb")
    cat = make_catalog(args.items, args.copies)
    views = "; ".join(
        f"create view {t} as select * from read_parquet('{cat}/{t}/*/*/*.parquet', hive_partitioning = true, "
        "hive_types = {'location': VARCHAR, 'backup': VARCHAR})"
        for t in ["backups", "items", "volumes", "findings"])
    commands = {}
    for name, q in QUERIES.items():
        commands[f"{name}: veloscope sql"] = (
            [VELOSCOPE, "sql", q, "--catalog", cat, "-o", "csv"], (0,))
        script = f"import duckdb; c = duckdb.connect(); c.execute({views!r}); c.execute({q!r}).fetchall()"
        commands[f"{name}: duckdb"] = ([sys.executable, "-c", script], (0,))
    med, rss = measure(commands, args.runs)
    total = args.items * args.copies
    print(f"catalog: {cat} ({total} items in {args.copies} backups), {args.runs} runs, "
          f"{os.cpu_count()} cores")
    print(f"{'query':<22}{'veloscope s':>13}{'duckdb s':>10}{'ratio':>8}{'veloscope RSS':>16}{'duckdb RSS':>12}")
    ratios = []
    for name in QUERIES:
        v, d = med[f"{name}: veloscope sql"], med[f"{name}: duckdb"]
        ratios.append(v / d)
        print(f"{name:<22}{v:>13.3f}{d:>10.3f}{v / d:>7.2f}x"
              f"{rss[f'{name}: veloscope sql'] / 1024:>12.1f} MiB{rss[f'{name}: duckdb'] / 1024:>8.1f} MiB")
    ratios.sort()
    print(f"median ratio veloscope sql / duckdb: {ratios[len(ratios) // 2]:.2f}x")


if __name__ == "__main__":
    main()
