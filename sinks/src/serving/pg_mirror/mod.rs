//! The PostgreSQL serving backend (`serving.backend = "postgres"`): a copy of the serving tables
//! (`recommendations`, `similar_items`, `trending_items`, `forecasts`, `alerts`,
//! `erased_members`) and of `checkpoints` in PostgreSQL, for backends that read a production
//! database rather than a file on the pipeline's disk.
//!
//! **Why a mirror of SQLite and not a second store.** The serving database also lists the lake's
//! committed Parquet files, and that list must live beside the lake: a commit stages files, records
//! them, then renames them, and recovery after a crash finishes or discards the renames from the
//! list. So the data directory keeps its SQLite database as the commit log, and every commit is
//! then copied to PostgreSQL in one PostgreSQL transaction: the rows the commit touched (replaced by
//! their state in SQLite, so the rules of which alert state or forecast wins run once), and the
//! checkpoint row with the source offsets. A PostgreSQL checkpoint id at or past the commit's means
//! the commit is there already, so a retry after a lost acknowledgement writes nothing twice. A
//! crash between the two commits leaves PostgreSQL one commit behind SQLite; opening the mirror
//! compares the two and copies the whole serving state over in one transaction when they differ.
//!
//! While PostgreSQL is unavailable the commit waits and retries ([`retry`]), so the pipeline holds
//! its progress back and loses nothing.

mod copy_text;
mod replicate;
mod retry;
mod schema;
mod touched;

use std::time::Duration;

use postgres::{Client, NoTls};
use rusqlite::Connection;

pub use copy_text::CopyError;
pub(crate) use touched::Touched;

use self::retry::{Backoff, is_transient};

/// How long connecting may take before it counts as a failed attempt.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A failure of the PostgreSQL mirror that waiting would not mend.
#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    /// The connection URL does not parse.
    #[error("serving.postgres_url is not a PostgreSQL connection URL or key=value string: {0}")]
    Url(postgres::Error),
    /// PostgreSQL rejected a statement.
    #[error("PostgreSQL serving database {target}: {source}")]
    Sql {
        /// Host, port and database (never the password).
        target: String,
        /// The cause.
        source: postgres::Error,
    },
    /// The SQLite serving tables could not be read.
    #[error("reading the SQLite serving tables to copy them to PostgreSQL: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A row could not be encoded for COPY.
    #[error("encoding a row for PostgreSQL: {0}")]
    Copy(#[from] CopyError),
}

/// The PostgreSQL copy of one job's serving tables.
pub struct PostgresMirror {
    config: postgres::Config,
    target: String,
    client: Option<Client>,
    job: String,
    backoff: Backoff,
}

impl std::fmt::Debug for PostgresMirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresMirror")
            .field("target", &self.target)
            .field("job", &self.job)
            .finish()
    }
}

/// One attempt's failure: worth another attempt, or not.
enum Attempt {
    Transient(String),
    Fatal(PostgresError),
}

impl From<postgres::Error> for Attempt {
    fn from(error: postgres::Error) -> Self {
        if is_transient(&error) {
            Attempt::Transient(error.to_string())
        } else {
            Attempt::Fatal(PostgresError::Sql {
                target: String::new(),
                source: error,
            })
        }
    }
}

/// Errors of SQLite, encoding or I/O: waiting does not mend them.
macro_rules! fatal_from {
    ($($error:ty),*) => {$(
        impl From<$error> for Attempt {
            fn from(error: $error) -> Self {
                Attempt::Fatal(error.into())
            }
        }
    )*};
}
fatal_from!(rusqlite::Error, CopyError);

/// Writing COPY data fails when the connection does.
impl From<std::io::Error> for Attempt {
    fn from(error: std::io::Error) -> Self {
        Attempt::Transient(error.to_string())
    }
}

impl PostgresMirror {
    /// A mirror for `job` at `url` (a `postgresql://` URL or a libpq `key=value` string). Parses
    /// only: the first use connects.
    pub fn new(url: &str, job: &str) -> Result<PostgresMirror, PostgresError> {
        let mut config: postgres::Config = url.parse().map_err(PostgresError::Url)?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.application_name("cohort");
        let target = describe_postgres(&config);
        Ok(PostgresMirror {
            config,
            target,
            client: None,
            job: job.to_string(),
            backoff: Backoff::default(),
        })
    }

    /// Where it writes: host, port and database, for messages.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Makes PostgreSQL hold what SQLite holds, copying everything over if their last checkpoints
    /// differ. Waits for PostgreSQL while it is unavailable.
    pub fn catch_up(&mut self, sqlite: &Connection) -> Result<(), PostgresError> {
        let job = self.job.clone();
        self.with_retries("catching up", |client| {
            replicate::catch_up(client, sqlite, &job)
        })
    }

    /// Copies the commit with checkpoint `checkpoint_id` (already committed to SQLite) that
    /// touched `touched`. Waits for PostgreSQL while it is unavailable.
    pub(crate) fn replicate(
        &mut self,
        sqlite: &Connection,
        checkpoint_id: i64,
        touched: &Touched,
    ) -> Result<(), PostgresError> {
        let job = self.job.clone();
        self.with_retries("copying a commit", |client| {
            replicate::commit(client, sqlite, &job, checkpoint_id, touched)
        })
    }

    /// Runs `step` on a connected, migrated client until it succeeds or fails for good.
    fn with_retries(
        &mut self,
        what: &str,
        mut step: impl FnMut(&mut Client) -> Result<(), Attempt>,
    ) -> Result<(), PostgresError> {
        loop {
            let result = match self.connected() {
                Ok(client) => step(client),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => {
                    if self.backoff.failures > 0 {
                        tracing::info!(target = %self.target, "PostgreSQL is back: {what} done");
                    }
                    self.backoff.reset();
                    return Ok(());
                }
                Err(Attempt::Transient(error)) => {
                    // The connection may be gone: start over with a new one.
                    self.client = None;
                    tracing::warn!(
                        target = %self.target,
                        attempt = self.backoff.failures + 1,
                        "PostgreSQL unavailable while {what}, holding progress back and retrying: {error}"
                    );
                    self.backoff.wait();
                }
                Err(Attempt::Fatal(error)) => {
                    self.client = None;
                    return Err(match error {
                        PostgresError::Sql { source, .. } => PostgresError::Sql {
                            target: self.target.clone(),
                            source,
                        },
                        other => other,
                    });
                }
            }
        }
    }

    /// The client, connecting and migrating first if there is none.
    fn connected(&mut self) -> Result<&mut Client, Attempt> {
        if self.client.as_ref().is_some_and(Client::is_closed) {
            self.client = None;
        }
        let client = match self.client.take() {
            Some(client) => client,
            None => {
                let mut client = self.config.connect(NoTls)?;
                schema::migrate(&mut client)?;
                replicate::prepare_session(&mut client)?;
                client
            }
        };
        Ok(self.client.insert(client))
    }
}

/// `host:port/dbname` of a connection config, for messages (never the password).
pub fn describe_postgres(config: &postgres::Config) -> String {
    use postgres::config::Host;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{db}")
}
