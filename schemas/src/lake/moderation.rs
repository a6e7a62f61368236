//! The `moderation_alerts` table: every state of every moderation alert (see [`ModerationAlert`]),
//! filed under the hour of its latest change. The newest state of an alert is the one with the
//! highest (count, closed, judged).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Float64Array, Float64Builder, Int32Array, Int32Builder, StringArray,
    StringBuilder, TimestampMillisecondArray, TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;

use super::batch::{BatchBuilder, TableColumns};
use super::read::{ReadError, typed_column};
use super::timestamp_type;
use crate::activity::{AlertStatus, Severity};
use crate::moderation::{ModerationAlert, ModerationKind, VerdictOutcome};

const TABLE: &str = "moderation_alerts";

/// The Arrow schema of `moderation_alerts`.
pub fn moderation_alert_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("alert_id", DataType::Utf8, false),
        Field::new("community_id", DataType::Utf8, false),
        Field::new("channel_id", DataType::Utf8, false),
        Field::new("member_id", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("rule", DataType::Utf8, false),
        Field::new("severity", DataType::Utf8, false),
        Field::new("score", DataType::Float64, false),
        Field::new("evidence", DataType::Utf8, false),
        Field::new("first_seen", timestamp_type(), false),
        Field::new("last_seen", timestamp_type(), false),
        Field::new("count", DataType::Int32, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("closed_at", timestamp_type(), true),
        Field::new("verdict", DataType::Utf8, true),
    ]))
}

/// Accumulates alert states into a record batch of [`moderation_alert_schema`].
pub type ModerationAlertBatchBuilder = BatchBuilder<ModerationAlertColumns>;

/// The column builders of `moderation_alerts`.
pub struct ModerationAlertColumns {
    /// alert_id, community_id, channel_id, member_id, kind, rule, severity: the text columns the
    /// schema starts with, in its order.
    leading: [StringBuilder; 7],
    score: Float64Builder,
    evidence: StringBuilder,
    first_seen: TimestampMillisecondBuilder,
    last_seen: TimestampMillisecondBuilder,
    count: Int32Builder,
    status: StringBuilder,
    closed_at: TimestampMillisecondBuilder,
    verdict: StringBuilder,
}

impl Default for ModerationAlertColumns {
    fn default() -> Self {
        let ts = || TimestampMillisecondBuilder::new().with_timezone("UTC");
        ModerationAlertColumns {
            leading: std::array::from_fn(|_| StringBuilder::new()),
            score: Float64Builder::new(),
            evidence: StringBuilder::new(),
            first_seen: ts(),
            last_seen: ts(),
            count: Int32Builder::new(),
            status: StringBuilder::new(),
            closed_at: ts(),
            verdict: StringBuilder::new(),
        }
    }
}

impl TableColumns for ModerationAlertColumns {
    type Row<'a> = &'a ModerationAlert;

    fn schema(&self) -> SchemaRef {
        moderation_alert_schema()
    }

    fn push(&mut self, a: &ModerationAlert) {
        let id = a.alert_id();
        let leading = [
            id.as_str(),
            &a.community_id,
            &a.channel_id,
            &a.member_id,
            a.kind.name(),
            &a.rule,
            a.severity.name(),
        ];
        for (builder, value) in self.leading.iter_mut().zip(leading) {
            builder.append_value(value);
        }
        self.score.append_value(a.score);
        self.evidence.append_value(&a.evidence);
        self.first_seen.append_value(a.first_seen_ms);
        self.last_seen.append_value(a.last_seen_ms);
        self.count
            .append_value(i32::try_from(a.count).unwrap_or(i32::MAX));
        self.status.append_value(a.status.name());
        self.closed_at.append_option(a.closed_ms);
        self.verdict
            .append_option(a.verdict.map(VerdictOutcome::name));
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut columns: Vec<ArrayRef> = self
            .leading
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        columns.extend([
            Arc::new(self.score.finish()) as ArrayRef,
            Arc::new(self.evidence.finish()),
            Arc::new(self.first_seen.finish()),
            Arc::new(self.last_seen.finish()),
            Arc::new(self.count.finish()),
            Arc::new(self.status.finish()),
            Arc::new(self.closed_at.finish()),
            Arc::new(self.verdict.finish()),
        ]);
        columns
    }
}

