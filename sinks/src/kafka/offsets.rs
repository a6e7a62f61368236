//! Copies the committed source offsets to Kafka's consumer-group offsets, so that standard lag
//! monitoring (`kafka-consumer-groups --describe`, Burrow, exporters) sees how far cohort has got.
//! cohort itself never reads them back: its checkpoints, committed with the outputs, are the truth.

use cohort_pipeline::Checkpoint;
use cohort_pipeline::source::KafkaConfig;
use cohort_pipeline::source::kafka::{KafkaContext, client_config, parse_split_label};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::KafkaSinkError;

/// Commits offsets to the consumer group `group_id` after each checkpoint.
pub struct OffsetCommitter {
    consumer: BaseConsumer<KafkaContext>,
}

impl OffsetCommitter {
    /// A committer for the group of `config`.
    pub fn new(config: &KafkaConfig) -> Result<Self, KafkaSinkError> {
        let consumer = client_config(config, "offsets", &[])
            .set("group.id", &config.group_id)
            .set("enable.auto.commit", "false")
            .create_with_context(KafkaContext::new("offset commits", config))
            .map_err(KafkaSinkError::Config)?;
        Ok(OffsetCommitter { consumer })
    }

    /// Commits, without waiting, the resume offset of every Kafka split of `checkpoint`. Failures
    /// are logged and left: the next checkpoint commits newer offsets anyway.
    pub fn commit(&self, checkpoint: &Checkpoint) {
        // Serve the previous commit's result (and outage logging).
        while let Some(result) = self.consumer.poll(std::time::Duration::ZERO) {
            if let Err(e) = result {
                self.consumer.context().failed(&e.to_string());
            }
        }
        let mut list = TopicPartitionList::new();
        for (split, resume) in &checkpoint.splits {
            let Some((topic, partition)) = parse_split_label(split) else {
                continue;
            };
            let offset = i64::try_from(resume.position).unwrap_or(i64::MAX);
            if list
                .add_partition_offset(topic, partition, Offset::Offset(offset))
                .is_err()
            {
                continue;
            }
        }
        if list.count() == 0 {
            return;
        }
        if let Err(e) = self.consumer.commit(&list, CommitMode::Async) {
            tracing::debug!("kafka offset commit (for lag monitoring) failed: {e}");
        }
    }
}
