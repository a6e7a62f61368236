//! Rebuilding the recommendation state after a restart: the lake holds every committed event, so
//! replaying its interaction tables through the dataflow gives back exactly the state the last
//! commit saw (the dataflow's results depend only on the set of facts, not on their order).

use std::fs::File;
use std::path::{Path, PathBuf};

use cohort_schemas::Kind;
use cohort_schemas::lake::events_from_batch;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::facts::{Fact, facts_of};

/// The event kinds whose facts the recommendation job uses.
const KINDS: [Kind; 6] = [
    Kind::View,
    Kind::Like,
    Kind::Payment,
    Kind::Chat,
    Kind::Item,
    Kind::Erasure,
];

/// A lake file that could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The file could not be listed or opened.
    #[error("replaying {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a readable Parquet file of its table.
    #[error("replaying {path}: {message}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// The facts of worker `index` of `peers`: every published lake file of the interaction tables under
/// `lake_root`, shared out by file.
pub fn lake_facts(lake_root: &Path, index: usize, peers: usize) -> Result<Vec<Fact>, ReplayError> {
    let mut files = Vec::new();
    for kind in KINDS {
        parquet_files(&lake_root.join(kind.table()), &mut |path| {
            files.push((kind, path))
        })?;
    }
    files.sort();
    let mut facts = Vec::new();
    for (kind, path) in files.into_iter().skip(index).step_by(peers.max(1)) {
        let parquet = |e: &dyn std::fmt::Display| ReplayError::Parquet {
            path: path.clone(),
            message: e.to_string(),
        };
        let file = File::open(&path).map_err(|source| ReplayError::Io {
            path: path.clone(),
            source,
        })?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(|e| parquet(&e))?;
        for batch in reader {
            let batch = batch.map_err(|e| parquet(&e))?;
            let events = events_from_batch(kind, &batch).map_err(|e| parquet(&e))?;
            facts.extend(events.iter().flat_map(facts_of));
        }
    }
    Ok(facts)
}

/// Calls `found` for every `*.parquet` file under `dir` (none when it does not exist).
fn parquet_files(dir: &Path, found: &mut dyn FnMut(PathBuf)) -> Result<(), ReplayError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(ReplayError::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    for entry in entries {
        let path = entry
            .map_err(|source| ReplayError::Io {
                path: dir.to_path_buf(),
                source,
            })?
            .path();
        if path.is_dir() {
            parquet_files(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "parquet") {
            found(path);
        }
    }
    Ok(())
}