/// The alert states in a batch of `moderation_alerts` (what the alert topic receives).
pub fn moderation_alerts_from_batch(
    batch: &RecordBatch,
) -> Result<Vec<ModerationAlert>, ReadError> {
    let strings = |name| typed_column::<StringArray>(batch, TABLE, name, "Utf8");
    let times =
        |name| typed_column::<TimestampMillisecondArray>(batch, TABLE, name, "Timestamp(ms, UTC)");
    let (community, channel, member, kind, rule, severity, evidence, status, verdict) = (
        strings("community_id")?,
        strings("channel_id")?,
        strings("member_id")?,
        strings("kind")?,
        strings("rule")?,
        strings("severity")?,
        strings("evidence")?,
        strings("status")?,
        strings("verdict")?,
    );
    let score = typed_column::<Float64Array>(batch, TABLE, "score", "Float64")?;
    let count = typed_column::<Int32Array>(batch, TABLE, "count", "Int32")?;
    let (first, last, closed) = (
        times("first_seen")?,
        times("last_seen")?,
        times("closed_at")?,
    );
    (0..batch.num_rows())
        .map(|i| {
            let unknown = |column: &str, value: &str| ReadError::Row {
                table: TABLE,
                row: i,
                detail: format!("unknown {column} {value:?}"),
            };
            let status = match status.value(i) {
                "open" => AlertStatus::Open,
                "closed" => AlertStatus::Closed,
                other => return Err(unknown("status", other)),
            };
            let verdict = if verdict.is_valid(i) {
                Some(
                    VerdictOutcome::from_name(verdict.value(i))
                        .ok_or_else(|| unknown("verdict", verdict.value(i)))?,
                )
            } else {
                None
            };
            Ok(ModerationAlert {
                community_id: community.value(i).to_string(),
                channel_id: channel.value(i).to_string(),
                member_id: member.value(i).to_string(),
                kind: ModerationKind::from_name(kind.value(i))
                    .ok_or_else(|| unknown("kind", kind.value(i)))?,
                rule: rule.value(i).to_string(),
                severity: Severity::from_name(severity.value(i))
                    .ok_or_else(|| unknown("severity", severity.value(i)))?,
                score: score.value(i),
                evidence: evidence.value(i).to_string(),
                first_seen_ms: first.value(i),
                last_seen_ms: last.value(i),
                count: u32::try_from(count.value(i)).map_err(|_| ReadError::Row {
                    table: TABLE,
                    row: i,
                    detail: format!("negative count {}", count.value(i)),
                })?,
                status,
                closed_ms: closed.is_valid(i).then(|| closed.value(i)),
                verdict,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(status: AlertStatus, verdict: Option<VerdictOutcome>) -> ModerationAlert {
        ModerationAlert {
            community_id: "c1".into(),
            channel_id: String::new(),
            member_id: "u5".into(),
            kind: ModerationKind::Fraud,
            rule: "payment.card_testing".into(),
            severity: Severity::Critical,
            score: 1.2,
            evidence: "6 payments of at most 500 in 600 s".into(),
            first_seen_ms: 1_000,
            last_seen_ms: 2_000,
            count: 2,
            status,
            closed_ms: (status == AlertStatus::Closed).then_some(3_000),
            verdict,
        }
    }

    #[test]
    fn alert_states_round_trip() {
        let states = vec![
            alert(AlertStatus::Open, None),
            alert(AlertStatus::Closed, Some(VerdictOutcome::Dismissed)),
        ];
        let mut builder = ModerationAlertBatchBuilder::default();
        for s in &states {
            builder.append(s);
        }
        let batch = builder.finish().unwrap();
        let ids = typed_column::<StringArray>(&batch, TABLE, "alert_id", "Utf8").unwrap();
        assert_eq!(ids.value(0), "moderation:c1:u5:payment.card_testing:1000");
        assert_eq!(moderation_alerts_from_batch(&batch).unwrap(), states);
    }

    #[test]
    fn an_unknown_name_in_a_row_is_an_error_naming_table_row_and_column() {
        let mut builder = ModerationAlertBatchBuilder::default();
        builder.append(&alert(AlertStatus::Open, None));
        let batch = builder.finish().unwrap();
        let schema = batch.schema();
        let kind = schema.index_of("kind").unwrap();
        let mut columns = batch.columns().to_vec();
        columns[kind] = Arc::new(StringArray::from(vec!["activity"]));
        let batch = RecordBatch::try_new(schema, columns).unwrap();
        let err = moderation_alerts_from_batch(&batch)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "row 0 of moderation_alerts: unknown kind \"activity\"");
    }

    #[test]
    fn a_batch_of_another_shape_is_an_error_naming_the_column() {
        let batch = RecordBatch::new_empty(crate::lake::dead_letter_schema());
        let err = moderation_alerts_from_batch(&batch)
            .unwrap_err()
            .to_string();
        assert!(err.contains("community_id") && err.contains(TABLE), "{err}");
    }
}
