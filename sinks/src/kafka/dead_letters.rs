//! Forwards committed dead letters from the lake to the dead-letter topic, with the original key and
//! bytes, and headers that say why and where from.
//!
//! The forwarder works from the serving database's list of published `dead_letters` files: a file is
//! marked forwarded once every record produced from it is acknowledged. Files not marked (a crash,
//! an outage longer than the producer's timeout) are produced again by the next forward, so a record
//! can reach the topic twice but is never lost; the `cohort-topic`, `cohort-partition` and
//! `cohort-offset` headers identify repeats.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cohort_pipeline::source::kafka::parse_split_label;
use cohort_schemas::lake::{DeadLetter, dead_letters_from_batch};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{KafkaProducer, OutRecord};
use crate::serving::SqliteStore;

/// How long the last forward of a run waits for acknowledgements.
const FINAL_FLUSH: Duration = Duration::from_secs(30);

/// The headers of a dead letter read from `topic`/`partition` at `offset`.
pub fn dead_letter_headers(
    reason: &str,
    topic: &str,
    partition: i32,
    offset: i64,
) -> [(&'static str, Vec<u8>); 4] {
    [
        ("cohort-reason", reason.as_bytes().to_vec()),
        ("cohort-topic", topic.as_bytes().to_vec()),
        ("cohort-partition", partition.to_string().into_bytes()),
        ("cohort-offset", offset.to_string().into_bytes()),
    ]
}

/// Produces committed dead letters of Kafka splits to the dead-letter topic.
pub struct DeadLetterForwarder {
    producer: KafkaProducer,
    topic: String,
    store: SqliteStore,
    /// Files produced whose acknowledgements are outstanding.
    in_flight: Vec<PathBuf>,
    failures_seen: u64,
}

impl DeadLetterForwarder {
    /// A forwarder to `topic`, tracking its progress in `store`.
    pub fn new(producer: KafkaProducer, topic: String, store: SqliteStore) -> Self {
        DeadLetterForwarder {
            producer,
            topic,
            store,
            in_flight: Vec::new(),
            failures_seen: 0,
        }
    }

    /// Produces every published dead-letter file not yet forwarded, and marks files forwarded once
    /// acknowledged. `last` waits for the acknowledgements (the end of a run). Never fails the
    /// pipeline: problems are logged and retried at the next call.
    pub fn forward(&mut self, last: bool) {
        self.producer.poll();
        self.settle();
        let pending = match self.store.unforwarded_dead_letter_files() {
            Ok(files) => files,
            Err(e) => {
                tracing::error!("dead-letter forwarding: {e}");
                return;
            }
        };
        for path in pending {
            if self.in_flight.contains(&path) {
                continue;
            }
            match self.produce_file(&path) {
                Ok(()) => self.in_flight.push(path),
                Err(e) => {
                    tracing::error!("dead-letter forwarding of {}: {e}", path.display());
                    break;
                }
            }
        }
        if last && !self.in_flight.is_empty() {
            if !self.producer.flush(FINAL_FLUSH) {
                tracing::warn!(
                    "dead-letter topic {}: {} records unacknowledged at exit; they are produced again on the next run",
                    self.topic,
                    self.producer.in_flight()
                );
            }
            self.settle();
        }
    }

    /// Marks the in-flight files forwarded once nothing is outstanding, or drops them for a retry if
    /// a delivery failed.
    fn settle(&mut self) {
        if self.in_flight.is_empty() || self.producer.in_flight() > 0 {
            return;
        }
        let failures = self.producer.delivery_failures();
        if failures != self.failures_seen {
            self.failures_seen = failures;
            tracing::warn!(
                "dead-letter topic {}: deliveries failed; retrying",
                self.topic
            );
            self.in_flight.clear();
            return;
        }
        match self.store.mark_forwarded(&self.in_flight, &self.topic) {
            Ok(()) => self.in_flight.clear(),
            Err(e) => tracing::error!("dead-letter forwarding: {e}"),
        }
    }

    fn produce_file(&self, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
        let file = std::fs::File::open(path)?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
        for batch in reader {
            for letter in dead_letters_from_batch(&batch?)? {
                self.produce(&letter)?;
            }
        }
        Ok(())
    }

    fn produce(&self, letter: &DeadLetter) -> Result<(), super::KafkaSinkError> {
        let Some((topic, partition)) = parse_split_label(&letter.source) else {
            return Ok(());
        };
        let headers = dead_letter_headers(letter.reason.code(), topic, partition, letter.position);
        let headers: Vec<(&str, &[u8])> = headers.iter().map(|(k, v)| (*k, v.as_slice())).collect();
        self.producer.send(OutRecord {
            topic: &self.topic,
            key: letter.key.as_deref(),
            payload: &letter.raw,
            headers: &headers,
        })
    }
}
