//! Kafka as a source: one topic per event kind, every partition a [`Split`](super::Split) whose
//! position is the Kafka offset of its next record.
//!
//! There is no consumer-group rebalancing. Each (topic, partition) belongs to exactly one worker of
//! the timely cluster, chosen by [`owner`] from the topic's place in [`TOPIC_KEYS`] and the partition
//! number, so the choice is the same on every run and stays put when partitions are added. Offsets
//! live in cohort's own checkpoints (committed with the outputs); they are copied to Kafka's group
//! offsets after each commit only so that lag monitors see them.

mod config;
mod context;
mod partitions;
mod split;

pub use config::{KafkaConfig, StartFrom};
pub use context::{KafkaContext, client_config};
pub use partitions::KafkaPartitions;
pub use split::KafkaSplit;

/// The topic keys, in the order that fixes partition ownership. A topic is named `prefix + key`
/// unless [`KafkaConfig::topics`] overrides it.
pub const TOPIC_KEYS: [&str; 8] = [
    "views", "likes", "payments", "chat", "items", "members", "checkins", "erasures",
];

/// The topic key of an event kind's wire name (`view` → `views`), for routing produced events.
pub fn topic_key_of_kind(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "view" => "views",
        "like" => "likes",
        "payment" => "payments",
        "chat" => "chat",
        "item" => "items",
        "member" => "members",
        "checkin" => "checkins",
        "erasure" => "erasures",
        _ => return None,
    })
}

/// The worker (of `peers`) that owns partition `partition` of the topic at `topic_index` in
/// [`TOPIC_KEYS`]. Consecutive partitions and topics land on consecutive workers, so load spreads
/// evenly and a new partition never moves an old one.
///
/// ```
/// use cohort_pipeline::source::kafka::owner;
/// assert_eq!(owner(0, 0, 2), 0);
/// assert_eq!(owner(0, 1, 2), 1);
/// assert_eq!(owner(1, 0, 2), 1);
/// assert_eq!(owner(7, 3, 1), 0);
/// ```
pub fn owner(topic_index: usize, partition: i32, peers: usize) -> usize {
    let partition = usize::try_from(partition).unwrap_or(0);
    (topic_index + partition) % peers.max(1)
}

/// The split id and dead-letter label of a partition: `kafka:TOPIC/PARTITION`.
pub fn split_label(topic: &str, partition: i32) -> String {
    format!("kafka:{topic}/{partition}")
}

/// The topic and partition of a [`split_label`], or `None` for other sources' labels.
///
/// ```
/// use cohort_pipeline::source::kafka::{parse_split_label, split_label};
/// assert_eq!(parse_split_label(&split_label("cohort.views", 3)), Some(("cohort.views", 3)));
/// assert_eq!(parse_split_label("file:/tmp/a.jsonl"), None);
/// ```
pub fn parse_split_label(label: &str) -> Option<(&str, i32)> {
    let rest = label.strip_prefix("kafka:")?;
    let (topic, partition) = rest.rsplit_once('/')?;
    Some((topic, partition.parse().ok()?))
}

/// A Kafka client that cannot be set up (outages are waited out, never errors).
#[derive(Debug, thiserror::Error)]
pub enum KafkaSourceError {
    /// librdkafka refused the client configuration (a bad key or value).
    #[error("kafka client configuration: {0}")]
    Config(rdkafka::error::KafkaError),
}
