//! One worker's share of the Kafka partitions: one consumer, manually assigned, with a queue per
//! partition so each partition is read as its own split.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::{KafkaConfig, KafkaContext, KafkaSourceError, StartFrom, owner};
use super::{KafkaSplit, client_config};
use crate::source::Split;

/// How long one metadata or offset request may block a worker.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) type Queue = rdkafka::consumer::base_consumer::PartitionQueue<KafkaContext>;

/// The reading state of one partition, shared between its split and the worker's consumer.
pub(super) struct Part {
    /// Offset of the next record to hand out.
    pub next: i64,
    /// Bounded runs stop here (the end offset when the run started).
    pub end: Option<i64>,
    /// The end offset when the partition was opened: once read up to it, the partition has
    /// caught up with the backlog it had ([`Split::caught_up`]).
    pub held: i64,
    /// The partition's own queue; `None` until the next (re)assignment.
    pub queue: Option<Queue>,
    /// Records that reached the consumer's main queue before the partition queue was split off.
    pub stray: VecDeque<OwnedMessage>,
    /// When the partition last delivered a record (or was assigned).
    pub last_record: Instant,
}

/// State shared by a worker's splits.
pub(super) struct Shared {
    pub consumer: Arc<BaseConsumer<KafkaContext>>,
    pub parts: BTreeMap<(String, i32), Part>,
    /// Whether `parts` changed since the last assignment.
    pub stale: bool,
}

impl Shared {
    /// Assigns every partition at its next offset, and splits off its queue, when anything changed.
    pub fn ensure_assigned(&mut self) {
        if !self.stale {
            return;
        }
        let mut list = TopicPartitionList::new();
        for ((topic, partition), part) in &self.parts {
            if let Err(e) = list.add_partition_offset(topic, *partition, Offset::Offset(part.next))
            {
                tracing::error!("kafka source: cannot assign {topic}/{partition}: {e}");
            }
        }
        if let Err(e) = self.consumer.assign(&list) {
            self.consumer.context().failed(&format!("assign: {e}"));
            return;
        }
        for ((topic, partition), part) in self.parts.iter_mut() {
            part.queue = self.consumer.split_partition_queue(topic, *partition);
        }
        self.stale = false;
    }

    /// Serves the consumer's callbacks (errors, outage logging) and keeps any record that reached
    /// the main queue for its partition.
    pub fn serve(&mut self) {
        while let Some(result) = self.consumer.poll(Duration::ZERO) {
            match result {
                Ok(message) => {
                    let key = (message.topic().to_string(), message.partition());
                    if let Some(part) = self.parts.get_mut(&key) {
                        part.stray.push_back(message.detach());
                    }
                }
                Err(e) => self.consumer.context().failed(&e.to_string()),
            }
        }
    }
}

/// The partitions worker `index` of `peers` owns, and the means to find partitions added later.
pub struct KafkaPartitions {
    shared: Rc<RefCell<Shared>>,
    config: KafkaConfig,
    index: usize,
    peers: usize,
    last_refresh: Instant,
}

impl KafkaPartitions {
    /// Connects, finds this worker's partitions and resolves where each starts (before any
    /// checkpoint is applied). Waits, logging, while the broker is unreachable.
    pub fn open(
        config: &KafkaConfig,
        index: usize,
        peers: usize,
    ) -> Result<(Self, Vec<Box<dyn Split>>), KafkaSourceError> {
        // Statistics once a second carry each partition's high watermark: `/metrics`' consumer lag.
        let defaults = [("statistics.interval.ms", "1000")];
        let consumer: BaseConsumer<KafkaContext> = client_config(config, "source", &defaults)
            .set("group.id", &config.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "false")
            .create_with_context(KafkaContext::new("source", config))
            .map_err(KafkaSourceError::Config)?;
        let mut partitions = KafkaPartitions {
            shared: Rc::new(RefCell::new(Shared {
                consumer: Arc::new(consumer),
                parts: BTreeMap::new(),
                stale: true,
            })),
            config: config.clone(),
            index,
            peers,
            last_refresh: Instant::now(),
        };
        let owned = loop {
            match partitions.owned_partitions() {
                Some(owned) => break owned,
                None => std::thread::sleep(Duration::from_secs(1)),
            }
        };
        let splits = partitions.add(owned, config.start, config.exit_when_caught_up);
        Ok((partitions, splits))
    }

    /// Whether this is a bounded run (`exit_when_caught_up`): no partitions are added.
    pub fn is_bounded(&self) -> bool {
        self.config.exit_when_caught_up
    }

