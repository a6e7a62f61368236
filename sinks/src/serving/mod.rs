//! Serving tables: what backend services read with plain SQL, and where checkpoints are committed.

mod derived;
mod forwarded;
mod migrations;
mod sqlite;

pub use sqlite::{Recovery, SqliteStore, StoreError};
