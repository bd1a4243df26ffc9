//! `veloscope sql`: the catalog's four tables registered with Apache DataFusion (partition
//! columns `location` and `backup` from the Hive folders, as text), one query run, its rows
//! handed back batch by batch as they are computed — never the whole answer at once.

use crate::schema::TABLES;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use std::path::Path;
use std::sync::Arc;
use veloscope_core::{Error, Result};

/// The Arrow release DataFusion computes with, for printing its batches.
pub use datafusion::arrow;

/// A query's answer, read batch by batch.
pub struct Rows {
    runtime: &'static tokio::runtime::Runtime,
    stream: SendableRecordBatchStream,
}

impl Rows {
    pub fn schema(&self) -> SchemaRef {
        self.stream.schema()
    }
}

impl Iterator for Rows {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.runtime.block_on(self.stream.next())?;
        Some(next.map_err(|e| Error::usage(format!("sql: {e}"))))
    }
}

fn table_schema(table: &str) -> SchemaRef {
    match table {
        "backups" => crate::schema::BACKUPS.clone(),
        "items" => crate::schema::ITEMS.clone(),
        "volumes" => crate::schema::VOLUMES.clone(),
        _ => crate::schema::FINDINGS.clone(),
    }
}

/// Runs `query` over the catalog at `catalog`: a folder `catalog` wrote, or its URL in object
/// storage (`s3://bucket/prefix`, `gs://…`, `az://…`).
pub fn query(catalog: &str, query: &str) -> Result<Rows> {
    let runtime = veloscope_core::runtime().map_err(|e| Error::internal_from("sql", e))?;
    let mut ctx = SessionContext::new();
    datafusion_functions_json::register_all(&mut ctx)
        .map_err(|e| Error::internal_from("sql", e))?;
    let bad = |e: datafusion::error::DataFusionError| Error::usage(format!("sql: {e}"));
    let root = if veloscope_store::is_url(catalog) && !catalog.starts_with("file://") {
        // The store `catalog --out` writes with: the same credentials, timeouts and retries.
        let location = crate::folder::open_remote_catalog(catalog)?;
        let root = location.root_url().to_string();
        let url = ListingTableUrl::parse(format!("{root}/")).map_err(bad)?;
        ctx.register_object_store(url.object_store().as_ref(), location.object_store());
        root
    } else {
        let folder = Path::new(catalog.strip_prefix("file://").unwrap_or(catalog));
        crate::folder::check_catalog(folder)?;
        let absolute = folder
            .canonicalize()
            .map_err(|e| Error::input_from(catalog, e))?;
        for table in TABLES {
            // Read only: a catalog writer makes every table's folder, so a missing one is
            // damage. (Object storage has no empty folders: there a table without files is
            // empty.)
            if !absolute.join(table).is_dir() {
                return Err(Error::input(
                    catalog,
                    format!(
                        "the catalog has no {table}/ folder; write it again with veloscope catalog"
                    ),
                ));
            }
        }
        absolute.display().to_string()
    };
    for table in TABLES {
        let url = ListingTableUrl::parse(format!("{root}/{table}/")).map_err(bad)?;
        let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
            .with_file_extension(".parquet")
            .with_table_partition_cols(vec![
                ("location".into(), DataType::Utf8),
                ("backup".into(), DataType::Utf8),
            ]);
        let config = ListingTableConfig::new(url)
            .with_listing_options(options)
            .with_schema(table_schema(table));
        let listing = ListingTable::try_new(config).map_err(bad)?;
        ctx.register_table(table, Arc::new(listing)).map_err(bad)?;
    }
    let stream = runtime.block_on(async {
        // Queries only: no DDL (CREATE EXTERNAL TABLE), DML (INSERT, COPY TO) or SET.
        let read_only = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        let frame = ctx.sql_with_options(query, read_only).await?;
        frame.execute_stream().await
    });
    Ok(Rows {
        stream: stream.map_err(bad)?,
        runtime,
    })
}
