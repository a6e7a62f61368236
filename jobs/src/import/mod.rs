//! Converters from other systems' exports into cohort events, so that cohort can replay a real
//! community's history instead of generated traffic.
//!
//! An importer reads an export, maps what it can to the wire format of `docs/events.md` (the same
//! [`cohort_schemas::Event`] values every job reads), writes them as time-ordered JSON Lines with
//! [`crate::jsonl_out`], and reports every record it could not convert with the reason. The output
//! is an ordinary event file: `cohort run --source file` reads it, `cohort produce` puts it on Kafka.

pub mod stackexchange;
