//! Forecast quality on M4-format data: reading the files ([`csv`]), the competition's measures
//! ([`metrics`]) and benchmarks ([`benchmarks`]), and the evaluation behind
//! `cohort eval forecast` ([`eval`], [`table`]).

pub mod benchmarks;
pub mod csv;
pub mod eval;
pub mod metrics;
pub mod table;
