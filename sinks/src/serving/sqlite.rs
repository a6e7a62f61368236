//! The embedded serving database (SQLite, WAL mode): checkpoints, the lake's file list and the
//! derived serving tables.

use std::path::{Path, PathBuf};

use cohort_pipeline::checkpoint::{Checkpoint, CommitStore, ServingUpdates, SinkError, StagedFile};
use rusqlite::{Connection, OptionalExtension, params};

use super::migrations::MIGRATIONS;
use super::pg_mirror::{PostgresMirror, Touched};
use crate::lake::LakeLayout;

/// A failure of the serving database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused.
    #[error("serving database {path}: {source}")]
    Sql {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// A file of the lake could not be moved or removed.
    #[error("lake file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The PostgreSQL copy of the serving tables failed for good.
    #[error(transparent)]
    Postgres(#[from] super::pg_mirror::PostgresError),
    /// A stored checkpoint is not valid JSON of the expected shape.
    #[error("checkpoint {id} of job {job} is unreadable: {source}")]
    Checkpoint {
        /// Row id.
        id: i64,
        /// Job.
        job: String,
        /// The cause.
        source: serde_json::Error,
    },
}

/// What [`SqliteStore::recover`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Committed files whose rename had not happened yet, now published.
    pub published: usize,
    /// Whether an uncommitted staging area was discarded.
    pub discarded_staging: bool,
}

