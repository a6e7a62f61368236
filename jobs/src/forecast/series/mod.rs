//! # Hourly activity series
//!
//! The forecasts' input: for each (community, channel, [`Metric`]) one value per UTC hour, built
//! event by event by a [`SeriesBuilder`]. Late events within the lateness correct hours that are
//! still open; an hour closes once the watermark (largest event time seen minus the lateness)
//! passes its end, and an event for a closed hour is returned as [`TooLate`]. Because every event
//! within the lateness lands in an open hour, the closed hours equal those computed from the
//! sorted events at once ([`batch`]); the tests check that, and that the forecasts match too.

pub mod builder;
pub mod collect;
pub mod contribution;
pub mod hour;
pub mod metric;
#[cfg(test)]
mod tests;

pub use builder::{ClosedHour, SeriesBuilder, TooLate};
pub use collect::{Series, SeriesSet, batch, incremental};
pub use contribution::{Amount, Contribution, contributions};
pub use hour::{HOUR_MS, hour_of};
pub use metric::{Metric, SeriesKey, UnknownMetric};
