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

/// Runs `query` over the catalog at `catalog` (a folder `catalog` wrote).
pub fn query(catalog: &Path, query: &str) -> Result<Rows> {
    crate::folder::check_catalog(catalog)?;
    let runtime = veloscope_core::runtime().map_err(|e| Error::internal_from("sql", e))?;
    let mut ctx = SessionContext::new();
    datafusion_functions_json::register_all(&mut ctx)
        .map_err(|e| Error::internal_from("sql", e))?;
    let absolute = catalog
        .canonicalize()
        .map_err(|e| Error::input_from(catalog.display(), e))?;
    let bad = |e: datafusion::error::DataFusionError| Error::usage(format!("sql: {e}"));
    for table in TABLES {
        // Read only: a catalog writer makes every table's folder, so a missing one is damage.
        let folder = absolute.join(table);
        if !folder.is_dir() {
            return Err(Error::input(
                catalog.display(),
                format!(
                    "the catalog has no {table}/ folder; write it again with veloscope catalog"
                ),
            ));
        }
        let url = ListingTableUrl::parse(format!("{}/", folder.display())).map_err(bad)?;
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
