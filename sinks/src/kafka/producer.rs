//! The idempotent producer every cohort output to Kafka goes through.

use std::time::{Duration, Instant};

use cohort_pipeline::source::KafkaConfig;
use cohort_pipeline::source::kafka::{KafkaContext, client_config};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

/// A producer could not be created.
#[derive(Debug, thiserror::Error)]
pub enum KafkaSinkError {
    /// librdkafka refused the configuration.
    #[error("kafka producer configuration: {0}")]
    Config(KafkaError),
    /// A record was refused outright (too large, unknown topic, fatal producer error).
    #[error("kafka refused a record for {topic}: {source}")]
    Send {
        /// The topic.
        topic: String,
        /// The cause.
        source: KafkaError,
    },
}

/// One record to produce.
#[derive(Debug, Clone, Copy)]
pub struct OutRecord<'a> {
    /// The topic.
    pub topic: &'a str,
    /// The key (partitioning), if any.
    pub key: Option<&'a [u8]>,
    /// The value.
    pub payload: &'a [u8],
    /// Headers, in order.
    pub headers: &'a [(&'a str, &'a [u8])],
}

/// An idempotent producer (`enable.idempotence`, `acks=all`): retries after a lost connection never
/// write a record twice, and records of one partition stay in order.
pub struct KafkaProducer {
    producer: BaseProducer<KafkaContext>,
}

impl KafkaProducer {
    /// A producer for `role` (named in logs and the client id).
    pub fn new(config: &KafkaConfig, role: &'static str) -> Result<Self, KafkaSinkError> {
        let defaults = [
            ("enable.idempotence", "true"),
            ("acks", "all"),
            ("linger.ms", "5"),
        ];
        let producer = client_config(config, role, &defaults)
            .create_with_context(KafkaContext::new(role, config))
            .map_err(KafkaSinkError::Config)?;
        Ok(KafkaProducer { producer })
    }

    /// Queues a record, waiting while librdkafka's queue is full (a broker outage fills it; the
    /// producer then waits rather than dropping).
    pub fn send(&self, record: OutRecord<'_>) -> Result<(), KafkaSinkError> {
        let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
        for (key, value) in record.headers {
            headers = headers.insert(Header {
                key,
                value: Some(*value),
            });
        }
        let mut out = BaseRecord::to(record.topic)
            .payload(record.payload)
            .headers(headers);
        if let Some(key) = record.key {
            out = out.key(key);
        }
        let mut waited_since: Option<Instant> = None;
        loop {
            match self.producer.send(out) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    out = back;
                    let since = *waited_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > Duration::from_secs(10) {
                        self.producer
                            .context()
                            .failed("the producer queue stays full; waiting for the broker");
                        waited_since = Some(Instant::now());
                    }
                    self.producer.poll(Duration::from_millis(50));
                }
                Err((source, _)) => {
                    return Err(KafkaSinkError::Send {
                        topic: record.topic.to_string(),
                        source,
                    });
                }
            }
        }
    }

    /// Serves delivery callbacks without blocking.
    pub fn poll(&self) {
        self.producer.poll(Duration::ZERO);
    }

    /// Records queued or in flight, not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        usize::try_from(self.producer.in_flight_count()).unwrap_or(0)
    }

    /// Waits up to `timeout` for every queued record to be acknowledged; true when none is left.
    pub fn flush(&self, timeout: Duration) -> bool {
        self.producer.flush(timeout).is_ok() && self.in_flight() == 0
    }

    /// Records the broker finally refused since the producer started.
    pub fn delivery_failures(&self) -> u64 {
        self.producer.context().delivery_failures()
    }
}
