//! Forwards committed rows of a lake table to a Kafka topic.
//!
//! The forwarder works from the serving database's list of published files of its table: a file is
//! marked forwarded once every record produced from it is acknowledged. Files not marked (a crash,
//! an outage longer than the producer's timeout) are produced again by the next forward, so a record
//! can reach the topic twice but is never lost; each table's records carry what identifies repeats
//! (headers for dead letters, the alert id and state for alerts).

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::KafkaProducer;
use crate::serving::SqliteStore;

/// How long the last forward of a run waits for acknowledgements.
const FINAL_FLUSH: Duration = Duration::from_secs(30);

/// What a forwarded table turns its files into.
pub trait FileRecords {
    /// The lake table whose committed files are forwarded.
    fn table(&self) -> &'static str;

    /// Produces the records of one batch of a file to `topic`.
    fn produce_batch(
        &self,
        producer: &KafkaProducer,
        topic: &str,
        batch: &RecordBatch,
    ) -> Result<(), Box<dyn std::error::Error>>;
}

/// Produces every record of the Parquet file at `path`.
fn produce_file<R: FileRecords>(
    records: &R,
    producer: &KafkaProducer,
    topic: &str,
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let file = std::fs::File::open(path)?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
    for batch in reader {
        records.produce_batch(producer, topic, &batch?)?;
    }
    Ok(())
}

/// Produces the committed files of one lake table to one topic.
pub struct LakeForwarder<R> {
    records: R,
    /// Shared by the forwarders of one run: one idempotent producer session per process (the
    /// Tansu test broker fails after a restart when a second one is open).
    producer: Rc<KafkaProducer>,
    topic: String,
    store: SqliteStore,
    /// Files produced whose acknowledgements are outstanding.
    in_flight: Vec<PathBuf>,
    failures_seen: u64,
}

impl<R: FileRecords> LakeForwarder<R> {
    /// A forwarder of `records`' table to `topic`, tracking its progress in `store`.
    pub fn new(records: R, producer: Rc<KafkaProducer>, topic: String, store: SqliteStore) -> Self {
        LakeForwarder {
            records,
            producer,
            topic,
            store,
            in_flight: Vec::new(),
            failures_seen: 0,
        }
    }

    /// Produces every published file not yet forwarded, and marks files forwarded once
    /// acknowledged. `last` waits for the acknowledgements (the end of a run). Never fails the
    /// pipeline: problems are logged and retried at the next call.
    pub fn forward(&mut self, last: bool) {
        let table = self.records.table();
        self.producer.poll();
        self.settle();
        let pending = match self.store.unforwarded_files(table) {
            Ok(files) => files,
            Err(e) => {
                tracing::error!("{table} forwarding: {e}");
                return;
            }
        };
        for path in pending {
            if self.in_flight.contains(&path) {
                continue;
            }
            match produce_file(&self.records, &self.producer, &self.topic, &path) {
                Ok(()) => self.in_flight.push(path),
                Err(e) => {
                    tracing::error!("{table} forwarding of {}: {e}", path.display());
                    break;
                }
            }
        }
        if last && !self.in_flight.is_empty() {
            if !self.producer.flush(FINAL_FLUSH) {
                tracing::warn!(
                    "topic {}: {} records unacknowledged at exit; they are produced again on the next run",
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
            tracing::warn!("topic {}: deliveries failed; retrying", self.topic);
            self.in_flight.clear();
            return;
        }
        match self.store.mark_forwarded(&self.in_flight, &self.topic) {
            Ok(()) => self.in_flight.clear(),
            Err(e) => tracing::error!("{} forwarding: {e}", self.records.table()),
        }
    }
}
