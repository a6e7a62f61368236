//! Reading the committed lake back at start-up: the jobs that keep state (recommendations,
//! forecasts) rebuild it from the lake rather than from snapshots, because the lake already holds
//! exactly what the last checkpoint committed.

use std::fs::File;
use std::path::{Path, PathBuf};

use cohort_schemas::time::days_from_civil;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

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

/// The published Parquet files of `table` under `lake_root` whose partition (`date=…/hour=…`)
/// starts at or after `from_ms` (every file when `None`), sorted by path.
pub fn table_files(
    lake_root: &Path,
    table: &str,
    from_ms: Option<i64>,
) -> Result<Vec<PathBuf>, ReplayError> {
    let mut files = Vec::new();
    parquet_files(&lake_root.join(table), &mut |path| {
        let keep = match (from_ms, partition_start_ms(&path)) {
            (Some(from), Some(start)) => start >= from,
            _ => true,
        };
        if keep {
            files.push(path);
        }
    })?;
    files.sort();
    Ok(files)
}

/// Calls `visit` with every record batch of the Parquet file at `path`.
pub fn read_batches(
    path: &Path,
    mut visit: impl FnMut(&RecordBatch) -> Result<(), String>,
) -> Result<(), ReplayError> {
    let parquet = |message: String| ReplayError::Parquet {
        path: path.to_path_buf(),
        message,
    };
    let file = File::open(path).map_err(|source| ReplayError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| parquet(e.to_string()))?;
    for batch in reader {
        let batch = batch.map_err(|e| parquet(e.to_string()))?;
        visit(&batch).map_err(parquet)?;
    }
    Ok(())
}

/// The start (ms) of the hour partition a lake file lies in, from its `date=YYYY-MM-DD/hour=HH`
/// directories; `None` for a path without them.
pub fn partition_start_ms(path: &Path) -> Option<i64> {
    let mut date = None;
    let mut hour = None;
    for part in path.iter().filter_map(|p| p.to_str()) {
        if let Some(d) = part.strip_prefix("date=") {
            let mut ymd = d.splitn(3, '-').map(str::parse::<i64>);
            date = Some((ymd.next()?.ok()?, ymd.next()?.ok()?, ymd.next()?.ok()?));
        } else if let Some(h) = part.strip_prefix("hour=") {
            hour = h.parse::<i64>().ok();
        }
    }
    let (y, m, d) = date?;
    Some((days_from_civil(y, m, d) * 24 + hour?) * 3_600_000)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_path_gives_its_hour() {
        let path = Path::new("/lake/events_chat/date=1970-01-02/hour=03/part-1.parquet");
        assert_eq!(partition_start_ms(path), Some((24 + 3) * 3_600_000));
        assert_eq!(partition_start_ms(Path::new("/lake/x.parquet")), None);
    }
}
