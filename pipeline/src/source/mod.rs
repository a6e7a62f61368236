//! Where records come from, cut into splits that timely workers read independently.
//!
//! A [`Split`] is a sequence of raw records with stable positions: a byte range of a JSON Lines file, a
//! whole gzip file, or the generator's blocks that belong to one worker. Positions are what checkpoints
//! store, so a split can be re-opened at any committed position and read on as if never stopped.

mod file;
mod generated;

use std::path::PathBuf;

pub use file::{FileSplit, plan_files};
pub use generated::GeneratedSplit;

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
}

/// A sequence of raw records that one worker reads in order.
pub trait Split {
    /// Stable id under which checkpoints store this split's position.
    fn id(&self) -> &str;
    /// What dead letters from this split name as their `source`.
    fn label(&self) -> &str;
    /// Continues reading at `position` (a value previously passed to the `read` callback, or the
    /// position after the last record).
    fn seek(&mut self, position: u64) -> Result<(), SourceError>;
    /// Reads up to `max` records, calling `f(position, bytes)` for each; returns false once the split is
    /// exhausted.
    fn read(&mut self, max: usize, f: &mut dyn FnMut(u64, &[u8])) -> Result<bool, SourceError>;
    /// The position of the next record.
    fn position(&self) -> u64;
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
}

impl SourceSpec {
    /// The splits worker `index` of `peers` reads. Every split of the source is read by exactly one
    /// worker, and the assignment is the same on every run with the same worker count.
    pub fn splits_for(
        &self,
        index: usize,
        peers: usize,
    ) -> Result<Vec<Box<dyn Split>>, SourceError> {
        Ok(match self {
            SourceSpec::File { path } => plan_files(path, peers)?
                .into_iter()
                .enumerate()
                .filter(|(i, _)| i % peers == index)
                .map(|(_, s)| Box::new(s) as Box<dyn Split>)
                .collect(),
            SourceSpec::Generate(config) => {
                vec![Box::new(GeneratedSplit::new(config.clone(), index, peers))]
            }
        })
    }

    /// A short description for logs and summaries.
    pub fn describe(&self) -> String {
        match self {
            SourceSpec::File { path } => format!("file {}", path.display()),
            SourceSpec::Generate(c) => format!("generator ({} events, seed {})", c.events, c.seed),
        }
    }
}
