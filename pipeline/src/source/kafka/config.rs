//! `[source] type = "kafka"`: brokers, topic names, where a first run starts, and librdkafka options.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::TOPIC_KEYS;

/// How to reach Kafka and which topics to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap servers, `host:port[,host:port...]`.
    pub brokers: String,
    /// Topics are named prefix + key (`cohort.views`, ...) unless overridden in `topics`.
    pub topic_prefix: String,
    /// Per-key topic names (`views = "prod.page_views"`); keys are those of [`TOPIC_KEYS`].
    pub topics: BTreeMap<String, String>,
    /// Where partitions without a checkpoint start: `earliest`, `latest` or an RFC 3339 time.
    pub start: StartFrom,
    /// A partition that delivered nothing for this long stops holding event-time progress back.
    pub idle_timeout_ms: u64,
    /// How often to look for partitions added to the topics while running.
    pub metadata_refresh_ms: u64,
    /// Read the end offsets at start, process up to them, commit and exit (tests, backfills, benches).
    pub exit_when_caught_up: bool,
    /// Consumer group under which offsets are copied to Kafka after each checkpoint (for lag
    /// monitoring only: cohort never reads them back, its own checkpoints are the truth).
    pub group_id: String,
    /// Where dead letters are also produced (with their reason in headers); empty to disable.
    /// Defaults to prefix + `dead_letters`.
    pub dead_letter_topic: Option<String>,
    /// Where alerts are also produced (JSON, keyed by alert id); empty to disable. Defaults to
    /// prefix + `alerts`.
    pub alert_topic: Option<String>,
    /// Passed to librdkafka as they are: `security.protocol`, `sasl.mechanisms`, `sasl.username`,
    /// `ssl.ca.location`, ... (see librdkafka's CONFIGURATION.md).
    pub librdkafka: BTreeMap<String, String>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            brokers: "127.0.0.1:9092".into(),
            topic_prefix: "cohort.".into(),
            topics: BTreeMap::new(),
            start: StartFrom::Earliest,
            idle_timeout_ms: 10_000,
            metadata_refresh_ms: 10_000,
            exit_when_caught_up: false,
            group_id: "cohort".into(),
            dead_letter_topic: None,
            alert_topic: None,
            librdkafka: BTreeMap::new(),
        }
    }
}

impl KafkaConfig {
    /// The topic of a key of [`TOPIC_KEYS`].
    pub fn topic(&self, key: &str) -> String {
        self.topics
            .get(key)
            .cloned()
            .unwrap_or_else(|| format!("{}{key}", self.topic_prefix))
    }

    /// Every event topic, in [`TOPIC_KEYS`] order.
    pub fn event_topics(&self) -> Vec<String> {
        TOPIC_KEYS.iter().map(|k| self.topic(k)).collect()
    }

    /// The dead-letter topic, unless disabled.
    pub fn dead_letter_topic(&self) -> Option<String> {
        self.output_topic(&self.dead_letter_topic, "dead_letters")
    }

    /// The alert topic, unless disabled.
    pub fn alert_topic(&self) -> Option<String> {
        self.output_topic(&self.alert_topic, "alerts")
    }

    /// An output topic: as configured, none when configured empty, else prefix + `name`.
    fn output_topic(&self, configured: &Option<String>, name: &str) -> Option<String> {
        match configured {
            Some(t) if t.is_empty() => None,
            Some(t) => Some(t.clone()),
            None => Some(format!("{}{name}", self.topic_prefix)),
        }
    }

    /// Keys of `topics` that name no topic key, to reject typos.
    pub fn unknown_topic_keys(&self) -> Vec<String> {
        self.topics
            .keys()
            .filter(|k| !TOPIC_KEYS.contains(&k.as_str()))
            .cloned()
            .collect()
    }
}

/// Where a partition with no checkpoint starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum StartFrom {
    /// The oldest retained record.
    Earliest,
    /// Only records produced after the start.
    Latest,
    /// The first record with a Kafka timestamp at or after this time (epoch ms).
    Timestamp(i64),
}

impl TryFrom<String> for StartFrom {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "earliest" => Ok(StartFrom::Earliest),
            "latest" => Ok(StartFrom::Latest),
            other => cohort_schemas::time::parse_rfc3339_ms(other)
                .map(StartFrom::Timestamp)
                .ok_or_else(|| {
                    format!("expected `earliest`, `latest` or an RFC 3339 time, got `{other}`")
                }),
        }
    }
}

impl From<StartFrom> for String {
    fn from(value: StartFrom) -> Self {
        match value {
            StartFrom::Earliest => "earliest".into(),
            StartFrom::Latest => "latest".into(),
            StartFrom::Timestamp(ms) => cohort_schemas::time::format_rfc3339_ms(ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_follow_the_prefix_unless_overridden() {
        let mut c = KafkaConfig::default();
        assert_eq!(c.topic("views"), "cohort.views");
        assert_eq!(
            c.dead_letter_topic().as_deref(),
            Some("cohort.dead_letters")
        );
        c.topic_prefix = "prod.".into();
        c.topics.insert("chat".into(), "prod.messages".into());
        c.topics.insert("chats".into(), "typo".into());
        assert_eq!(c.event_topics()[0], "prod.views");
        assert_eq!(c.event_topics()[3], "prod.messages");
        assert_eq!(c.unknown_topic_keys(), vec!["chats".to_string()]);
        c.dead_letter_topic = Some(String::new());
        assert_eq!(c.dead_letter_topic(), None);
    }

    #[test]
    fn start_parses_names_and_times() {
        let parse = |s: &str| StartFrom::try_from(s.to_string());
        assert_eq!(parse("earliest"), Ok(StartFrom::Earliest));
        assert_eq!(parse("latest"), Ok(StartFrom::Latest));
        assert_eq!(
            parse("2026-11-02T00:00:00Z"),
            Ok(StartFrom::Timestamp(1_793_577_600_000))
        );
        assert!(parse("yesterday").unwrap_err().contains("yesterday"));
        let back: String = StartFrom::Timestamp(1_793_577_600_000).into();
        assert_eq!(parse(&back), Ok(StartFrom::Timestamp(1_793_577_600_000)));
    }
}
