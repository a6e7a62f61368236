//! What a Kafka-sourced run does after each commit: copy the committed offsets to the consumer group
//! and forward committed dead letters and alerts to their topics.

use std::path::Path;

use cohort_pipeline::{Checkpoint, SourceSpec};
use cohort_sinks::SqliteStore;
use cohort_sinks::kafka::{
    AlertForwarder, AlertRecords, DeadLetterForwarder, DeadLetterRecords, KafkaProducer,
    KafkaSinkError, ModerationAlertForwarder, ModerationAlertRecords, OffsetCommitter,
};

use crate::ingest_job::JOB;

/// Worker 0's Kafka outputs.
pub struct KafkaOutputs {
    offsets: OffsetCommitter,
    dead_letters: Option<DeadLetterForwarder>,
    alerts: Option<AlertForwarder>,
    moderation_alerts: Option<ModerationAlertForwarder>,
}

/// Why Kafka outputs could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum OutputsError {
    /// A client could not be created.
    #[error(transparent)]
    Kafka(#[from] KafkaSinkError),
    /// The serving database could not be opened.
    #[error(transparent)]
    Store(#[from] cohort_sinks::serving::StoreError),
}

impl KafkaOutputs {
    /// The outputs of a Kafka source (`None` for other sources), tracking forwarding in the serving
    /// database at `db`.
    pub fn for_source(source: &SourceSpec, db: &Path) -> Result<Option<Self>, OutputsError> {
        let SourceSpec::Kafka(config) = source else {
            return Ok(None);
        };
        let producer = std::rc::Rc::new(KafkaProducer::new(config, "dead letters and alerts")?);
        let dead_letters = match config.dead_letter_topic() {
            Some(topic) => Some(DeadLetterForwarder::new(
                DeadLetterRecords,
                std::rc::Rc::clone(&producer),
                topic,
                SqliteStore::open(db, JOB)?,
            )),
            None => None,
        };
        let (alerts, moderation_alerts) = match config.alert_topic() {
            Some(topic) => (
                Some(AlertForwarder::new(
                    AlertRecords,
                    std::rc::Rc::clone(&producer),
                    topic.clone(),
                    SqliteStore::open(db, JOB)?,
                )),
                Some(ModerationAlertForwarder::new(
                    ModerationAlertRecords,
                    std::rc::Rc::clone(&producer),
                    topic,
                    SqliteStore::open(db, JOB)?,
                )),
            ),
            None => (None, None),
        };
        Ok(Some(KafkaOutputs {
            offsets: OffsetCommitter::new(config)?,
            dead_letters,
            alerts,
            moderation_alerts,
        }))
    }

    /// Runs after every commit; `last` after the final one of a run.
    pub fn after_commit(&mut self, checkpoint: &Checkpoint, last: bool) {
        self.offsets.commit(checkpoint);
        if let Some(forwarder) = self.dead_letters.as_mut() {
            forwarder.forward(last);
        }
        if let Some(forwarder) = self.alerts.as_mut() {
            forwarder.forward(last);
        }
        if let Some(forwarder) = self.moderation_alerts.as_mut() {
            forwarder.forward(last);
        }
    }
}
