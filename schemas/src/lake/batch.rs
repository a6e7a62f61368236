//! What every table's batch builder shares: counting pending rows and finishing them as a batch.

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;

/// The column builders of one lake table.
pub trait TableColumns {
    /// What one appended row borrows.
    type Row<'a>;

    /// The schema of the batches [`finish`](Self::finish) builds.
    fn schema(&self) -> SchemaRef;

    /// Appends one row to every column.
    fn push(&mut self, row: Self::Row<'_>);

    /// The pending values, one array per column in schema order; the columns are empty afterwards.
    fn finish(&mut self) -> Vec<ArrayRef>;
}

/// Accumulates rows of one table and turns them into a record batch of its schema.
#[derive(Default)]
pub struct BatchBuilder<C> {
    columns: C,
    rows: usize,
}

impl<C: TableColumns> BatchBuilder<C> {
    /// A builder over `columns` (empty).
    pub fn with_columns(columns: C) -> Self {
        BatchBuilder { columns, rows: 0 }
    }

    /// Appends one row.
    pub fn append(&mut self, row: C::Row<'_>) {
        self.columns.push(row);
        self.rows += 1;
    }

    /// Rows appended since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no rows are pending.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The pending rows as a record batch; the builder is empty afterwards.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let arrays = self.columns.finish();
        self.rows = 0;
        RecordBatch::try_new(self.columns.schema(), arrays)
    }
}
