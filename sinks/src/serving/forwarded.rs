//! Which committed lake files have been forwarded to Kafka (the dead-letter and alert topics).

use std::path::PathBuf;

use rusqlite::params;

use super::{SqliteStore, StoreError};

impl SqliteStore {
    /// Published files of lake table `table` not yet forwarded, oldest commit first.
    pub fn unforwarded_files(&self, table: &str) -> Result<Vec<PathBuf>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT path FROM lake_files
                 WHERE table_name = ?1 AND published = 1
                   AND path NOT IN (SELECT path FROM kafka_forwarded)
                 ORDER BY checkpoint_id, path",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([table], |r| Ok(PathBuf::from(r.get::<_, String>(0)?)))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// Records that every record of `files` reached `topic`.
    pub fn mark_forwarded(&mut self, files: &[PathBuf], topic: &str) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sql = |source| StoreError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        for file in files {
            tx.execute(
                "INSERT OR IGNORE INTO kafka_forwarded (path, topic, forwarded_at)
                 VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                params![file.to_string_lossy(), topic],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)
    }
}
