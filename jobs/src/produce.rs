//! `cohort produce`: loads a JSON Lines file (for example from `cohort generate`) into the event
//! topics, one topic per kind, keyed by `community_id` so a community's events share a partition.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cohort_pipeline::source::KafkaConfig;
use cohort_pipeline::source::kafka::topic_key_of_kind;
use cohort_sinks::kafka::{KafkaProducer, KafkaSinkError, OutRecord};

/// How long the end of a load waits for the broker to acknowledge everything.
const FINAL_FLUSH: Duration = Duration::from_secs(120);

/// Why a load failed.
#[derive(Debug, thiserror::Error)]
pub enum ProduceError {
    /// The input could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The producer failed.
    #[error(transparent)]
    Kafka(#[from] KafkaSinkError),
    /// Records were not acknowledged.
    #[error("{0} records were not acknowledged by the broker")]
    Unacknowledged(u64),
}

/// What a load did.
#[derive(Debug, Clone, Default)]
pub struct ProduceReport {
    /// Records produced (acknowledged).
    pub records: u64,
    /// Lines whose kind could not be read; produced to the views topic unkeyed, where the pipeline
    /// dead-letters them with the reason.
    pub unroutable: u64,
    /// Records per topic.
    pub per_topic: BTreeMap<String, u64>,
    /// Wall time, including the final acknowledgement wait.
    pub elapsed: Duration,
}

/// The two fields a line is routed by; everything else is left to the pipeline's validation.
#[derive(serde::Deserialize)]
struct Route<'a> {
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    community_id: Option<Cow<'a, str>>,
}

/// Produces every non-empty line of `input` (plain or `.gz`). `progress(bytes_read, records)` is called
/// every few thousand records.
pub fn produce(
    config: &KafkaConfig,
    input: &Path,
    mut progress: impl FnMut(u64, u64),
) -> Result<ProduceReport, ProduceError> {
    let started = Instant::now();
    let read_error = |source| ProduceError::Read {
        path: input.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(input).map_err(read_error)?;
    let counted = CountingReader {
        inner: file,
        bytes: 0,
    };
    let mut reader: Box<dyn CountedRead> = if input.extension().is_some_and(|e| e == "gz") {
        Box::new(std::io::BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(std::io::BufReader::new(counted)),
        ))
    } else {
        Box::new(std::io::BufReader::with_capacity(1 << 20, counted))
    };
    let producer = KafkaProducer::new(config, "produce")?;
    let topics: BTreeMap<&str, String> = cohort_pipeline::source::kafka::TOPIC_KEYS
        .iter()
        .map(|k| (*k, config.topic(k)))
        .collect();
    let fallback = config.topic("views");
    let mut report = ProduceReport::default();
    let mut line = Vec::with_capacity(4096);
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(read_error)?;
        if n == 0 {
            break;
        }
        let record = line.strip_suffix(b"\n").unwrap_or(&line);
        let record = record.strip_suffix(b"\r").unwrap_or(record);
        if record.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let route = serde_json::from_slice::<Route<'_>>(record).ok();
        let topic = route
            .as_ref()
            .and_then(|r| r.kind.as_deref())
            .and_then(topic_key_of_kind)
            .and_then(|key| topics.get(key));
        let topic = match topic {
            Some(t) => t,
            None => {
                report.unroutable += 1;
                &fallback
            }
        };
        let key = route.as_ref().and_then(|r| r.community_id.as_deref());
        producer.send(OutRecord {
            topic,
            key: key.map(str::as_bytes),
            payload: record,
            headers: &[],
        })?;
        report.records += 1;
        *report.per_topic.entry(topic.clone()).or_insert(0) += 1;
        if report.records.is_multiple_of(4096) {
            producer.poll();
            progress(reader.bytes_read(), report.records);
        }
    }
    progress(reader.bytes_read(), report.records);
    if !producer.flush(FINAL_FLUSH) {
        return Err(ProduceError::Unacknowledged(producer.in_flight() as u64));
    }
    let failed = producer.delivery_failures();
    if failed > 0 {
        return Err(ProduceError::Unacknowledged(failed));
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// A buffered line reader that knows how many bytes of the file it has consumed (for a progress bar
/// over compressed input too).
trait CountedRead: BufRead {
    fn bytes_read(&self) -> u64;
}

struct CountingReader {
    inner: std::fs::File,
    bytes: u64,
}

impl std::io::Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

impl CountedRead for std::io::BufReader<CountingReader> {
    fn bytes_read(&self) -> u64 {
        self.get_ref().bytes
    }
}

impl CountedRead
    for std::io::BufReader<flate2::read::MultiGzDecoder<std::io::BufReader<CountingReader>>>
{
    fn bytes_read(&self) -> u64 {
        self.get_ref().get_ref().get_ref().bytes
    }
}
