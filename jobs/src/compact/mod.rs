//! `cohort compact`: the lake rewritten for privacy. Two passes, each optional:
//!
//! - **retention** ([`retention`]): date partitions of a table older than its
//!   `[lake.retention_days]` are dropped;
//! - **erasure** ([`erase`]): every Parquet file of every table that holds a row of a member in
//!   the `erasures` register is rewritten without those rows, and with the member's id replaced
//!   wherever a row of someone else names them ([`rewrite`] replaces each file atomically).
//!
//! Compaction takes the data directory's lock ([`DataDirLock`]), so it never runs beside a
//! `cohort run` on the same directory, and first finishes whatever a crashed run left half
//! published (committed files still in staging would otherwise reach the lake after it). It is
//! idempotent: run again, it finds nothing more to do. Files nobody erased from are not touched.

pub mod erase;
mod retention;
mod rewrite;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cohort_schemas::lake::{LakeTable, erasure_digests_from_batch};
use cohort_sinks::lake::LockError;
use cohort_sinks::serving::StoreError;
use cohort_sinks::{DataDirLock, LakeLayout, SqliteStore};
use datafusion::arrow::record_batch::RecordBatch;

use crate::lake_replay::{ReplayError, read_batches, table_files};
use erase::Eraser;

/// What to do.
#[derive(Debug, Clone, Default)]
pub struct CompactPlan {
    /// Rewrite files without the members of the `erasures` register.
    pub apply_erasures: bool,
    /// Drop partitions older than this many days, per table (none: keep everything).
    pub retention_days: Option<BTreeMap<String, u32>>,
    /// The time retention counts back from (ms since the epoch): now, outside tests.
    pub now_ms: i64,
}

/// What compaction did to one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableReport {
    /// Files replaced by a rewritten copy.
    pub files_rewritten: u64,
    /// Files removed (all their rows went, or their partition expired).
    pub files_removed: u64,
    /// Rows removed, by erasure or retention.
    pub rows_removed: u64,
    /// Values in remaining rows where an erased member's id was replaced.
    pub values_scrubbed: u64,
    /// Date partitions dropped by retention.
    pub partitions_dropped: u64,
}

/// What a compaction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactReport {
    /// Members in the erasure register (when erasures were applied).
    pub erased_members: usize,
    /// Per table that changed, by name.
    pub tables: BTreeMap<String, TableReport>,
}

/// Why compaction stopped. Files already replaced stay replaced (each replacement is whole), so
/// running it again after fixing the cause finishes the job.
#[derive(Debug, thiserror::Error)]
pub enum CompactError {
    /// Another process is writing the data directory.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The serving database could not finish an interrupted publish.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A lake file could not be read.
    #[error(transparent)]
    Read(#[from] ReplayError),
    /// A file or directory could not be written, renamed or removed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A Parquet file could not be written or its rows rebuilt.
    #[error("{path}: {message}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// There is no lake to compact.
    #[error("{0} has no lake; nothing to compact")]
    NoLake(PathBuf),
}

impl CompactError {
    fn io(path: &Path, source: std::io::Error) -> CompactError {
        CompactError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Compacts the lake of `data_dir` as `plan` says.
pub fn compact(data_dir: &Path, plan: &CompactPlan) -> Result<CompactReport, CompactError> {
    let layout = LakeLayout::new(data_dir);
    if !layout.root.is_dir() {
        return Err(CompactError::NoLake(data_dir.to_path_buf()));
    }
    let _lock = DataDirLock::acquire(data_dir)?;
    let db = data_dir.join("serving.db");
    if db.is_file() {
        SqliteStore::open(&db, crate::ingest_job::JOB)?.recover(&layout)?;
    }
    rewrite::remove_leftovers(&layout.root)?;
    let mut report = CompactReport::default();
    if let Some(days) = &plan.retention_days {
        for (table, days) in days {
            let entry = report.tables.entry(table.clone()).or_default();
            retention::apply(&layout.root, table, *days, plan.now_ms, entry)?;
        }
    }
    if plan.apply_erasures {
        let eraser = register(&layout.root)?;
        report.erased_members = eraser.len();
        if !eraser.is_empty() {
            for table in LakeTable::all().filter(|t| *t != LakeTable::Erasures) {
                let entry = report.tables.entry(table.name().to_string()).or_default();
                erase_table(&layout.root, table, &eraser, entry)?;
            }
        }
    }
    report.tables.retain(|_, t| *t != TableReport::default());
    Ok(report)
}

/// The erasure register: every digest in the `erasures` table.
fn register(lake_root: &Path) -> Result<Eraser, CompactError> {
    let mut digests = Vec::new();
    for file in table_files(lake_root, LakeTable::Erasures.name(), None)? {
        read_batches(&file, |batch| {
            digests.extend(erasure_digests_from_batch(batch).map_err(|e| e.to_string())?);
            Ok(())
        })?;
    }
    Ok(Eraser::new(digests))
}

/// Rewrites every file of `table` that names an erased member.
fn erase_table(
    lake_root: &Path,
    table: LakeTable,
    eraser: &Eraser,
    report: &mut TableReport,
) -> Result<(), CompactError> {
    let table_dir = lake_root.join(table.name());
    for file in table_files(lake_root, table.name(), None)? {
        let mut batches: Vec<RecordBatch> = Vec::new();
        let mut changed = erase::BatchErasure::default();
        let mut schema = None;
        read_batches(&file, |batch| {
            schema.get_or_insert_with(|| batch.schema());
            match eraser.batch(batch).map_err(|e| e.to_string())? {
                Some((kept, done)) => {
                    changed.rows_removed += done.rows_removed;
                    changed.values_scrubbed += done.values_scrubbed;
                    batches.push(kept);
                }
                None => batches.push(batch.clone()),
            }
            Ok(())
        })?;
        if changed == erase::BatchErasure::default() {
            continue;
        }
        let schema = schema.unwrap_or_else(|| table.schema());
        rewrite::replace(&file, schema, &batches, &table_dir)?;
        report.rows_removed += changed.rows_removed;
        report.values_scrubbed += changed.values_scrubbed;
        if batches.iter().all(|b| b.num_rows() == 0) {
            report.files_removed += 1;
        } else {
            report.files_rewritten += 1;
        }
    }
    Ok(())
}
