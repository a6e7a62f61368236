//! The `erasures` table: the register of erasure requests, which `cohort compact
//! --apply-erasures` reads to rewrite every other table without the erased members' rows.
//!
//! The register cannot forget whom it erased (a late or replayed event of the member must be
//! removed too), yet after compaction the lake should hold no trace of the member. So it stores
//! neither the raw id (the lake never does) nor the member's stored id, but [`erasure_digest`]
//! of the stored id: a SHA-256 that compaction recomputes for each member id it meets. Stored
//! ids are keyed pseudonyms by default, so nobody without the key can test a guess against a
//! digest.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Int64Builder, StringArray, StringBuilder, TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use sha2::{Digest, Sha256};

use super::batch::{BatchBuilder, TableColumns};
use super::read::{ReadError, typed_column};
use super::timestamp_type;
use crate::Event;
use crate::hex::hex;

/// The name of the register's digest column.
pub const DIGEST_COLUMN: &str = "member_digest";

/// Hashed before the stored member id, so a digest never equals another SHA-256 of the same text.
const TAG: &[u8] = b"cohort/erasure/v1\0";

/// The register's digest of a stored member id: lower-case hex SHA-256 of a tag and the id.
pub fn erasure_digest(stored_member_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(TAG);
    h.update(stored_member_id.as_bytes());
    hex(&h.finalize())
}

/// The Arrow schema of `erasures`.
pub fn erasure_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(DIGEST_COLUMN, DataType::Utf8, false),
        Field::new("community_id", DataType::Utf8, false),
        Field::new("event_id", DataType::Utf8, false),
        Field::new("requested_at", timestamp_type(), false),
        Field::new("epoch", DataType::Int64, false),
    ]))
}

/// One erasure request: the `erasure` event and the timely time (event-time second) it took
/// effect at in the derived results.
#[derive(Debug, Clone, Copy)]
pub struct ErasureRequest<'a> {
    /// The `erasure` event (its `user_id` is the member to forget, as stored).
    pub event: &'a Event,
    /// The epoch it was ingested in.
    pub epoch: u64,
}

/// Accumulates erasure requests into a record batch of [`erasure_schema`].
pub type ErasureBatchBuilder = BatchBuilder<ErasureColumns>;

/// The column builders of `erasures`.
pub struct ErasureColumns {
    digest: StringBuilder,
    community_id: StringBuilder,
    event_id: StringBuilder,
    requested_at: TimestampMillisecondBuilder,
    epoch: Int64Builder,
}

impl Default for ErasureColumns {
    fn default() -> Self {
        ErasureColumns {
            digest: StringBuilder::new(),
            community_id: StringBuilder::new(),
            event_id: StringBuilder::new(),
            requested_at: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            epoch: Int64Builder::new(),
        }
    }
}

impl TableColumns for ErasureColumns {
    type Row<'a> = ErasureRequest<'a>;

    fn schema(&self) -> SchemaRef {
        erasure_schema()
    }

    fn push(&mut self, r: ErasureRequest<'_>) {
        self.digest.append_value(erasure_digest(&r.event.user_id));
        self.community_id.append_value(&r.event.community_id);
        self.event_id.append_value(&r.event.event_id);
        self.requested_at.append_value(r.event.ts_ms);
        self.epoch
            .append_value(i64::try_from(r.epoch).unwrap_or(i64::MAX));
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.digest.finish()),
            Arc::new(self.community_id.finish()),
            Arc::new(self.event_id.finish()),
            Arc::new(self.requested_at.finish()),
            Arc::new(self.epoch.finish()),
        ]
    }
}

/// The digests of a batch of `erasures`.
pub fn erasure_digests_from_batch(batch: &RecordBatch) -> Result<Vec<String>, ReadError> {
    let digests: &StringArray = typed_column(batch, "erasures", DIGEST_COLUMN, "Utf8")?;
    Ok(digests.iter().flatten().map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Payload;

    #[test]
    fn a_request_is_stored_by_digest_only() {
        let event = Event {
            event_id: "e1".into(),
            ts_ms: 1_767_225_600_000,
            community_id: "c".into(),
            user_id: "pm_00112233445566778899aabbccddeeff".into(),
            payload: Payload::Erasure,
            extra: None,
        };
        let mut b = ErasureBatchBuilder::default();
        b.append(ErasureRequest {
            event: &event,
            epoch: 1_767_225_600,
        });
        let batch = b.finish().unwrap();
        assert_eq!(batch.schema(), erasure_schema());
        let digests = erasure_digests_from_batch(&batch).unwrap();
        assert_eq!(digests, vec![erasure_digest(&event.user_id)]);
        assert_eq!(digests[0].len(), 64);
        assert_ne!(erasure_digest("a"), erasure_digest("b"));
        let text = format!("{batch:?}");
        assert!(!text.contains(&event.user_id), "{text}");
    }
}