    /// Serves consumer callbacks and, every `metadata_refresh_ms` of an unbounded run, returns
    /// splits for partitions added since (read from their beginning).
    pub fn discover(&mut self) -> Vec<Box<dyn Split>> {
        self.shared.borrow_mut().serve();
        let refresh = Duration::from_millis(self.config.metadata_refresh_ms);
        if self.config.exit_when_caught_up || self.last_refresh.elapsed() < refresh {
            return Vec::new();
        }
        self.last_refresh = Instant::now();
        if self.shared.borrow().consumer.context().is_down() {
            return Vec::new();
        }
        let Some(owned) = self.owned_partitions() else {
            return Vec::new();
        };
        let new: Vec<_> = {
            let shared = self.shared.borrow();
            owned
                .into_iter()
                .filter(|key| !shared.parts.contains_key(key))
                .collect()
        };
        if !new.is_empty() {
            tracing::warn!(
                "kafka source: worker {} picks up new partitions {new:?}",
                self.index
            );
        }
        self.add(new, StartFrom::Earliest, false)
    }

    /// The (topic, partition) pairs this worker owns, or `None` when the broker did not answer.
    fn owned_partitions(&self) -> Option<Vec<(String, i32)>> {
        let shared = self.shared.borrow();
        let metadata = match shared.consumer.fetch_metadata(None, REQUEST_TIMEOUT) {
            Ok(m) => m,
            Err(e) => {
                shared.consumer.context().failed(&format!("metadata: {e}"));
                return None;
            }
        };
        shared.consumer.context().healthy();
        let mut owned = Vec::new();
        for (topic_index, topic) in self.config.event_topics().iter().enumerate() {
            let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) else {
                tracing::debug!("kafka source: topic {topic} does not exist (yet)");
                continue;
            };
            for p in found.partitions() {
                if owner(topic_index, p.id(), self.peers) == self.index {
                    owned.push((topic.clone(), p.id()));
                }
            }
        }
        Some(owned)
    }

    /// Adds partitions starting at `start`; bounded partitions end at their current end offset.
    fn add(
        &mut self,
        keys: Vec<(String, i32)>,
        start: StartFrom,
        bounded: bool,
    ) -> Vec<Box<dyn Split>> {
        let mut splits: Vec<Box<dyn Split>> = Vec::new();
        for (topic, partition) in keys {
            let (low, high) = self.watermarks(&topic, partition);
            let next = match start {
                StartFrom::Earliest => low,
                StartFrom::Latest => high,
                StartFrom::Timestamp(ms) => self.offset_for_time(&topic, partition, ms, high),
            };
            let part = Part {
                next,
                end: bounded.then_some(high),
                held: high,
                queue: None,
                stray: VecDeque::new(),
                last_record: Instant::now(),
            };
            let mut shared = self.shared.borrow_mut();
            shared.parts.insert((topic.clone(), partition), part);
            shared.stale = true;
            splits.push(Box::new(KafkaSplit::new(
                topic,
                partition,
                Rc::clone(&self.shared),
                Duration::from_millis(self.config.idle_timeout_ms),
            )));
        }
        splits
    }

    /// The partition's (low, high) offsets, retried while the broker is unreachable.
    fn watermarks(&self, topic: &str, partition: i32) -> (i64, i64) {
        let shared = self.shared.borrow();
        loop {
            match shared
                .consumer
                .fetch_watermarks(topic, partition, REQUEST_TIMEOUT)
            {
                Ok(w) => {
                    shared.consumer.context().healthy();
                    return w;
                }
                Err(e) => {
                    shared
                        .consumer
                        .context()
                        .failed(&format!("offsets of {topic}/{partition}: {e}"));
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    }

    /// The first offset at or after `ms`, or `high` when there is none.
    fn offset_for_time(&self, topic: &str, partition: i32, ms: i64, high: i64) -> i64 {
        let shared = self.shared.borrow();
        let mut list = TopicPartitionList::new();
        if list
            .add_partition_offset(topic, partition, Offset::Offset(ms))
            .is_err()
        {
            return high;
        }
        match shared.consumer.offsets_for_times(list, REQUEST_TIMEOUT) {
            Ok(found) => found
                .elements()
                .first()
                .and_then(|e| e.offset().to_raw())
                .filter(|o| *o >= 0)
                .unwrap_or(high),
            Err(e) => {
                tracing::warn!(
                    "kafka source: no offset for time {ms} in {topic}/{partition} ({e}); starting at the end"
                );
                high
            }
        }
    }
}
