//! Committed alerts to the alert topic: one JSON record per alert state (opened, extended, closed),
//! keyed by the alert id so a compacted topic keeps each alert's latest state.

use cohort_schemas::lake::alerts_from_batch;
use datafusion::arrow::record_batch::RecordBatch;

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
            let id = alert.alert_id();
            let mut json = serde_json::to_value(&alert)?;
            if let Some(object) = json.as_object_mut() {
                object.insert("alert_id".into(), id.clone().into());
                object.insert("kind".into(), "activity".into());
            }
            let payload = serde_json::to_vec(&json)?;
            producer.send(OutRecord {
                topic,
                key: Some(id.as_bytes()),
                payload: &payload,
                headers: &[],
            })?;
        }
        Ok(())
    }
}
