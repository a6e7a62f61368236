//! Committed alerts to the alert topic: one JSON record per alert state (opened, extended, closed),
//! keyed by the alert id so a compacted topic keeps each alert's latest state. Activity alerts (lake
//! `alerts`, `"kind": "activity"`) and moderation alerts (lake `moderation_alerts`, `"kind"`: `pii`,
//! `abuse`, `spam` or `fraud`) share the topic; both carry `alert_id`.

use cohort_schemas::lake::{alerts_from_batch, moderation_alerts_from_batch};
use datafusion::arrow::record_batch::RecordBatch;
use serde::Serialize;

use super::forwarder::{FileRecords, LakeForwarder};
use super::{KafkaProducer, OutRecord};

/// Produces committed alert states to the alert topic.
pub type AlertForwarder = LakeForwarder<AlertRecords>;

/// The records of `alerts` files.
pub struct AlertRecords;

impl FileRecords for AlertRecords {
    fn table(&self) -> &'static str {
        "alerts"
    }

    fn produce_batch(
        &self,
        producer: &KafkaProducer,
        topic: &str,
        batch: &RecordBatch,
    ) -> Result<(), Box<dyn std::error::Error>> {
        for alert in alerts_from_batch(batch)? {
            produce_alert(producer, topic, &alert.alert_id(), &alert, Some("activity"))?;
        }
        Ok(())
    }
}

/// Produces committed moderation alert states to the alert topic.
pub type ModerationAlertForwarder = LakeForwarder<ModerationAlertRecords>;

/// The records of `moderation_alerts` files.
pub struct ModerationAlertRecords;

impl FileRecords for ModerationAlertRecords {
    fn table(&self) -> &'static str {
        "moderation_alerts"
    }

    fn produce_batch(
        &self,
        producer: &KafkaProducer,
        topic: &str,
        batch: &RecordBatch,
    ) -> Result<(), Box<dyn std::error::Error>> {
        for alert in moderation_alerts_from_batch(batch)? {
            produce_alert(producer, topic, &alert.alert_id(), &alert, None)?;
        }
        Ok(())
    }
}

/// One alert state as JSON, with its `alert_id` (and `kind`, when the state has none of its own),
/// keyed by the id.
fn produce_alert(
    producer: &KafkaProducer,
    topic: &str,
    id: &str,
    alert: &impl Serialize,
    kind: Option<&str>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut json = serde_json::to_value(alert)?;
    if let Some(object) = json.as_object_mut() {
        object.insert("alert_id".into(), id.into());
        if let Some(kind) = kind {
            object.insert("kind".into(), kind.into());
        }
    }
    let payload = serde_json::to_vec(&json)?;
    producer.send(OutRecord {
        topic,
        key: Some(id.as_bytes()),
        payload: &payload,
        headers: &[],
    })?;
    Ok(())
}
