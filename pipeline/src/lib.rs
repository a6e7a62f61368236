//! # cohort-pipeline: sources, the timely runtime, checkpoints and reusable operators
//!
//! This crate sits between `cohort-schemas` (what records mean) and `cohort-sinks` (where results go).
//! It never imports either sinks or jobs: sinks implement the [`checkpoint`] traits defined here, and
//! jobs wire sources, operators and sinks into one dataflow.
//!
//! The ingest path of every job is
//!
//! ```text
//! Split (file range, generator blocks, Kafka partition)   source::Split
//!   → decode + validate + watermark               ingest::ingest        (Record::Event / Dead / Progress)
//!   → stage below the frontier, per worker        stage::stage          (EpochWriter: Parquet files)
//!   → commit on worker 0                          commit::commit        (CommitStore: checkpoint + publish)
//! ```
//!
//! Timely timestamps are event-time seconds. Each split keeps a [`watermark::Watermark`]; a worker's
//! capability follows the lowest watermark of its splits, so an epoch closes once every worker's sources
//! have moved past it. The checkpoint protocol (see [`checkpoint`]) makes restarts exact.

pub mod checkpoint;
pub mod commit;
pub mod generate;
pub mod ingest;
pub mod metrics;
pub mod prometheus;
pub mod record;
pub mod source;
pub mod stage;
pub mod watermark;

pub use checkpoint::{Checkpoint, CommitStore, EpochWriter, SinkError, SplitResume, StagedFile};
pub use metrics::Metrics;
pub use record::Record;
pub use source::SourceSpec;
