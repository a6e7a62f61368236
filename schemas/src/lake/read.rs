//! Arrow record batches back to events: for tests, replays and compaction.

use datafusion::arrow::array::{
    Array, BooleanArray, Int64Array, ListArray, StringArray, TimestampMillisecondArray,
};
use datafusion::arrow::record_batch::RecordBatch;

use super::cells::{OwnedCell, event_from_cells};
use super::columns_of;
use crate::event::{Event, Kind, Storage};

/// A batch that does not have the shape of its lake table.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A column is missing or has another type.
    #[error("column `{column}` of {table} is missing or not of type {expected}")]
    Column {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// The Arrow type expected.
        expected: &'static str,
    },
    /// A row does not form a valid event.
    #[error("row {row} of {table}: {detail}")]
    Row {
        /// The table.
        table: &'static str,
        /// Row index in the batch.
        row: usize,
        /// What is wrong.
        detail: String,
    },
}

/// Column `name` of `batch` as the array type `T`, or an error naming the table, the column and
/// the type expected (`Utf8`, `Int64`, ...).
pub fn typed_column<'a, T: 'static>(
    batch: &'a RecordBatch,
    table: &'static str,
    name: &'static str,
    expected: &'static str,
) -> Result<&'a T, ReadError> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or(ReadError::Column {
            table,
            column: name,
            expected,
        })
}

enum Column<'a> {
    Str(&'a StringArray),
    Int(&'a Int64Array),
    Bool(&'a BooleanArray),
    List(&'a ListArray),
    Ts(&'a TimestampMillisecondArray),
}

impl Column<'_> {
    fn cell(&self, row: usize) -> OwnedCell {
        let str_at = |a: &StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_string());
        match self {
            Column::Str(a) => OwnedCell::Str(str_at(a, row)),
            Column::Int(a) => OwnedCell::Int(a.is_valid(row).then(|| a.value(row))),
            Column::Bool(a) => OwnedCell::Bool(a.is_valid(row) && a.value(row)),
            Column::Ts(a) => OwnedCell::Ts(a.value(row)),
            Column::List(a) => {
                let mut items = Vec::new();
                if a.is_valid(row) {
                    let values = a.value(row);
                    if let Some(values) = values.as_any().downcast_ref::<StringArray>() {
                        items.extend((0..values.len()).filter_map(|i| str_at(values, i)));
                    }
                }
                OwnedCell::List(items)
            }
        }
    }
}

/// The column `column` as array type `A`, or the error naming what was expected.
fn typed<'a, A: 'static>(
    array: Option<&'a dyn std::any::Any>,
    table: &'static str,
    column: &'static str,
    expected: &'static str,
) -> Result<&'a A, ReadError> {
    array
        .and_then(|a| a.downcast_ref::<A>())
        .ok_or(ReadError::Column {
            table,
            column,
            expected,
        })
}

/// The events stored in one batch of `events_<kind>`.
pub fn events_from_batch(kind: Kind, batch: &RecordBatch) -> Result<Vec<Event>, ReadError> {
    let table = kind.table();
    let mut columns = Vec::new();
    for spec in columns_of(kind) {
        let array = batch.column_by_name(spec.name).map(|a| a.as_any());
        let column = match spec.ty.storage() {
            Storage::Str => Column::Str(typed(array, table, spec.name, "Utf8")?),
            Storage::Int => Column::Int(typed(array, table, spec.name, "Int64")?),
            Storage::Bool => Column::Bool(typed(array, table, spec.name, "Boolean")?),
            Storage::StrList => Column::List(typed(array, table, spec.name, "List<Utf8>")?),
            Storage::Timestamp => Column::Ts(typed(array, table, spec.name, "Timestamp(ms)")?),
        };
        columns.push(column);
    }
    let extra = batch
        .column_by_name("extra")
        .and_then(|a| a.as_any().downcast_ref::<StringArray>())
        .ok_or(ReadError::Column {
            table,
            column: "extra",
            expected: "Utf8",
        })?;
    (0..batch.num_rows())
        .map(|row| {
            let cells = columns.iter().map(|c| c.cell(row));
            let extra = extra.is_valid(row).then(|| extra.value(row).to_string());
            event_from_cells(kind, cells, extra).map_err(|detail| ReadError::Row {
                table,
                row,
                detail,
            })
        })
        .collect()
}
