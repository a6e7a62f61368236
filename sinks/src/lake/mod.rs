//! The Parquet lake: layout on disk, the staging writer, and the data directory's writer lock.

mod lock;
mod writer;

use std::path::{Path, PathBuf};

pub use lock::{DataDirLock, LOCK_FILE, LockError};
pub use writer::{ParquetEpochWriter, writer_properties};

/// Where the lake and its staging area live under a data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeLayout {
    /// `<data-dir>/lake`: what readers query.
    pub root: PathBuf,
    /// `<data-dir>/staging`: files written but not yet committed; never read by queries.
    pub staging: PathBuf,
}

impl LakeLayout {
    /// The layout under `data_dir`.
    pub fn new(data_dir: &Path) -> Self {
        LakeLayout {
            root: data_dir.join("lake"),
            staging: data_dir.join("staging"),
        }
    }

    /// The directory of one table.
    pub fn table_dir(&self, table: &str) -> PathBuf {
        self.root.join(table)
    }
}
