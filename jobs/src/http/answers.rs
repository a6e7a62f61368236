//! Answers kept until the serving tables change.
//!
//! The serving tables change only when the pipeline commits an epoch, while backend services ask
//! for the same members and items again and again in between. So a data route's JSON answer is
//! kept, keyed by what was asked, until SQLite reports that another connection committed: a
//! repeated question then costs a hash lookup instead of a pooled connection, a blocking task and
//! a query. With the pipeline ingesting on one of two cores, that is the difference between about
//! 13,000 and the 20,000 requests/s issue 7 asks for (benches/RESULTS.md).
//!
//! **Never stale.** A request first reads the database's change counter (SQLite's
//! `PRAGMA data_version` on a connection of the cache's own, a few microseconds: it reads the
//! WAL index, no table), then looks up its answer under that *generation*. A miss reads the
//! tables after that check, so what it keeps is at least as new as the generation it is kept
//! under; a commit after the check moves the generation on, and the next request reads again.
//! An erasure is a commit like any other: the member's answers go with it.
//!
//! Only SQLite is watched. PostgreSQL has no cheap change counter, so `cohort serve --postgres`
//! reads every request (docs/http.md).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use cohort_pipeline::prometheus;
use rusqlite::{Connection, OpenFlags};

/// A kept answer: the JSON body, or `None` when the tables held nothing for the question (a 404).
pub type Answer = Option<Bytes>;

/// Bytes an empty answer is counted as, so that a flood of questions about unknown members still
/// fills the budget.
const EMPTY_ANSWER_BYTES: usize = 64;

