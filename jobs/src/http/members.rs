//! Member ids in requests. Ingest stores pseudonyms (`docs/privacy.md`), while callers know
//! members by their raw ids: the server turns the `{m}` path segment into the stored id the way
//! ingest did, under the same key, when the serving database says its ids were pseudonymised (the
//! last checkpoint's `member_key_id`). One server binary thus serves data written either way, and
//! answers carry the ids as stored.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::privacy::{KeyMismatch, Pseudonymizer, SecretKey, key_check};

use super::queries;
use super::store::ServingDb;

/// How the server finds a member's stored id.
#[derive(Debug)]
pub struct Members {
    data_dir: PathBuf,
    pseudonymizer: Option<Pseudonymizer>,
    /// The key id the data was written with (`None`: raw ids), once a checkpoint said it. It does
    /// not change afterwards: a run under another key refuses the data directory.
    written: OnceLock<Option<String>>,
}

impl Members {
    /// Member ids of `data_dir`'s database, hashed under `key` when it was pseudonymised.
    pub fn new(data_dir: &Path, key: Option<SecretKey>) -> Members {
        Members {
            data_dir: data_dir.to_path_buf(),
            pseudonymizer: key.map(Pseudonymizer::new),
            written: OnceLock::new(),
        }
    }

    /// Checks the database now, so that a server whose key could not find any member refuses to
    /// start; a database that does not exist yet or has no checkpoint is checked on first use.
    pub fn check_at_start(&self, db: &ServingDb) -> Result<(), KeyMismatch> {
        match db.read(queries::member_key_id) {
            Ok(Some(written)) => self.learn(written),
            Ok(None) | Err(_) => Ok(()),
        }
    }

    /// Whether the database has told how its ids were written.
    pub fn known(&self) -> bool {
        self.written.get().is_some()
    }

    /// Takes what a checkpoint says the ids were written with; an error when this server's key
    /// does not fit it.
    pub fn learn(&self, written: Option<String>) -> Result<(), KeyMismatch> {
        key_check::check_serve(
            &self.data_dir,
            written.as_deref(),
            self.pseudonymizer.as_ref().map(Pseudonymizer::key_id),
        )?;
        let _ = self.written.set(written);
        Ok(())
    }

    /// The id stored for the raw member id `raw`: its pseudonym when the data was pseudonymised,
    /// else `raw` (also before any checkpoint: then nothing is stored for anyone).
    pub fn stored(&self, raw: &str) -> String {
        match (self.written.get(), &self.pseudonymizer) {
            (Some(Some(_)), Some(p)) => p.pseudonym(raw),
            _ => raw.to_string(),
        }
    }
}
