//! Events to Arrow record batches, one builder per table.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Int64Builder, ListBuilder, StringBuilder, TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, SchemaRef};

use super::batch::{BatchBuilder, TableColumns};
use super::cells::{Cell, visit_cells};
use super::{columns_of, event_schema};
use crate::event::{Event, FieldType, Kind, Storage};

enum ColumnBuilder {
    Str(StringBuilder),
    Int(Int64Builder),
    Bool(BooleanBuilder),
    List(ListBuilder<StringBuilder>),
    Ts(TimestampMillisecondBuilder),
}

impl ColumnBuilder {
    fn for_type(ty: FieldType) -> Self {
        match ty.storage() {
            Storage::Str => ColumnBuilder::Str(StringBuilder::new()),
            Storage::Int => ColumnBuilder::Int(Int64Builder::new()),
            Storage::Bool => ColumnBuilder::Bool(BooleanBuilder::new()),
            Storage::StrList => ColumnBuilder::List(
                ListBuilder::new(StringBuilder::new())
                    .with_field(Arc::new(Field::new_list_field(DataType::Utf8, true))),
            ),
            Storage::Timestamp => {
                ColumnBuilder::Ts(TimestampMillisecondBuilder::new().with_timezone("UTC"))
            }
        }
    }

    fn append(&mut self, cell: Cell<'_>) {
        match (self, cell) {
            (ColumnBuilder::Str(b), Cell::Str(v)) => b.append_option(v),
            (ColumnBuilder::Int(b), Cell::Int(v)) => b.append_option(v),
            (ColumnBuilder::Bool(b), Cell::Bool(v)) => b.append_value(v),
            (ColumnBuilder::List(b), Cell::List(items)) => {
                for item in items {
                    b.values().append_value(item);
                }
                b.append(true);
            }
            (ColumnBuilder::Ts(b), Cell::Ts(v)) => b.append_value(v),
            (_, cell) => unreachable!(
                "cell {cell:?} does not fit its column: cells.rs and the registry disagree"
            ),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Str(b) => Arc::new(b.finish()),
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::List(b) => Arc::new(b.finish()),
            ColumnBuilder::Ts(b) => Arc::new(b.finish()),
        }
    }
}

/// Accumulates events of one kind and turns them into a record batch of the `events_<kind>` schema.
pub type EventBatchBuilder = BatchBuilder<EventColumns>;

impl EventBatchBuilder {
    /// An empty builder for events of `kind`.
    pub fn new(kind: Kind) -> Self {
        BatchBuilder::with_columns(EventColumns {
            kind,
            schema: event_schema(kind),
            columns: columns_of(kind)
                .map(|f| ColumnBuilder::for_type(f.ty))
                .collect(),
            extra: StringBuilder::new(),
        })
    }
}

/// The column builders of `events_<kind>`.
pub struct EventColumns {
    kind: Kind,
    schema: SchemaRef,
    columns: Vec<ColumnBuilder>,
    extra: StringBuilder,
}

impl TableColumns for EventColumns {
    type Row<'a> = &'a Event;

    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// # Panics
    /// If the event's kind is not the builder's: callers route by kind, so this is a programming error.
    fn push(&mut self, event: &Event) {
        assert_eq!(event.kind(), self.kind, "event routed to the wrong table");
        let mut i = 0;
        visit_cells(event, &mut |cell| {
            self.columns[i].append(cell);
            i += 1;
        });
        self.extra.append_option(event.extra.as_deref());
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut arrays: Vec<ArrayRef> = self.columns.iter_mut().map(|c| c.finish()).collect();
        arrays.push(Arc::new(self.extra.finish()));
        arrays
    }
}
