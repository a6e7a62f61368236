//! # cohort-jobs: the jobs and the `cohort` binary
//!
//! Jobs wire `cohort-pipeline`'s sources and operators to `cohort-sinks`' lake and serving tables. This
//! crate owns configuration ([`config`]), the ingest job ([`ingest_job`]), SQL over the lake
//! ([`query`]), cluster mode ([`cluster`]), the HTTP API over the serving database ([`http`]),
//! converters from other systems' exports into cohort events ([`import`]) and the text the command
//! line prints ([`summary`]). The binary in `main.rs` only parses arguments and calls in here, so
//! tests and benchmarks drive the same code.

pub mod cluster;
pub mod compact;
pub mod config;
mod csv_line;
pub mod forecast;
pub mod http;
pub mod import;
pub mod ingest_job;
pub mod jsonl_out;
pub mod kafka_outputs;
pub mod lake_replay;
pub mod moderation;
pub mod privacy;
pub mod produce;
pub mod query;
pub mod recs;
pub mod summary;