/// The SQLite serving database of one data directory.
pub struct SqliteStore {
    pub(super) path: PathBuf,
    pub(super) conn: Connection,
    job: String,
    /// Where each commit also writes its checkpoint as JSON, beside the Parquet files.
    manifest: Option<PathBuf>,
    /// Where each commit is copied after it commits here (`serving.backend = "postgres"`).
    mirror: Option<PostgresMirror>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` for `job`, in WAL mode, migrated.
    pub fn open(path: &Path, job: &str) -> Result<Self, StoreError> {
        let sql = |source| StoreError::Sql {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let mut conn = Connection::open(path).map_err(sql)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(sql)?;
        migrate(&mut conn).map_err(sql)?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            conn,
            job: job.to_string(),
            manifest: None,
            mirror: None,
        })
    }

    /// Also writes every committed checkpoint (source offsets included) to `path` in the lake, for
    /// readers of the lake that never open the serving database.
    pub fn with_manifest(mut self, path: PathBuf) -> Self {
        self.manifest = Some(path);
        self
    }

    /// Also copies every commit to PostgreSQL, after bringing PostgreSQL up to what this database
    /// holds (waiting for it while it is unavailable).
    pub fn with_mirror(mut self, mut mirror: PostgresMirror) -> Result<Self, StoreError> {
        mirror.catch_up(&self.conn)?;
        self.mirror = Some(mirror);
        Ok(self)
    }

    pub(super) fn sql(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sql {
            path: self.path.clone(),
            source,
        }
    }

    /// The latest committed checkpoint of this store's job.
    pub fn last_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        let row: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT id, offsets_json FROM checkpoints WHERE job = ?1 ORDER BY id DESC LIMIT 1",
                params![self.job],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        row.map(|(id, json)| {
            serde_json::from_str(&json).map_err(|source| StoreError::Checkpoint {
                id,
                job: self.job.clone(),
                source,
            })
        })
        .transpose()
    }

    /// Finishes what a crash interrupted: publishes committed files still in staging, then discards
    /// the staging area (whatever is left there was never committed).
    pub fn recover(&self, layout: &LakeLayout) -> Result<Recovery, StoreError> {
        let mut recovery = Recovery::default();
        let pending = self.unpublished()?;
        recovery.published = pending.len();
        self.publish(&pending)?;
        if layout.staging.exists() {
            std::fs::remove_dir_all(&layout.staging).map_err(|source| StoreError::Io {
                path: layout.staging.clone(),
                source,
            })?;
            recovery.discarded_staging = true;
        }
        Ok(recovery)
    }

    fn unpublished(&self) -> Result<Vec<(PathBuf, PathBuf)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT staged_path, path FROM lake_files WHERE published = 0")
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    PathBuf::from(r.get::<_, String>(0)?),
                    PathBuf::from(r.get::<_, String>(1)?),
                ))
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// Renames committed files into the lake and marks them published. Idempotent: a file already
    /// in place is left alone.
    fn publish(&self, files: &[(PathBuf, PathBuf)]) -> Result<(), StoreError> {
        for (staged, path) in files {
            if path.exists() {
                continue;
            }
            let io = |source| StoreError::Io {
                path: path.clone(),
                source,
            };
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            std::fs::rename(staged, path).map_err(io)?;
        }
        if !files.is_empty() {
            self.conn
                .execute(
                    "UPDATE lake_files SET published = 1 WHERE published = 0",
                    [],
                )
                .map_err(|e| self.sql(e))?;
        }
        Ok(())
    }

    fn commit_checkpoint(
        &mut self,
        checkpoint: &Checkpoint,
        files: &[StagedFile],
        updates: &ServingUpdates,
    ) -> Result<(), StoreError> {
        sync_staged(files)?;
        let json = serde_json::to_string(checkpoint).expect("checkpoints always serialize");
        let epoch = i64::try_from(checkpoint.epoch).unwrap_or(i64::MAX);
        let path = self.path.clone();
        let sql = |source| StoreError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        tx.execute(
            "INSERT INTO checkpoints (job, epoch, offsets_json, committed_at)
             VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            params![self.job, epoch, json],
        )
        .map_err(sql)?;
        let id = tx.last_insert_rowid();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO lake_files (path, staged_path, table_name, rows, checkpoint_id)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(sql)?;
            for f in files {
                insert
                    .execute(params![
                        f.path.to_string_lossy(),
                        f.staged.to_string_lossy(),
                        f.table,
                        f.rows as i64,
                        id
                    ])
                    .map_err(sql)?;
            }
        }
        super::derived::apply(&tx, epoch, &updates.changes).map_err(sql)?;
        super::activity::apply(&tx, epoch, &updates.activity).map_err(sql)?;
        let moderation = super::erased::without_erased(
            &tx,
            &updates.moderation,
            |a| a.member_id.as_str(),
            &updates.erased,
        )
        .map_err(sql)?;
        super::moderation::apply(&tx, epoch, &moderation).map_err(sql)?;
        let member_ids = super::erased::without_erased(
            &tx,
            &updates.member_ids,
            |(stored, _)| stored.as_str(),
            &updates.erased,
        )
        .map_err(sql)?;
        super::member_ids::apply(&tx, epoch, &member_ids).map_err(sql)?;
        super::erased::apply(&tx, epoch, &updates.erased).map_err(sql)?;
        // Keep a short history for debugging; the newest row is the one that counts.
        tx.execute(
            "DELETE FROM checkpoints WHERE job = ?1 AND id < ?2 - 100
               AND id NOT IN (SELECT checkpoint_id FROM lake_files)",
            params![self.job, id],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        let pairs: Vec<(PathBuf, PathBuf)> = files
            .iter()
            .map(|f| (f.staged.clone(), f.path.clone()))
            .collect();
        self.publish(&pairs)?;
        if let Some(manifest) = &self.manifest {
            write_manifest(manifest, &self.job, id, &json)?;
        }
        if let Some(mirror) = &mut self.mirror {
            mirror.replicate(&self.conn, id, &Touched::of(updates))?;
        }
        Ok(())
    }
}

impl CommitStore for SqliteStore {
    fn commit(
        &mut self,
        checkpoint: &Checkpoint,
        files: &[StagedFile],
        updates: &ServingUpdates,
    ) -> Result<(), SinkError> {
        self.commit_checkpoint(checkpoint, files, updates)
            .map_err(|e| SinkError::new("committing a checkpoint", e))
    }
}

/// Makes the staged files durable before the transaction that lists them: one `syncfs` of their file
/// system instead of an fsync per file (a commit can stage thousands of small files).
fn sync_staged(files: &[StagedFile]) -> Result<(), StoreError> {
    let Some(first) = files.first() else {
        return Ok(());
    };
    let io = |source| StoreError::Io {
        path: first.staged.clone(),
        source,
    };
    let file = std::fs::File::open(&first.staged).map_err(io)?;
    rustix::fs::syncfs(&file).map_err(|e| io(e.into()))
}

/// Replaces the manifest atomically (write, then rename), so a reader sees one whole checkpoint.
fn write_manifest(path: &Path, job: &str, id: i64, checkpoint: &str) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let body = format!(
        "{{\"job\":{},\"checkpoint_id\":{id},\"checkpoint\":{checkpoint}}}\n",
        serde_json::Value::from(job)
    );
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, body).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    for (version, sql) in MIGRATIONS {
        let tx = conn.transaction()?;
        let done: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
            params![version],
            |r| r.get(0),
        )?;
        if !done {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                params![version],
            )?;
        }
        tx.commit()?;
    }
    Ok(())
}
