//! librdkafka client settings and the callbacks that turn its errors into one clear outage message.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;
use rdkafka::producer::ProducerContext;
use rdkafka::statistics::Statistics;

use super::KafkaConfig;

/// The client settings every cohort Kafka client shares: bootstrap servers, a client id naming its
/// role, the role's `defaults`, then the user's librdkafka options (security settings among them),
/// which win over both. Settings a role cannot work without are set by the caller afterwards.
pub fn client_config(config: &KafkaConfig, role: &str, defaults: &[(&str, &str)]) -> ClientConfig {
    let mut client = ClientConfig::new();
    client
        .set("bootstrap.servers", &config.brokers)
        .set("client.id", format!("cohort-{role}"))
        .set_log_level(RDKafkaLogLevel::Warning);
    for (key, value) in defaults {
        client.set(*key, *value);
    }
    for (key, value) in &config.librdkafka {
        client.set(key, value);
    }
    client
}

/// Logs a broker outage once when it starts and once when it ends, instead of librdkafka's stream of
/// per-connection errors. Outages are waited out: positions are in cohort's checkpoints, so nothing
/// read is lost and the pipeline never exits because a broker went away.
pub struct KafkaContext {
    role: &'static str,
    brokers: String,
    down: AtomicBool,
    delivery_failures: AtomicU64,
    /// The high watermark of each partition, from librdkafka's statistics (a consumer's
    /// `statistics.interval.ms`): what the consumer lag is measured against.
    high_watermarks: Mutex<HashMap<(String, i32), i64>>,
}

impl KafkaContext {
    /// A context for a client in `role` (`source`, `dead letters`, ...).
    pub fn new(role: &'static str, config: &KafkaConfig) -> Self {
        KafkaContext {
            role,
            brokers: config.brokers.clone(),
            down: AtomicBool::new(false),
            delivery_failures: AtomicU64::new(0),
            high_watermarks: Mutex::default(),
        }
    }

    /// Records that the broker answered; logs the end of an outage.
    pub fn healthy(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                "kafka {} ({}): broker reachable again, continuing",
                self.role,
                self.brokers
            );
        }
    }

    /// Records a failure; logs the start of an outage.
    pub fn failed(&self, what: &str) {
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::error!(
                "kafka {} ({}): broker unavailable: {what}; cohort keeps its position and retries until it answers",
                self.role,
                self.brokers
            );
        } else {
            tracing::debug!("kafka {}: still unavailable: {what}", self.role);
        }
    }

    /// Produced messages the broker finally refused (a producer's caller must not count them as
    /// delivered).
    pub fn delivery_failures(&self) -> u64 {
        self.delivery_failures.load(Ordering::Relaxed)
    }

    /// The high watermark of `topic`'s `partition` at the last statistics, if they told one.
    pub fn high_watermark(&self, topic: &str, partition: i32) -> Option<i64> {
        let marks = self
            .high_watermarks
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        marks
            .get(&(topic.to_string(), partition))
            .copied()
            .filter(|&high| high >= 0)
    }

    /// Whether the last thing heard from the broker was a failure.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }
}

impl ClientContext for KafkaContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        // Connection errors arrive through `error` as well; keep the log to real warnings.
        if (level as i32) <= (RDKafkaLogLevel::Error as i32) && !self.is_down() {
            tracing::warn!("librdkafka {facility}: {message}");
        } else {
            tracing::debug!("librdkafka {facility}: {message}");
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.failed(&format!("{error}: {reason}"));
    }

    /// Keeps each partition's high watermark (librdkafka lists partition -1 for messages not
    /// yet assigned to one: skipped).
    fn stats(&self, statistics: Statistics) {
        let mut marks = self
            .high_watermarks
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for (topic, t) in statistics.topics {
            for (partition, p) in t.partitions {
                if partition >= 0 {
                    marks.insert((topic.clone(), partition), p.hi_offset);
                }
            }
        }
    }
}

impl ConsumerContext for KafkaContext {}

impl ProducerContext for KafkaContext {
    type DeliveryOpaque = ();

    fn delivery(
        &self,
        result: &rdkafka::message::DeliveryResult<'_>,
        _opaque: Self::DeliveryOpaque,
    ) {
        match result {
            Ok(_) => self.healthy(),
            Err((e, _)) => {
                self.delivery_failures.fetch_add(1, Ordering::Relaxed);
                self.failed(&format!("delivery failed: {e}"));
            }
        }
    }
}
