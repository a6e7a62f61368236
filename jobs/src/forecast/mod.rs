//! # Forecasts of hourly community activity
//!
//! One [`Forecaster`] per series (community, channel, metric): additive Holt-Winters with daily and
//! weekly cycles on a log scale, combined with seasonal naive members chosen per series on a
//! validation tail of its own history, falling back to Holt-Winters, seasonal naive, then the mean
//! for short series. It updates in O(1) per closed hour ([`Forecaster::step`]) and forecasts with
//! 80% and 95% intervals ([`Forecast`]). [`m4`] scores it on M4 data; `docs/forecast.md` explains
//! the choices.

pub mod alert_rule;
pub mod config;
pub mod count_tail;
pub mod fit;
pub mod holt_winters;
pub mod intervals;
pub mod job;
pub mod m4;
pub mod member;
pub mod model;
pub mod monitor;
pub mod nelder_mead;
pub mod plot;
pub mod plot_data;
pub mod robust;
pub mod running_mean;
pub mod seasonal_mean;
pub mod seasonal_naive;
pub mod select;
pub mod series;
pub mod transform;

pub use config::ForecastJobConfig;
pub use intervals::Forecast;
pub use member::MemberKind;
pub use model::{ForecastConfig, Forecaster};
