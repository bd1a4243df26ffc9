//! Rows into Arrow record batches, one builder per column chosen from the table's schema, so
//! every table is filled the same way.

use arrow_array::builder::{
    BooleanBuilder, Int64Builder, ListBuilder, MapBuilder, MapFieldNames, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, SchemaRef};
use std::sync::Arc;

/// One value of a row, in the column's type. The borrowed forms let a row point into the body
/// it was read from, so a million rows cost no million strings.
pub enum Cell<'a> {
    Text(Option<String>),
    Str(Option<&'a str>),
    Int(Option<i64>),
    Flag(Option<bool>),
    /// Microseconds since the epoch, UTC.
    Time(Option<i64>),
    Texts(Option<Vec<String>>),
    Strs(Option<&'a [&'a str]>),
    Map(Option<Vec<(String, String)>>),
    Pairs(Option<&'a [(&'a str, &'a str)]>),
}

enum Column {
    Text(StringBuilder),
    Int(Int64Builder),
    Flag(BooleanBuilder),
    Time(TimestampMicrosecondBuilder),
    Texts(ListBuilder<StringBuilder>),
    Map(MapBuilder<StringBuilder, StringBuilder>),
}

impl Column {
    fn of(t: &DataType) -> Column {
        match t {
            DataType::Int64 => Column::Int(Int64Builder::new()),
            DataType::Boolean => Column::Flag(BooleanBuilder::new()),
            DataType::Timestamp(..) => {
                Column::Time(TimestampMicrosecondBuilder::new().with_timezone("UTC"))
            }
            DataType::List(_) => Column::Texts(ListBuilder::new(StringBuilder::new())),
            DataType::Map(..) => Column::Map(MapBuilder::new(
                Some(MapFieldNames {
                    entry: "key_value".into(),
                    key: "key".into(),
                    value: "value".into(),
                }),
                StringBuilder::new(),
                StringBuilder::new(),
            )),
            _ => Column::Text(StringBuilder::new()),
        }
    }

    /// Appends `cell`; a cell of another type than the column's is a bug in the caller's row.
    fn push(&mut self, cell: Cell<'_>) -> Result<(), ArrowError> {
        match (self, cell) {
            (Column::Text(b), Cell::Text(v)) => b.append_option(v),
            (Column::Text(b), Cell::Str(v)) => b.append_option(v),
            (Column::Texts(b), Cell::Strs(v)) => list(b, v),
            (Column::Map(b), Cell::Pairs(v)) => map(b, v.map(|p| p.iter().copied()))?,
            (Column::Int(b), Cell::Int(v)) => b.append_option(v),
            (Column::Flag(b), Cell::Flag(v)) => b.append_option(v),
            (Column::Time(b), Cell::Time(v)) => b.append_option(v),
            (Column::Texts(b), Cell::Texts(v)) => list(b, v),
            (Column::Map(b), Cell::Map(v)) => map(b, v)?,
            _ => {
                return Err(ArrowError::SchemaError(
                    "a row's value does not match its column's type".into(),
                ));
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Text(b) => Arc::new(b.finish()),
            Column::Int(b) => Arc::new(b.finish()),
            Column::Flag(b) => Arc::new(b.finish()),
            Column::Time(b) => Arc::new(b.finish()),
            Column::Texts(b) => Arc::new(b.finish()),
            Column::Map(b) => Arc::new(b.finish()),
        }
    }
}

fn list<S: AsRef<str>>(
    b: &mut ListBuilder<StringBuilder>,
    values: Option<impl IntoIterator<Item = S>>,
) {
    match values {
        Some(values) => {
            for value in values {
                b.values().append_value(value);
            }
            b.append(true);
        }
        None => b.append(false),
    }
}

fn map<K: AsRef<str>, V: AsRef<str>>(
    b: &mut MapBuilder<StringBuilder, StringBuilder>,
    pairs: Option<impl IntoIterator<Item = (K, V)>>,
) -> Result<(), ArrowError> {
    match pairs {
        Some(pairs) => {
            for (k, v) in pairs {
                b.keys().append_value(k);
                b.values().append_value(v);
            }
            b.append(true)
        }
        None => b.append(false),
    }
}

/// The rows of one table not yet written.
pub struct Rows {
    schema: SchemaRef,
    columns: Vec<Column>,
    len: usize,
}

impl Rows {
    pub fn new(schema: &SchemaRef) -> Rows {
        Rows {
            schema: schema.clone(),
            columns: schema
                .fields()
                .iter()
                .map(|f| Column::of(f.data_type()))
                .collect(),
            len: 0,
        }
    }

    /// Appends one row: a cell per column, in the schema's order.
    pub fn push<'a>(&mut self, row: impl IntoIterator<Item = Cell<'a>>) -> Result<(), ArrowError> {
        let mut n = 0;
        for (column, cell) in self.columns.iter_mut().zip(row) {
            column.push(cell)?;
            n += 1;
        }
        if n != self.columns.len() {
            return Err(ArrowError::SchemaError(format!(
                "a row has {n} values for {} columns",
                self.columns.len()
            )));
        }
        self.len += 1;
        Ok(())
    }

    /// The rows so far as a batch; the builders start empty again.
    pub fn take(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns = self.columns.iter_mut().map(Column::finish).collect();
        self.len = 0;
        RecordBatch::try_new(self.schema.clone(), columns)
    }
}
