//! Why a reference run produced no result.

use std::path::PathBuf;

/// Why a reference run produced no result.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// cohort's configuration (embedded defaults and `COHORT__*` variables) did not load.
    #[error(transparent)]
    Config(#[from] cohort_jobs::config::ConfigError),
    /// The input could not be opened.
    #[error(transparent)]
    Source(#[from] cohort_pipeline::source::SourceError),
    /// Timely failed to start, or a worker panicked (a read error of the source panics the worker).
    #[error("a worker failed: {0}")]
    Worker(String),
    /// Some records were rejected by the decoder or dropped as late: the peers count every line, so
    /// the result would not be comparable.
    #[error(
        "{rejected} of {read} records were rejected or late (see `cohort run` dead letters); the peers \
         count every line, so no result is written"
    )]
    Rejected {
        /// Dead letters (invalid or late records).
        rejected: u64,
        /// Records read.
        read: u64,
    },
    /// A result row ended with a multiplicity other than 0 or 1, or a key appeared with two counts:
    /// the dataflow's output did not consolidate to one count per key.
    #[error("inconsistent result: key {key} {problem}")]
    Inconsistent {
        /// The key, as its CSV fields.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The result could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The output path.
        path: PathBuf,
        /// The cause.
        source: csv::Error,
    },
}
