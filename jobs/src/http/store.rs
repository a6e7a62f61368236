//! Read-only access to the serving database: a few pooled SQLite connections opened with
//! `SQLITE_OPEN_READ_ONLY`, so the API can never change what the pipeline wrote, and reads run
//! beside a pipeline writing the same file (WAL mode lets readers and one writer proceed together).
//!
//! The database may not exist yet when the server starts (no run has written it): every request
//! then answers 503, and the first request after it appears opens it. Opening never creates it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// Connections kept open for reuse, and the most reads that run at once: `routes::read` waits for
/// one of them rather than have more opened, because opening a connection costs far more than a
/// point read (with 32 clients and 8 pooled connections, opening the other 24 per request held the
/// recommendations route to about 10,000 requests/s on 2 cores; benches/RESULTS.md).
pub const POOL_SIZE: usize = 8;

/// How long a read waits for a writer's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A failure to read the serving database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database file does not exist.
    #[error("the serving database {0} does not exist")]
    Missing(PathBuf),
    /// A serving table is missing (an empty or foreign database, or an older schema).
    #[error("the serving database has no table {table}")]
    MissingTable {
        /// The table.
        table: String,
    },
    /// SQLite refused.
    #[error("serving database {path}: {source}")]
    Sql {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The blocking task running the query failed.
    #[error("query task failed: {0}")]
    Task(String),
}

impl DbError {
    /// What a client is told: no file system paths, no SQL.
    pub fn public_message(&self) -> String {
        match self {
            DbError::Missing(_) => {
                "the serving database does not exist yet: no `cohort run` has written this data directory".to_string()
            }
            DbError::MissingTable { table } => format!(
                "the serving database has no table `{table}`: it was not written by this version of cohort"
            ),
            DbError::Sql { .. } | DbError::Task(_) => {
                "reading the serving database failed (see the server's log)".to_string()
            }
        }
    }
}

/// The serving database of one data directory, read-only.
#[derive(Debug)]
pub struct ServingDb {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ServingDb {
    /// The database at `path` (not opened until first used).
    pub fn new(path: &Path) -> ServingDb {
        ServingDb {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Its file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `read` on a pooled connection. Blocking: call from a blocking task.
    pub fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, DbError> {
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => self.open()?,
        };
        let result = read(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < POOL_SIZE {
            idle.push(conn);
        }
        drop(idle);
        result.map_err(|e| self.classify(e))
    }

    fn open(&self) -> Result<Connection, DbError> {
        if !self.path.is_file() {
            return Err(DbError::Missing(self.path.clone()));
        }
        let sql = |source| DbError::Sql {
            path: self.path.clone(),
            source,
        };
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        Ok(conn)
    }

    /// A missing table is its own error (503), anything else is SQLite's (500).
    fn classify(&self, e: rusqlite::Error) -> DbError {
        if let rusqlite::Error::SqliteFailure(_, Some(message)) = &e
            && let Some(table) = message.strip_prefix("no such table: ")
        {
            return DbError::MissingTable {
                table: table.to_string(),
            };
        }
        DbError::Sql {
            path: self.path.clone(),
            source: e,
        }
    }
}
