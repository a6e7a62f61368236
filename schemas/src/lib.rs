//! # cohort-schemas: the types every other cohort crate speaks
//!
//! cohort is layered `schemas` → `pipeline` → `sinks` → `jobs`. This crate is the leaf: it knows nothing
//! of Kafka, timely or storage. It defines
//!
//! - [`event`]: the events members generate, their JSON wire format (documented in `docs/events.md`,
//!   with JSON Schema files in `schemas/json/`), and the [`Decoder`] that turns bytes into an [`Event`]
//!   or a [`Rejection`] with a stable [`Reason`] code;
//! - [`lake`]: the Arrow schema of every lake table and the conversions between events and Arrow
//!   record batches, which the Parquet sink writes and the query command reads;
//! - [`activity`] and [`moderation`]: what the forecast and moderation jobs output;
//! - [`time`]: event-time parsing and the Hive partition of an instant.
//!
//! Everything here is deterministic and free of I/O so that sources, jobs and tests can share it.

pub mod activity;
pub mod event;
pub mod hex;
pub mod json_schema;
pub mod lake;
pub mod moderation;
pub mod reject;
pub mod serving;
pub mod time;

pub use event::{Decoder, Event, Kind, Limits, Payload};
pub use reject::{Reason, Rejection};
