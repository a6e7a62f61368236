//! The recommendation job: item-item collaborative filtering, maintained incrementally.
//!
//! See `docs/recommendations.md` for the model, the dataflow and why it is built this way.

pub mod config;
pub mod dataflow;
pub mod eval;
pub mod facts;
pub mod replay;
pub mod serve;
pub mod session;

pub use config::RecsConfig;
pub use facts::{Fact, Signal, facts_of};
