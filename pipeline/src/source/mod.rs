//! Where records come from, cut into splits that timely workers read independently.
//!
//! A [`Split`] is a sequence of raw records with stable positions: a byte range of a JSON Lines file, a
//! whole gzip file, or the generator's blocks that belong to one worker. Positions are what checkpoints
//! store, so a split can be re-opened at any committed position and read on as if never stopped.

mod file;
mod generated;
pub mod kafka;

use std::path::PathBuf;

pub use file::{FileSplit, plan_files};
pub use generated::GeneratedSplit;
pub use kafka::{KafkaConfig, KafkaPartitions};

use crate::generate::GeneratorConfig;

/// An I/O problem with a source (the records themselves never cause one: bad records are dead letters).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The input path holds no JSON Lines files.
    #[error("{0} holds no .jsonl, .json, .ndjson or .gz files")]
    Empty(PathBuf),
    /// Kafka could not be set up (a broker outage is waited out, not an error).
    #[error(transparent)]
    Kafka(#[from] kafka::KafkaSourceError),
}

/// What a split's `read` hands each record to: its position, its bytes, and its key where the source
/// has keys (Kafka).
pub type RecordFn<'a> = dyn FnMut(u64, &[u8], Option<&[u8]>) + 'a;

/// A sequence of raw records that one worker reads in order.
pub trait Split {
    /// Stable id under which checkpoints store this split's position.
    fn id(&self) -> &str;
    /// What dead letters from this split name as their `source`.
    fn label(&self) -> &str;
    /// Continues reading at `position` (a value previously passed to the `read` callback, or the
    /// position after the last record).
    fn seek(&mut self, position: u64) -> Result<(), SourceError>;
    /// Reads up to `max` records without blocking, calling `f(position, bytes, key)` for each;
    /// returns false once the split is exhausted (an unbounded split never is).
    fn read(&mut self, max: usize, f: &mut RecordFn<'_>) -> Result<bool, SourceError>;
    /// The position of the next record.
    fn position(&self) -> u64;
    /// Whether the split has delivered nothing for a while, so that its event time should stop
    /// holding the worker's progress back (Kafka partitions without traffic). Bounded files never are.
    fn idle(&self) -> bool {
        false
    }

    /// Whether the split has read what its source held when it was opened (what readiness of
    /// `cohort run --http` waits for). Files and the generator are read without waiting, so a read
    /// that returns nothing means they have; a Kafka partition compares its position with the end
    /// offset it had when it was opened.
    fn caught_up(&self) -> bool {
        true
    }

    /// How many records the source holds beyond the split's position, when it can tell without
    /// asking anyone (`/metrics`' consumer lag). Files and the generator do not say.
    fn lag(&self) -> Option<u64> {
        None
    }
}

/// Finds splits that appear while running (partitions added to a Kafka topic).
pub trait Discover {
    /// Splits that appeared since the last call; also the place to serve client callbacks.
    fn discover(&mut self) -> Vec<Box<dyn Split>>;
    /// Whether splits may still appear (false for a bounded run: it ends with its splits).
    fn grows(&self) -> bool;
}

impl Discover for KafkaPartitions {
    fn discover(&mut self) -> Vec<Box<dyn Split>> {
        KafkaPartitions::discover(self)
    }

    fn grows(&self) -> bool {
        !self.is_bounded()
    }
}

/// The splits one worker reads, and where to find more.
pub struct WorkerSplits {
    /// The splits known at start.
    pub splits: Vec<Box<dyn Split>>,
    /// Set for sources that grow while running.
    pub discovery: Option<Box<dyn Discover>>,
}

/// Which source a run reads.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceSpec {
    /// JSON Lines, plain or gzip, one file or a directory of files.
    File {
        /// The file or directory.
        path: PathBuf,
    },
    /// The built-in traffic generator.
    Generate(GeneratorConfig),
    /// Kafka event topics, one per kind.
    Kafka(KafkaConfig),
}

impl SourceSpec {
    /// The splits worker `index` of `peers` reads. Every split of the source is read by exactly one
    /// worker, and the assignment is the same on every run with the same worker count. Kafka splits
    /// connect to the broker (waiting out an outage).
    pub fn splits_for(&self, index: usize, peers: usize) -> Result<WorkerSplits, SourceError> {
        let splits: Vec<Box<dyn Split>> = match self {
            SourceSpec::File { path } => plan_files(path, peers)?
                .into_iter()
                .enumerate()
                .filter(|(i, _)| i % peers == index)
                .map(|(_, s)| Box::new(s) as Box<dyn Split>)
                .collect(),
            SourceSpec::Generate(config) => {
                let split: Box<dyn Split> =
                    Box::new(GeneratedSplit::new(config.clone(), index, peers));
                vec![split]
            }
            SourceSpec::Kafka(config) => {
                let (partitions, splits) = KafkaPartitions::open(config, index, peers)?;
                return Ok(WorkerSplits {
                    splits,
                    discovery: Some(Box::new(partitions)),
                });
            }
        };
        Ok(WorkerSplits {
            splits,
            discovery: None,
        })
    }

    /// Whether the source ends by itself (files, the generator, a Kafka run with
    /// `exit_when_caught_up`).
    pub fn is_bounded(&self) -> bool {
        match self {
            SourceSpec::Kafka(k) => k.exit_when_caught_up,
            SourceSpec::File { .. } | SourceSpec::Generate(_) => true,
        }
    }

    /// A short description for logs and summaries.
    pub fn describe(&self) -> String {
        match self {
            SourceSpec::File { path } => format!("file {}", path.display()),
            SourceSpec::Generate(c) => format!("generator ({} events, seed {})", c.events, c.seed),
            SourceSpec::Kafka(k) => format!("kafka {} ({}*)", k.brokers, k.topic_prefix),
        }
    }
}
