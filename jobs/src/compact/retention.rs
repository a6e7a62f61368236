//! Retention: whole date partitions of a lake table older than its `[lake.retention_days]` go.
//!
//! A partition is dated by event time (`date=YYYY-MM-DD`), so retention counts from when things
//! happened, not from when cohort wrote them: with 30 days, the partition of a day goes once that
//! day lies more than 30 whole days before today (UTC).

use std::fs::File;
use std::path::Path;

use cohort_schemas::time::days_from_civil;
use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};

use super::{CompactError, TableReport, rewrite};
use crate::lake_replay::table_files;

/// One day in milliseconds.
const DAY_MS: i64 = 86_400_000;

/// Drops the partitions of the table in `table_dir` dated before `days` days ahead of `now_ms`'s
/// day, adding what it removed to `report`.
pub(super) fn apply(
    lake_root: &Path,
    table: &str,
    days: u32,
    now_ms: i64,
    report: &mut TableReport,
) -> Result<(), CompactError> {
    let table_dir = lake_root.join(table);
    let today = now_ms.div_euclid(DAY_MS);
    let cutoff = today - i64::from(days);
    let entries = match std::fs::read_dir(&table_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(CompactError::io(&table_dir, e)),
    };
    let mut expired = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| CompactError::io(&table_dir, e))?.path();
        let day = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("date="))
            .and_then(partition_day);
        if day.is_some_and(|day| day < cutoff) && path.is_dir() {
            expired.push(path);
        }
    }
    expired.sort();
    for partition in expired {
        for file in table_files(&partition, "", None)? {
            report.rows_removed += rows_of(&file)?;
            report.files_removed += 1;
        }
        std::fs::remove_dir_all(&partition).map_err(|e| CompactError::io(&partition, e))?;
        report.partitions_dropped += 1;
        rewrite::remove_empty_parents(&partition, &table_dir);
    }
    Ok(())
}

/// The day number (days since 1970-01-01) of a `YYYY-MM-DD` partition value.
fn partition_day(date: &str) -> Option<i64> {
    let mut ymd = date.splitn(3, '-').map(str::parse::<i64>);
    let (y, m, d) = (ymd.next()?.ok()?, ymd.next()?.ok()?, ymd.next()?.ok()?);
    Some(days_from_civil(y, m, d))
}

/// The row count of a Parquet file, from its footer.
fn rows_of(path: &Path) -> Result<u64, CompactError> {
    let file = File::open(path).map_err(|e| CompactError::io(path, e))?;
    let reader = SerializedFileReader::new(file).map_err(|e| CompactError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(u64::try_from(reader.metadata().file_metadata().num_rows()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_dates_parse_and_bad_ones_do_not() {
        assert_eq!(partition_day("1970-01-02"), Some(1));
        assert_eq!(partition_day("2026-x-01"), None);
        assert_eq!(partition_day("2026-01"), None);
    }
}
