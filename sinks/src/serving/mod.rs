//! Serving tables: what backend services read with plain SQL, and where checkpoints are committed.

mod activity;
mod derived;
mod erased;
mod forwarded;
mod migrations;
mod moderation;
mod sqlite;

pub use activity::ForecastRow;
pub use sqlite::{Recovery, SqliteStore, StoreError};
