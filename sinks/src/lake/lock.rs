//! One writer per data directory: `cohort run` and `cohort compact` both rewrite the lake, and a
//! compaction that ran beside a commit could miss files the commit publishes or rename over files
//! it still lists. Each takes an exclusive advisory lock on `<data-dir>/cohort.lock` for as long
//! as it runs; the operating system drops it when the process ends, even by `SIGKILL`, so a crash
//! never leaves a stale lock behind. Readers (`cohort serve`, `cohort query`) take no lock.

use std::fs::File;
use std::path::{Path, PathBuf};

/// The lock file's name in the data directory.
pub const LOCK_FILE: &str = "cohort.lock";

/// The lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error(
        "{path} is held by another cohort process (a `cohort run` or `cohort compact` on this data directory); wait for it to finish, or stop it first"
    )]
    Held {
        /// The lock file.
        path: PathBuf,
    },
    /// The lock file could not be created or locked.
    #[error("locking {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Holds the data directory's lock until dropped.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    /// Takes the lock of `data_dir` (creating the directory and the lock file if needed), or
    /// fails at once when another process holds it.
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(DataDirLock { _file: file }),
            Err(rustix::io::Errno::WOULDBLOCK) => Err(LockError::Held { path }),
            Err(e) => Err(io(e.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path()).unwrap();
        let e = DataDirLock::acquire(dir.path()).unwrap_err();
        assert!(matches!(e, LockError::Held { .. }), "{e}");
        drop(first);
        DataDirLock::acquire(dir.path()).unwrap();
    }
}
