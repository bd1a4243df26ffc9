//! `veloscope sql QUERY --catalog DIR`: a query over the fleet catalog, printed as kubectl
//! prints tables, or streamed as JSON or CSV. Built with `--features sql` (DataFusion).

use crate::args::Global;
use anyhow::Result;
use std::io::Write;

/// The arguments of `veloscope sql`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One SQL query (SELECT, WITH, EXPLAIN) over the tables backups, items, volumes and findings;
    /// statements that create or write are refused.
    pub query: String,
    /// The catalog `veloscope catalog` wrote: a folder, or its URL in object storage
    /// (`s3://bucket/prefix`, `gs://…`, `az://…`; credentials from the environment).
    #[arg(long, value_name = "DIR|URL")]
    pub catalog: String,
}

#[cfg(not(feature = "sql"))]
pub fn run(a: &Args, _g: &Global, _out: &mut impl Write) -> Result<u8> {
    Err(veloscope_core::Error::usage(format!(
        "sql is not in this build (DataFusion adds minutes to it): install with `cargo install --locked --path . --features sql`, or ask DuckDB the same catalog: duckdb -c \"create view items as select * from read_parquet('{}/items/*/*/*.parquet', hive_partitioning = true); ...\"",
        a.catalog
    ))
    .into())
}

#[cfg(feature = "sql")]
pub fn run(a: &Args, g: &Global, out: &mut impl Write) -> Result<u8> {
    use crate::args::Format;
    use crate::output::Table;
    use veloscope_catalog::sql::arrow;
    let rows = veloscope_catalog::sql::query(&a.catalog, &a.query)?;
    match g.output.format {
        Format::Json => {
            // Every column in every row, null or not: the shape a script relies on.
            let mut w = arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow::json::writer::JsonArray>(&mut *out);
            for batch in rows {
                w.write(&batch?)?;
            }
            w.finish()?;
            writeln!(out)?;
        }
        Format::Csv => {
            let schema = rows.schema();
            let mut any = false;
            {
                let mut w = arrow::csv::WriterBuilder::new()
                    .with_header(!g.no_headers)
                    .build(&mut *out);
                for batch in rows {
                    w.write(&flat(&batch?)?)?;
                    any = true;
                }
            }
            // The header of an empty answer, which the writer prints only with a first batch.
            if !any && !g.no_headers {
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                writeln!(out, "{}", names.join(","))?;
            }
        }
        Format::Table | Format::Wide => {
            let schema = rows.schema();
            let headers: Vec<String> = schema
                .fields()
                .iter()
                .map(|f| f.name().to_uppercase())
                .collect();
            let mut t = Table::new(&headers.iter().map(String::as_str).collect::<Vec<_>>());
            let options = arrow::util::display::FormatOptions::default().with_null("<none>");
            for batch in rows {
                let batch = batch?;
                let columns = batch
                    .columns()
                    .iter()
                    .map(|c| arrow::util::display::ArrayFormatter::try_new(c.as_ref(), &options))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                for row in 0..batch.num_rows() {
                    t.row(columns.iter().map(|c| c.value(row).to_string()).collect());
                }
            }
            if t.is_empty() {
                eprintln!("No rows.");
            } else {
                t.write(out)?;
            }
        }
        _ => anyhow::bail!("sql prints -o table, wide, json or csv"),
    }
    Ok(0)
}

/// The batch with each list and map column as text (`[a, b]`, `{k: v}`), which CSV cannot hold
/// as it is.
#[cfg(feature = "sql")]
fn flat(
    batch: &veloscope_catalog::sql::arrow::record_batch::RecordBatch,
) -> Result<veloscope_catalog::sql::arrow::record_batch::RecordBatch> {
    use std::sync::Arc;
    use veloscope_catalog::sql::arrow::array::{ArrayRef, StringArray};
    use veloscope_catalog::sql::arrow::datatypes::{DataType, Field, Schema};
    use veloscope_catalog::sql::arrow::util::display::{ArrayFormatter, FormatOptions};
    let nested = |t: &DataType| t.is_nested();
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| nested(f.data_type()))
    {
        return Ok(batch.clone());
    }
    let options = FormatOptions::default();
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if nested(field.data_type()) {
            let f = ArrayFormatter::try_new(column.as_ref(), &options)?;
            let text: StringArray = (0..column.len())
                .map(|i| (!column.is_null(i)).then(|| f.value(i).to_string()))
                .collect();
            fields.push(Field::new(field.name(), DataType::Utf8, true));
            columns.push(Arc::new(text));
        } else {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
        }
    }
    Ok(
        veloscope_catalog::sql::arrow::record_batch::RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            columns,
        )?,
    )
}
