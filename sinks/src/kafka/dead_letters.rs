//! Committed dead letters to the dead-letter topic, with the original key and bytes, and headers that
//! say why and where from (`cohort-topic`, `cohort-partition` and `cohort-offset` identify repeats).

use cohort_pipeline::source::kafka::parse_split_label;
use cohort_schemas::lake::{DeadLetter, dead_letters_from_batch};
use datafusion::arrow::record_batch::RecordBatch;

use super::forwarder::{FileRecords, LakeForwarder};
use super::{KafkaProducer, OutRecord};

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
pub type DeadLetterForwarder = LakeForwarder<DeadLetterRecords>;

/// The records of `dead_letters` files: the raw bytes of each letter of a Kafka split.
pub struct DeadLetterRecords;

impl FileRecords for DeadLetterRecords {
    fn table(&self) -> &'static str {
        "dead_letters"
    }

    fn produce_batch(
        &self,
        producer: &KafkaProducer,
        topic: &str,
        batch: &RecordBatch,
    ) -> Result<(), Box<dyn std::error::Error>> {
        for letter in dead_letters_from_batch(batch)? {
            produce(producer, topic, &letter)?;
        }
        Ok(())
    }
}

fn produce(
    producer: &KafkaProducer,
    topic: &str,
    letter: &DeadLetter,
) -> Result<(), super::KafkaSinkError> {
    let Some((source_topic, partition)) = parse_split_label(&letter.source) else {
        return Ok(());
    };
    let headers = dead_letter_headers(
        letter.reason.code(),
        source_topic,
        partition,
        letter.position,
    );
    let headers: Vec<(&str, &[u8])> = headers.iter().map(|(k, v)| (*k, v.as_slice())).collect();
    producer.send(OutRecord {
        topic,
        key: letter.key.as_deref(),
        payload: &letter.raw,
        headers: &headers,
    })
}
