//! Serving tables: what backend services read with plain SQL, and where checkpoints are committed.

mod activity;
mod derived;
mod erased;
mod forwarded;
mod member_ids;
mod migrations;
mod moderation;
mod pg_mirror;
mod sqlite;

pub use activity::ForecastRow;
pub use pg_mirror::{PostgresError, PostgresMirror, describe_postgres};
pub use sqlite::{Recovery, SqliteStore, StoreError};
