"""Asks a veloscope catalog the fleet-audit questions with a real engine, as a user would.

    python3 catalog_engines.py duckdb|spark|veloscope CATALOG_DIR

(veloscope: `veloscope sql`, the binary named by $VELOSCOPE, built with --features sql.)

Prints JSON: every item's key, and the answers of the five audit queries of docs/fleet.md.
DuckDB reads the Hive partitions with hive_partitioning; Spark (local mode) discovers them from
each table's folder. Both keep partition values as text, as docs/fleet.md recommends.
"""

import json
import sys

engine, catalog = sys.argv[1], sys.argv[2]
TABLES = ["backups", "items", "volumes", "findings"]

# The one place the two dialects differ: exploding a list, reading JSON, epoch seconds.
if engine == "duckdb":
    import duckdb

    con = duckdb.connect()
    for t in TABLES:
        con.execute(
            f"create view {t} as select * from read_parquet('{catalog}/{t}/*/*/*.parquet', "
            "hive_partitioning = true, hive_types = {'location': VARCHAR, 'backup': VARCHAR})"
        )
    UNNEST, JSON, EPOCH = "unnest", "json_extract_string", "epoch"

    def rows(sql):
        return [list(r) for r in con.execute(sql).fetchall()]

elif engine == "spark":
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("veloscope-catalog-test")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for t in TABLES:
        spark.read.parquet(f"{catalog}/{t}").createOrReplaceTempView(t)
    UNNEST, JSON, EPOCH = "explode", "get_json_object", "unix_timestamp"

    def rows(sql):
        return [list(r) for r in spark.sql(sql).collect()]

elif engine == "veloscope":
    import os
    import subprocess

    UNNEST, EPOCH = "unnest", "to_unixtime"

    def JSON_PATH(column, path):
        keys = ", ".join(f"'{k}'" for k in path.lstrip("$.").split("."))
        return f"json_get_str({column}, {keys})"

    def rows(sql):
        out = subprocess.run([os.environ["VELOSCOPE"], "sql", sql, "--catalog", catalog, "-o", "json"],
                             check=True, capture_output=True, text=True).stdout
        return [list(r.values()) for r in json.loads(out)]

else:
    sys.exit(f"unknown engine {engine}")

if engine != "veloscope":
    def JSON_PATH(column, path):
        return f"{JSON}({column}, '{path}')"

QUERIES = {
    # Which backups hold a TLS Secret, where.
    "tls_secrets": """
        select location, backup, namespace, name from items
        where resource = 'secrets' and secret_type = 'kubernetes.io/tls'
        order by 1, 2, 3, 4""",
    # Which images ran in pods, per backup.
    "images": f"""
        select distinct location, backup, image from
          (select location, backup, {UNNEST}(images) as image from items where resource = 'pods') t
        order by 1, 2, 3""",
    # Since when each ClusterRoleBinding to cluster-admin exists (needs --with-objects).
    "cluster_admin_since": f"""
        select name, cast(min({EPOCH}(backup_start)) as bigint) as first_seen from items
        where resource = 'clusterrolebindings.rbac.authorization.k8s.io'
          and {JSON_PATH('object', '$.roleRef.name')} = 'cluster-admin'
        group by name order by 1""",
    # How many objects each namespace had in each backup.
    "namespace_counts": """
        select backup, namespace, count(*) as n from items
        where namespace is not null group by backup, namespace order by 1, 2""",
    # Which backups carry failed verify findings.
    "failed_findings": """
        select b.location, b.backup, f.code, count(*) as n
        from backups b join findings f on f.location = b.location and f.backup = b.backup
        where f.severity = 'error'
        group by b.location, b.backup, f.code order by 1, 2, 3""",
}

answers = {name: rows(sql) for name, sql in QUERIES.items()}
items = [
    "/".join(str(c) if c is not None else "" for c in r)
    for r in rows("select location, backup, resource, namespace, name from items order by 1, 2, 3, 4, 5")
]
labels = {
    f"{r[0]}/{r[1]}/{r[2]}/{r[3] or ''}/{r[4]}": dict(r[5]) if r[5] is not None else {}
    for r in rows("select location, backup, resource, namespace, name, labels from items")
}
backups = rows("select location, backup, phase, items, complete, catalog_error is null from backups order by 1, 2")
print(json.dumps({"items": items, "labels": labels, "backups": backups, "queries": answers}))
