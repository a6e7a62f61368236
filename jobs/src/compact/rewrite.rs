//! Replacing one lake file atomically: the new content goes to a temporary file in the same
//! directory, is synced, and is renamed over the old file, so a reader (or a crash) sees either
//! the old file or the new one, never a half-written one, and rows not meant to go never do.

use std::fs::File;
use std::path::{Path, PathBuf};

use cohort_sinks::lake::writer_properties;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;

use super::CompactError;

/// The temporary file's suffix. Readers list `*.parquet` only, so they never see it; one left by
/// a crash is removed by the next compaction ([`remove_leftovers`]).
const TMP_SUFFIX: &str = ".compact-tmp";

/// Replaces the Parquet file at `path` by `batches` (of `schema`); a file left without rows is
/// removed instead, with its partition directories if they end up empty.
pub(super) fn replace(
    path: &Path,
    schema: SchemaRef,
    batches: &[RecordBatch],
    table_dir: &Path,
) -> Result<(), CompactError> {
    if batches.iter().all(|b| b.num_rows() == 0) {
        std::fs::remove_file(path).map_err(|e| CompactError::io(path, e))?;
        remove_empty_parents(path, table_dir);
        return sync_dir(path);
    }
    let tmp = tmp_path(path);
    let parquet = |e: datafusion::parquet::errors::ParquetError| CompactError::Parquet {
        path: tmp.clone(),
        message: e.to_string(),
    };
    let file = File::create(&tmp).map_err(|e| CompactError::io(&tmp, e))?;
    let mut writer =
        ArrowWriter::try_new(file, schema, Some(writer_properties())).map_err(parquet)?;
    for batch in batches.iter().filter(|b| b.num_rows() > 0) {
        writer.write(batch).map_err(parquet)?;
    }
    let file = writer.into_inner().map_err(parquet)?;
    file.sync_all().map_err(|e| CompactError::io(&tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| CompactError::io(path, e))?;
    sync_dir(path)
}

/// Removes temporary files an interrupted compaction left under `dir`.
pub(super) fn remove_leftovers(dir: &Path) -> Result<(), CompactError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(CompactError::io(dir, e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| CompactError::io(dir, e))?.path();
        if path.is_dir() {
            remove_leftovers(&path)?;
        } else if path.to_string_lossy().ends_with(TMP_SUFFIX) {
            std::fs::remove_file(&path).map_err(|e| CompactError::io(&path, e))?;
        }
    }
    Ok(())
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(TMP_SUFFIX);
    PathBuf::from(name)
}

/// Removes the directories between `path` and `stop` (exclusive) that are now empty.
pub(super) fn remove_empty_parents(path: &Path, stop: &Path) {
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| *d != stop && d.starts_with(stop)) {
        // Fails, harmlessly, on a directory that still has files.
        if std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// Makes a rename or removal in `path`'s directory durable.
fn sync_dir(path: &Path) -> Result<(), CompactError> {
    let Some(dir) = path.parent().filter(|d| d.exists()) else {
        return Ok(());
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| CompactError::io(dir, e))
}
