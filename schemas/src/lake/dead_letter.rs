//! The `dead_letters` table: every record that did not become an event, with its raw bytes.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BinaryArray, BinaryBuilder, Int64Array, Int64Builder, StringArray,
    StringBuilder, TimestampMillisecondArray, TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;

use super::batch::{BatchBuilder, TableColumns};
use super::read::{ReadError, typed_column};
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
    /// The record's key, where the source has keys (Kafka).
    pub key: Option<Vec<u8>>,
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
        Field::new("key", DataType::Binary, true),
    ]))
}

/// Accumulates dead letters into a record batch of [`dead_letter_schema`].
pub type DeadLetterBatchBuilder = BatchBuilder<DeadLetterColumns>;

/// The column builders of `dead_letters`.
pub struct DeadLetterColumns {
    ts: TimestampMillisecondBuilder,
    reason: StringBuilder,
    detail: StringBuilder,
    source: StringBuilder,
    position: Int64Builder,
    kind: StringBuilder,
    event_id: StringBuilder,
    raw: BinaryBuilder,
    key: BinaryBuilder,
}

impl Default for DeadLetterColumns {
    fn default() -> Self {
        DeadLetterColumns {
            ts: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            reason: StringBuilder::new(),
            detail: StringBuilder::new(),
            source: StringBuilder::new(),
            position: Int64Builder::new(),
            kind: StringBuilder::new(),
            event_id: StringBuilder::new(),
            raw: BinaryBuilder::new(),
            key: BinaryBuilder::new(),
        }
    }
}

impl TableColumns for DeadLetterColumns {
    type Row<'a> = &'a DeadLetter;

    fn schema(&self) -> SchemaRef {
        dead_letter_schema()
    }

    fn push(&mut self, d: &DeadLetter) {
        self.ts.append_value(d.ts_ms);
        self.reason.append_value(d.reason.code());
        self.detail.append_value(&d.detail);
        self.source.append_value(&d.source);
        self.position.append_value(d.position);
        self.kind.append_option(d.kind.as_deref());
        self.event_id.append_option(d.event_id.as_deref());
        self.raw.append_value(&d.raw);
        self.key.append_option(d.key.as_deref());
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.ts.finish()),
            Arc::new(self.reason.finish()),
            Arc::new(self.detail.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.position.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.event_id.finish()),
            Arc::new(self.raw.finish()),
            Arc::new(self.key.finish()),
        ]
    }
}

/// The dead letters of a batch of [`dead_letter_schema`] (read back to forward them to Kafka).
pub fn dead_letters_from_batch(batch: &RecordBatch) -> Result<Vec<DeadLetter>, ReadError> {
    fn column<'a, T: 'static>(
        batch: &'a RecordBatch,
        name: &'static str,
        expected: &'static str,
    ) -> Result<&'a T, ReadError> {
        typed_column(batch, "dead_letters", name, expected)
    }
    let ts: &TimestampMillisecondArray = column(batch, "ts", "Timestamp(ms)")?;
    let reason: &StringArray = column(batch, "reason", "Utf8")?;
    let detail: &StringArray = column(batch, "detail", "Utf8")?;
    let source: &StringArray = column(batch, "source", "Utf8")?;
    let position: &Int64Array = column(batch, "position", "Int64")?;
    let kind: &StringArray = column(batch, "kind", "Utf8")?;
    let event_id: &StringArray = column(batch, "event_id", "Utf8")?;
    let raw: &BinaryArray = column(batch, "raw", "Binary")?;
    let key: Option<&BinaryArray> = column(batch, "key", "Binary").ok();
    let opt = |a: &StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_string());
    (0..batch.num_rows())
        .map(|i| {
            let code = reason.value(i);
            let reason = Reason::from_code(code).ok_or_else(|| ReadError::Row {
                table: "dead_letters",
                row: i,
                detail: format!("unknown reason code `{code}`"),
            })?;
            Ok(DeadLetter {
                ts_ms: ts.value(i),
                reason,
                detail: detail.value(i).to_string(),
                source: source.value(i).to_string(),
                position: position.value(i),
                kind: opt(kind, i),
                event_id: opt(event_id, i),
                raw: raw.value(i).to_vec(),
                key: key.and_then(|k| k.is_valid(i).then(|| k.value(i).to_vec())),
            })
        })
        .collect()
}