/// The answer cache of one server.
#[derive(Debug)]
pub struct Answers {
    /// Most bytes of answers (and keys) kept; 0 turns the cache off.
    budget: usize,
    probe: Mutex<Probe>,
    kept: Mutex<Kept>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Answers of one generation.
#[derive(Debug, Default)]
struct Kept {
    generation: u64,
    bytes: usize,
    answers: HashMap<String, Answer>,
}

/// Watches the SQLite file for commits by other connections.
#[derive(Debug)]
struct Probe {
    path: Option<PathBuf>,
    conn: Option<Connection>,
    data_version: i64,
    generation: u64,
}

impl Answers {
    /// A cache of at most `budget` bytes over the SQLite database at `sqlite` (`None`: the
    /// tables are elsewhere and there is no change counter to watch, so nothing is kept).
    pub fn new(sqlite: Option<&Path>, budget: usize) -> Answers {
        Answers {
            budget,
            probe: Mutex::new(Probe {
                path: sqlite.filter(|_| budget > 0).map(Path::to_path_buf),
                conn: None,
                data_version: 0,
                generation: 0,
            }),
            kept: Mutex::new(Kept::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The tables' generation now, or `None` when it cannot be told (no SQLite file yet, the
    /// file busy, the cache off): then the request reads the tables and keeps nothing.
    pub fn generation(&self) -> Option<u64> {
        self.probe
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .generation()
    }

    /// The answer kept for `key` in `generation`, if any.
    pub fn get(&self, generation: u64, key: &str) -> Option<Answer> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let found = (kept.generation == generation)
            .then(|| kept.answers.get(key).cloned())
            .flatten();
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Appends the cache's counters as Prometheus text to `out`.
    pub fn render(&self, out: &mut String) {
        let counters = [
            (
                "cohort_http_answer_cache_hits_total",
                "Data requests answered from the answer cache.",
                &self.hits,
            ),
            (
                "cohort_http_answer_cache_misses_total",
                "Data requests that looked in the answer cache and read the database.",
                &self.misses,
            ),
        ];
        for (name, help, counter) in counters {
            prometheus::family(out, name, "counter", help);
            prometheus::sample(out, name, "", counter.load(Ordering::Relaxed));
        }
    }

    /// Keeps `answer`, read after the check that returned `generation`. Answers of an older
    /// generation are dropped first; an answer of a generation already passed is not kept. When
    /// the budget is spent, everything is dropped and keeping starts over (the set of hot keys
    /// refills within a second at the rates this cache is for).
    pub fn keep(&self, generation: u64, key: String, answer: Answer) {
        let size = entry_size(&key, &answer);
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if generation < kept.generation || size > self.budget {
            return;
        }
        if generation > kept.generation || kept.bytes + size > self.budget {
            kept.answers.clear();
            kept.bytes = 0;
            kept.generation = generation;
        }
        let replaced = kept.answers.get(&key).map(|old| entry_size(&key, old));
        kept.bytes = kept.bytes - replaced.unwrap_or(0) + size;
        kept.answers.insert(key, answer);
    }
}

/// What an entry is charged against the budget.
fn entry_size(key: &str, answer: &Answer) -> usize {
    key.len() + answer.as_ref().map_or(EMPTY_ANSWER_BYTES, Bytes::len)
}

impl Probe {
    fn generation(&mut self) -> Option<u64> {
        let path = self.path.as_ref()?;
        if self.conn.is_none() {
            // Opening never creates the file: the pipeline does, with its schema.
            if !path.is_file() {
                return None;
            }
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .ok()?;
            // A new connection's counter starts anywhere: whatever was kept before is suspect.
            self.data_version = data_version(&conn).ok()?;
            self.generation += 1;
            self.conn = Some(conn);
            return Some(self.generation);
        }
        let conn = self.conn.as_ref()?;
        match data_version(conn) {
            Ok(version) => {
                if version != self.data_version {
                    self.data_version = version;
                    self.generation += 1;
                }
                Some(self.generation)
            }
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy =>
            {
                None
            }
            Err(_) => {
                // The file may have been replaced: open it again next time.
                self.conn = None;
                None
            }
        }
    }
}

/// SQLite's count of commits by other connections, as seen by `conn`. Its busy timeout is 0
/// (the default), so a locked file answers at once rather than stall an async worker.
fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("PRAGMA data_version")?
        .query_row([], |row| row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str) -> Answer {
        Some(Bytes::copy_from_slice(text.as_bytes()))
    }

    /// A WAL database like the pipeline's, and a writer connection beside the cache's.
    fn database(dir: &Path) -> (PathBuf, Connection) {
        let path = dir.join("serving.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER);")
            .unwrap();
        (path, writer)
    }

    #[test]
    fn a_commit_by_another_connection_moves_the_generation_and_hides_older_answers() {
        let dir = tempfile::tempdir().unwrap();
        let (path, writer) = database(dir.path());
        let answers = Answers::new(Some(&path), 1 << 20);
        let first = answers.generation().unwrap();
        answers.keep(first, "a".into(), answer("[1]"));
        assert_eq!(answers.generation(), Some(first), "nothing was committed");
        assert_eq!(answers.get(first, "a"), Some(answer("[1]")));

        writer.execute("INSERT INTO t VALUES (1)", []).unwrap();
        let second = answers.generation().unwrap();
        assert!(second > first, "a commit must move the generation");
        assert_eq!(answers.get(second, "a"), None);
        // An answer read before the commit, kept late, is refused once a newer one is kept.
        answers.keep(second, "b".into(), None);
        answers.keep(first, "a".into(), answer("[stale]"));
        assert_eq!(answers.get(second, "a"), None);
        assert_eq!(answers.get(second, "b"), Some(None));
    }

    #[test]
    fn no_file_or_no_budget_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("absent.db");
        assert_eq!(Answers::new(Some(&missing), 1 << 20).generation(), None);
        assert!(!missing.exists(), "the probe must not create the database");
        assert_eq!(Answers::new(None, 1 << 20).generation(), None);
        let (path, _writer) = database(dir.path());
        assert_eq!(Answers::new(Some(&path), 0).generation(), None);
    }

    #[test]
    fn a_spent_budget_starts_over_and_a_replaced_answer_is_charged_once() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _writer) = database(dir.path());
        let answers = Answers::new(Some(&path), 100);
        let g = answers.generation().unwrap();
        for _ in 0..10 {
            answers.keep(g, "k1".into(), answer(&"x".repeat(40)));
        }
        assert_eq!(answers.get(g, "k1"), Some(answer(&"x".repeat(40))));
        answers.keep(g, "k2".into(), answer(&"y".repeat(40)));
        assert!(answers.get(g, "k1").is_some(), "42 + 42 bytes fit in 100");
        answers.keep(g, "k3".into(), answer(&"z".repeat(40)));
        assert_eq!(
            answers.get(g, "k1"),
            None,
            "the budget was spent: start over"
        );
        assert!(answers.get(g, "k3").is_some());
        answers.keep(g, "big".into(), answer(&"w".repeat(200)));
        assert_eq!(answers.get(g, "big"), None, "larger than the whole budget");
        assert!(answers.get(g, "k3").is_some());
    }
}
