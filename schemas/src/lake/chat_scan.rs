//! The `chat_scans` table: what the moderation job kept of every chat message (see
//! [`ChatScan`]), written with the message so a restart rebuilds the alerts from the lake.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, BooleanBuilder, Int64Array, Int64Builder, StringArray,
    StringBuilder, TimestampMillisecondArray, TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;

use super::batch::{BatchBuilder, TableColumns};
use super::read::{ReadError, typed_column};
use super::timestamp_type;
use crate::moderation::ChatScan;

const TABLE: &str = "chat_scans";

/// The Arrow schema of `chat_scans`. The fingerprint is the SimHash's 64 bits as a signed integer
/// (every reader has Int64; it is compared bitwise, never ordered). `findings` is the JSON array of
/// the message's findings, null when it fired none (almost always).
pub fn chat_scan_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("event_id", DataType::Utf8, false),
        Field::new("ts", timestamp_type(), false),
        Field::new("community_id", DataType::Utf8, false),
        Field::new("channel_id", DataType::Utf8, false),
        Field::new("member_id", DataType::Utf8, false),
        Field::new("chars", DataType::Int64, false),
        Field::new("fingerprint", DataType::Int64, false),
        Field::new("has_link", DataType::Boolean, false),
        Field::new("findings", DataType::Utf8, true),
    ]))
}

/// Accumulates scans into a record batch of [`chat_scan_schema`].
pub type ChatScanBatchBuilder = BatchBuilder<ChatScanColumns>;

/// The column builders of `chat_scans`.
pub struct ChatScanColumns {
    event_id: StringBuilder,
    ts: TimestampMillisecondBuilder,
    community_id: StringBuilder,
    channel_id: StringBuilder,
    member_id: StringBuilder,
    chars: Int64Builder,
    fingerprint: Int64Builder,
    has_link: BooleanBuilder,
    findings: StringBuilder,
}

impl Default for ChatScanColumns {
    fn default() -> Self {
        ChatScanColumns {
            event_id: StringBuilder::new(),
            ts: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            community_id: StringBuilder::new(),
            channel_id: StringBuilder::new(),
            member_id: StringBuilder::new(),
            chars: Int64Builder::new(),
            fingerprint: Int64Builder::new(),
            has_link: BooleanBuilder::new(),
            findings: StringBuilder::new(),
        }
    }
}

impl TableColumns for ChatScanColumns {
    type Row<'a> = &'a ChatScan;

    fn schema(&self) -> SchemaRef {
        chat_scan_schema()
    }

    fn push(&mut self, s: &ChatScan) {
        self.event_id.append_value(&s.event_id);
        self.ts.append_value(s.ts_ms);
        self.community_id.append_value(&s.community_id);
        self.channel_id.append_value(&s.channel_id);
        self.member_id.append_value(&s.member_id);
        self.chars.append_value(i64::from(s.chars));
        self.fingerprint
            .append_value(i64::from_ne_bytes(s.fingerprint.to_ne_bytes()));
        self.has_link.append_value(s.has_link);
        let findings = (!s.findings.is_empty())
            .then(|| serde_json::to_string(&s.findings).ok())
            .flatten();
        self.findings.append_option(findings);
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.event_id.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(self.community_id.finish()),
            Arc::new(self.channel_id.finish()),
            Arc::new(self.member_id.finish()),
            Arc::new(self.chars.finish()),
            Arc::new(self.fingerprint.finish()),
            Arc::new(self.has_link.finish()),
            Arc::new(self.findings.finish()),
        ]
    }
}

/// The scans of a batch of [`chat_scan_schema`] (what a restart rebuilds the alerts from).
pub fn chat_scans_from_batch(batch: &RecordBatch) -> Result<Vec<ChatScan>, ReadError> {
    let strings = |name| typed_column::<StringArray>(batch, TABLE, name, "Utf8");
    let ints = |name| typed_column::<Int64Array>(batch, TABLE, name, "Int64");
    let (event_id, community, channel, member) = (
        strings("event_id")?,
        strings("community_id")?,
        strings("channel_id")?,
        strings("member_id")?,
    );
    let ts = typed_column::<TimestampMillisecondArray>(batch, TABLE, "ts", "Timestamp(ms, UTC)")?;
    let (chars, fingerprint) = (ints("chars")?, ints("fingerprint")?);
    let has_link = typed_column::<BooleanArray>(batch, TABLE, "has_link", "Boolean")?;
    let findings = strings("findings")?;
    (0..batch.num_rows())
        .map(|i| {
            let found = if findings.is_valid(i) {
                serde_json::from_str(findings.value(i)).map_err(|e| ReadError::Row {
                    table: TABLE,
                    row: i,
                    detail: format!("findings are not a JSON array of findings: {e}"),
                })?
            } else {
                Vec::new()
            };
            Ok(ChatScan {
                event_id: event_id.value(i).to_string(),
                ts_ms: ts.value(i),
                community_id: community.value(i).to_string(),
                channel_id: channel.value(i).to_string(),
                member_id: member.value(i).to_string(),
                chars: u32::try_from(chars.value(i)).unwrap_or(u32::MAX),
                fingerprint: u64::from_ne_bytes(fingerprint.value(i).to_ne_bytes()),
                has_link: has_link.value(i),
                findings: found,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::activity::Severity;
    use crate::moderation::{ModerationFinding, ModerationKind};

    use super::*;

    fn scan(findings: Vec<ModerationFinding>) -> ChatScan {
        ChatScan {
            event_id: "e1".into(),
            ts_ms: 1_793_491_200_000,
            community_id: "c1".into(),
            channel_id: "general".into(),
            member_id: "u1".into(),
            chars: 31,
            fingerprint: u64::MAX - 5,
            has_link: true,
            findings,
        }
    }

    #[test]
    fn scans_round_trip_with_and_without_findings() {
        let finding = ModerationFinding {
            rule: "pii.mobile".into(),
            kind: ModerationKind::Pii,
            community_id: "c1".into(),
            channel_id: "general".into(),
            member: "u1".into(),
            event_id: "e1".into(),
            ts_ms: 1_793_491_200_000,
            score: 2.0,
            severity: Severity::Major,
            evidence: "2 mobiles in: call [mobile]".into(),
        };
        let scans = vec![scan(Vec::new()), scan(vec![finding])];
        let mut builder = ChatScanBatchBuilder::default();
        for s in &scans {
            builder.append(s);
        }
        let batch = builder.finish().unwrap();
        assert!(batch.column_by_name("findings").unwrap().is_null(0));
        assert_eq!(chat_scans_from_batch(&batch).unwrap(), scans);
    }

    #[test]
    fn a_batch_of_another_shape_is_an_error_naming_the_column() {
        let batch = RecordBatch::new_empty(crate::lake::dead_letter_schema());
        let err = chat_scans_from_batch(&batch).unwrap_err().to_string();
        assert!(err.contains("community_id") && err.contains(TABLE), "{err}");
    }
}
