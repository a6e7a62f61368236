//! # cohort-sinks: where results become visible
//!
//! Implements the `cohort-pipeline` checkpoint traits:
//!
//! - [`lake::ParquetEpochWriter`] (an `EpochWriter`) writes each worker's records as Parquet files under
//!   `<data-dir>/staging/`, invisible to readers;
//! - [`serving::SqliteStore`] (a `CommitStore`) records the checkpoint, the staged files and the
//!   changes of the derived serving tables (`recommendations`, `similar_items`) in one transaction of
//!   the serving database, then renames the files into the Hive-partitioned lake under
//!   `<data-dir>/lake/<table>/date=YYYY-MM-DD/hour=HH/`.
//!
//! [`kafka`] produces committed output (dead letters, later alerts) to Kafka with an idempotent
//! producer, and copies source offsets to the consumer group for lag monitoring.
//!
//! [`serving::SqliteStore::recover`] runs before a job starts: it finishes publishing files that a
//! committed transaction lists, and deletes staged files that no commit lists.

pub mod kafka;
pub mod lake;
pub mod serving;

pub use lake::{DataDirLock, LakeLayout, ParquetEpochWriter};
pub use serving::{PostgresMirror, SqliteStore};
