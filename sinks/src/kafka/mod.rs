//! Kafka as a sink: an idempotent producer for derived streams, the dead-letter forwarder built on it,
//! and the copy of source offsets to the consumer group for lag monitoring.
//!
//! Only committed output is produced. The lake and the serving database are the record of what an
//! epoch produced; Kafka receives it after the commit, so a crash never leaves records in a topic that
//! the next run would produce differently.

mod dead_letters;
mod offsets;
mod producer;

pub use dead_letters::{DeadLetterForwarder, dead_letter_headers};
pub use offsets::OffsetCommitter;
pub use producer::{KafkaProducer, KafkaSinkError, OutRecord};
