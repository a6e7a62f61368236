//! The `dead_letters` table: every record that did not become an event, with its raw bytes.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BinaryBuilder, Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;

use super::timestamp_type;
use crate::reject::Reason;

/// A record that failed to decode or validate, or arrived too late. Nothing is dropped silently: the
/// raw bytes are kept so the record can be fixed and replayed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeadLetter {
    /// Event-time position at which the record was rejected (epoch ms): the source's watermark at that
    /// point, so replays assign it to the same epoch and partition.
    pub ts_ms: i64,
    /// Stable reason code.
    pub reason: Reason,
    /// Which field and why.
    pub detail: String,
    /// Where the record came from (`file:PATH`, `generate:seed=S`, `kafka:TOPIC/PARTITION`).
    pub source: String,
    /// Position inside the source: byte offset, record index or Kafka offset.
    pub position: i64,
    /// The event's kind, when it decoded (late events).
    pub kind: Option<String>,
    /// The event's id, when it decoded (late events).
    pub event_id: Option<String>,
    /// The record's bytes as received.
    pub raw: Vec<u8>,
}

/// The Arrow schema of `dead_letters`.
pub fn dead_letter_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("ts", timestamp_type(), false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("detail", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("position", DataType::Int64, false),
        Field::new("kind", DataType::Utf8, true),
        Field::new("event_id", DataType::Utf8, true),
        Field::new("raw", DataType::Binary, false),
    ]))
}

/// Accumulates dead letters into a record batch of [`dead_letter_schema`].
pub struct DeadLetterBatchBuilder {
    ts: TimestampMillisecondBuilder,
    reason: StringBuilder,
    detail: StringBuilder,
    source: StringBuilder,
    position: Int64Builder,
    kind: StringBuilder,
    event_id: StringBuilder,
    raw: BinaryBuilder,
    rows: usize,
}

impl Default for DeadLetterBatchBuilder {
    fn default() -> Self {
        DeadLetterBatchBuilder {
            ts: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            reason: StringBuilder::new(),
            detail: StringBuilder::new(),
            source: StringBuilder::new(),
            position: Int64Builder::new(),
            kind: StringBuilder::new(),
            event_id: StringBuilder::new(),
            raw: BinaryBuilder::new(),
            rows: 0,
        }
    }
}

impl DeadLetterBatchBuilder {
    /// Appends one dead letter.
    pub fn append(&mut self, d: &DeadLetter) {
        self.ts.append_value(d.ts_ms);
        self.reason.append_value(d.reason.code());
        self.detail.append_value(&d.detail);
        self.source.append_value(&d.source);
        self.position.append_value(d.position);
        self.kind.append_option(d.kind.as_deref());
        self.event_id.append_option(d.event_id.as_deref());
        self.raw.append_value(&d.raw);
        self.rows += 1;
    }

    /// Rows pending.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no rows are pending.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The pending rows as a record batch; the builder is empty afterwards.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(self.ts.finish()),
            Arc::new(self.reason.finish()),
            Arc::new(self.detail.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.position.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.event_id.finish()),
            Arc::new(self.raw.finish()),
        ];
        self.rows = 0;
        RecordBatch::try_new(dead_letter_schema(), arrays)
    }
}
