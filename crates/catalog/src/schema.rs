//! The catalog's tables and their columns: schema version 1, documented in `docs/fleet.md`.
//! `location` and `backup` are no columns of the files: they are the Hive partition folders
//! (`location=…/backup=…`), which Spark, Trino and DuckDB read as columns (Spark refuses a
//! column that is in both).

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use std::sync::{Arc, LazyLock};

/// Recorded in `_veloscope_catalog.json` and in every file's key-value metadata; a reader that
/// meets another version refuses to add to the catalog rather than mixing two layouts.
pub const SCHEMA_VERSION: u32 = 1;

/// The four tables, in the order a backup's partitions are committed: `backups` last, so a
/// backup row means every other table of that backup is in place.
pub const TABLES: [&str; 4] = ["items", "volumes", "findings", "backups"];

fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn int(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}

fn flag(name: &str) -> Field {
    Field::new(name, DataType::Boolean, true)
}

fn time(name: &str) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        true,
    )
}

fn texts(name: &str) -> Field {
    Field::new(name, DataType::List(Arc::new(text("item"))), true)
}

/// The entries of a `map<string, string>`, named as Parquet's MAP logical type names them.
pub fn map_entries() -> Field {
    Field::new(
        "key_value",
        DataType::Struct(Fields::from(vec![
            Field::new("key", DataType::Utf8, false),
            text("value"),
        ])),
        false,
    )
}

fn map(name: &str) -> Field {
    Field::new(name, DataType::Map(Arc::new(map_entries()), false), true)
}

pub static BACKUPS: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        text("location_url"),
        text("phase"),
        time("started"),
        time("completed"),
        time("expires"),
        text("schedule"),
        text("storage_location"),
        text("ttl"),
        int("errors"),
        int("warnings"),
        int("items_backed_up"),
        int("bytes"),
        text("format_version"),
        texts("included_namespaces"),
        texts("excluded_namespaces"),
        texts("included_resources"),
        texts("excluded_resources"),
        text("label_selector"),
        map("labels"),
        int("items"),
        flag("complete"),
        flag("verify_ok"),
        int("verify_errors"),
        int("verify_warnings"),
        text("catalog_error"),
        text("fingerprint"),
        time("catalogued_at"),
    ]))
});

pub static ITEMS: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        time("backup_start"),
        text("api_group"),
        text("version"),
        text("kind"),
        text("resource"),
        text("namespace"),
        text("name"),
        text("uid"),
        time("creation_timestamp"),
        map("labels"),
        text("owner_kind"),
        text("owner_name"),
        int("size"),
        text("sha256"),
        texts("images"),
        text("service_account"),
        text("node"),
        text("secret_type"),
        text("storage_class"),
        text("pvc"),
        text("pv"),
        text("phase"),
        text("entry"),
        text("object"),
    ]))
});

pub static VOLUMES: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        text("pvc_namespace"),
        text("pvc_name"),
        text("pv_name"),
        text("method"),
        text("result"),
        flag("skipped"),
        text("skipped_reason"),
        text("snapshot"),
        int("bytes"),
        text("source"),
    ]))
});

pub static FINDINGS: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        text("severity"),
        text("code"),
        text("entry"),
        text("message"),
    ]))
});
