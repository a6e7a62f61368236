//! Read-only access to the serving tables, in SQLite or PostgreSQL, through a few pooled
//! connections.
//!
//! - **SQLite** (`serving.db` of a data directory): connections opened with
//!   `SQLITE_OPEN_READ_ONLY`, so the API can never change what the pipeline wrote; reads run beside
//!   a pipeline writing the same file (WAL mode lets readers and one writer proceed together). The
//!   database may not exist yet when the server starts (no run has written it): every request then
//!   answers 503, and the first request after it appears opens it. Opening never creates it.
//! - **PostgreSQL** (`cohort serve --postgres URL`): sessions set to read-only transactions. An
//!   unreachable server answers 503 and is tried again on the next request.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::sql::{PostgresReader, ReadError, Reader};

/// Connections kept open for reuse, and the most reads that run at once: `routes::read` waits for
/// one of them rather than have more opened, because opening a connection costs far more than a
/// point read (with 32 clients and 8 pooled connections, opening the other 24 per request held the
/// recommendations route to about 10,000 requests/s on 2 cores; benches/RESULTS.md).
pub const POOL_SIZE: usize = 8;

/// How long a read waits for a writer's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long connecting to PostgreSQL may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

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
        source: ReadError,
    },
    /// PostgreSQL cannot be reached.
    #[error("PostgreSQL serving database {target} is unavailable: {source}")]
    Unavailable {
        /// Host, port and database.
        target: String,
        /// The cause.
        source: postgres::Error,
    },
    /// The PostgreSQL URL does not parse.
    #[error("--postgres is not a PostgreSQL connection URL or key=value string: {0}")]
    Url(postgres::Error),
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
            DbError::Unavailable { .. } => {
                "the serving database cannot be reached (see the server's log)".to_string()
            }
            DbError::Sql { .. } | DbError::Task(_) | DbError::Url(_) => {
                "reading the serving database failed (see the server's log)".to_string()
            }
        }
    }
}

/// Where the serving tables are read from.
#[derive(Debug)]
enum Source {
    /// A SQLite file.
    Sqlite {
        path: PathBuf,
        idle: Mutex<Vec<Connection>>,
    },
    /// A PostgreSQL database.
    Postgres {
        /// Boxed: far larger than the SQLite variant, and read only to connect.
        config: Box<postgres::Config>,
        target: String,
        idle: Mutex<Vec<PostgresReader>>,
    },
}

/// The serving tables, read-only.
#[derive(Debug)]
pub struct ServingDb {
    source: Source,
}

impl ServingDb {
    /// The SQLite database at `path` (not opened until first used).
    pub fn new(path: &Path) -> ServingDb {
        ServingDb {
            source: Source::Sqlite {
                path: path.to_path_buf(),
                idle: Mutex::new(Vec::new()),
            },
        }
    }

    /// The PostgreSQL database at `url` (not connected until first used).
    pub fn postgres(url: &str) -> Result<ServingDb, DbError> {
        let mut config: postgres::Config = url.parse().map_err(DbError::Url)?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.application_name("cohort serve");
        config.options("-c default_transaction_read_only=on");
        let target = cohort_sinks::serving::describe_postgres(&config);
        Ok(ServingDb {
            source: Source::Postgres {
                config: Box::new(config),
                target,
                idle: Mutex::new(Vec::new()),
            },
        })
    }

    /// What it reads, for messages: the file, or PostgreSQL's host, port and database.
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Sqlite { path, .. } => path.display().to_string(),
            Source::Postgres { target, .. } => format!("PostgreSQL {target}"),
        }
    }

    /// The SQLite file, when it reads one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.source {
            Source::Sqlite { path, .. } => Some(path),
            Source::Postgres { .. } => None,
        }
    }

    /// Runs `read` on a pooled connection. Blocking: call from a blocking task.
    pub fn read<T>(
        &self,
        read: impl FnOnce(&mut dyn Reader) -> Result<T, ReadError>,
    ) -> Result<T, DbError> {
        match &self.source {
            Source::Sqlite { path, idle } => {
                let result = pooled(idle, || open_sqlite(path), |conn| read(conn), |_| true)?;
                result.map_err(|e| classify(path, e))
            }
            Source::Postgres {
                config,
                target,
                idle,
            } => {
                let connect = || {
                    config
                        .connect(postgres::NoTls)
                        .map(PostgresReader::new)
                        .map_err(|source| DbError::Unavailable {
                            target: target.clone(),
                            source,
                        })
                };
                let keep = |reader: &PostgresReader| !reader.client.is_closed();
                let result = pooled(idle, connect, |reader| read(reader), keep)?;
                result.map_err(|e| classify_postgres(target, e))
            }
        }
    }
}

/// Runs `use_it` on an idle connection (or a new one from `open`), then keeps the connection for
/// reuse if there is room and `keep` says it still works.
fn pooled<C, T>(
    idle: &Mutex<Vec<C>>,
    open: impl FnOnce() -> Result<C, DbError>,
    use_it: impl FnOnce(&mut C) -> T,
    keep: impl FnOnce(&C) -> bool,
) -> Result<T, DbError> {
    let pooled = idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
    let mut conn = match pooled {
        Some(conn) => conn,
        None => open()?,
    };
    let result = use_it(&mut conn);
    if keep(&conn) {
        let mut idle = idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < POOL_SIZE {
            idle.push(conn);
        }
    }
    Ok(result)
}

fn open_sqlite(path: &Path) -> Result<Connection, DbError> {
    if !path.is_file() {
        return Err(DbError::Missing(path.to_path_buf()));
    }
    let sql = |source: rusqlite::Error| DbError::Sql {
        path: path.to_path_buf(),
        source: source.into(),
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
    Ok(conn)
}

/// A missing table is its own error (503), anything else is the database's (500).
fn classify(path: &Path, e: ReadError) -> DbError {
    if let ReadError::Sqlite(rusqlite::Error::SqliteFailure(_, Some(message))) = &e
        && let Some(table) = message.strip_prefix("no such table: ")
    {
        return DbError::MissingTable {
            table: table.to_string(),
        };
    }
    DbError::Sql {
        path: path.to_path_buf(),
        source: e,
    }
}

/// As [`classify`], for PostgreSQL: an undefined table (42P01) is a missing table, a failed
/// connection is unavailability (503).
fn classify_postgres(target: &str, e: ReadError) -> DbError {
    if let ReadError::Postgres(pg) = e {
        return match pg.as_db_error() {
            Some(db) if db.code() == &postgres::error::SqlState::UNDEFINED_TABLE => {
                // `relation "alerts" does not exist`
                let table = db.message().split('"').nth(1).unwrap_or(db.message());
                DbError::MissingTable {
                    table: table.to_string(),
                }
            }
            Some(_) => DbError::Sql {
                path: PathBuf::from(target),
                source: ReadError::Postgres(pg),
            },
            None => DbError::Unavailable {
                target: target.to_string(),
                source: pg,
            },
        };
    }
    DbError::Sql {
        path: PathBuf::from(target),
        source: e,
    }
}
