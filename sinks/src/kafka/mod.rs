//! Kafka as a sink: an idempotent producer for derived streams, the dead-letter and alert forwarders
//! built on it,
//! and the copy of source offsets to the consumer group for lag monitoring.
//!
//! Only committed output is produced. The lake and the serving database are the record of what an
//! epoch produced; Kafka receives it after the commit, so a crash never leaves records in a topic that
//! the next run would produce differently.

mod alerts;
mod dead_letters;
mod forwarder;
mod offsets;
mod producer;

pub use alerts::{AlertForwarder, AlertRecords, ModerationAlertForwarder, ModerationAlertRecords};
pub use dead_letters::{DeadLetterForwarder, DeadLetterRecords, dead_letter_headers};
pub use forwarder::{FileRecords, LakeForwarder};
pub use offsets::OffsetCommitter;
pub use producer::{KafkaProducer, KafkaSinkError, OutRecord};
