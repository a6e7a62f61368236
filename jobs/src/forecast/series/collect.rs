//! Closed hours gathered into one gap-free vector per series, the form the model takes.

use std::collections::BTreeMap;

use cohort_schemas::event::Event;

use super::builder::{ClosedHour, SeriesBuilder, TooLate};
use super::hour::HOUR_MS;
use super::metric::SeriesKey;
use crate::forecast::{Forecast, ForecastConfig, Forecaster};

/// One series' closed hours: the first hour's start and one value per hour from there, no gaps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Start (ms since the epoch) of the hour `values[0]` belongs to.
    pub start_ms: i64,
    /// One value per consecutive hour.
    pub values: Vec<f64>,
}

impl Series {
    /// Start of the hour after the last closed one: where a forecast's first hour begins.
    pub fn end_ms(&self) -> i64 {
        self.start_ms + HOUR_MS * i64::try_from(self.values.len()).unwrap_or(i64::MAX / HOUR_MS)
    }

    /// The model's 48-hour (or `horizon`) forecast from this history; `None` for an empty series.
    pub fn forecast(&self, config: &ForecastConfig, horizon: usize) -> Option<Forecast> {
        Forecaster::fit(&self.values, config).map(|f| f.forecast(horizon))
    }
}

/// Every series' closed hours, keyed by series.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeriesSet {
    /// The series.
    pub series: BTreeMap<SeriesKey, Series>,
}

impl SeriesSet {
    /// Appends closed hours. The builder emits each series' hours in order without gaps, so
    /// appending keeps every vector aligned with its `start_ms`.
    pub fn extend(&mut self, closed: impl IntoIterator<Item = ClosedHour>) {
        for c in closed {
            let s = self.series.entry(c.key).or_insert_with(|| Series {
                start_ms: c.hour_ms,
                values: Vec::new(),
            });
            s.values.push(c.value as f64);
        }
    }

    /// The series of `key`, if it had any event.
    pub fn get(&self, key: &SeriesKey) -> Option<&Series> {
        self.series.get(key)
    }
}

/// The closed hours of `events` computed at once: sorted by time, fed to a builder with
/// `lateness_ms`, then (if `close_all`) every open hour closed as at the end of a bounded input.
/// The reference the incremental path must equal; nothing is too late in sorted input.
pub fn batch(events: &[Event], lateness_ms: i64, close_all: bool) -> Vec<ClosedHour> {
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by_key(|e| e.ts_ms);
    let mut builder = SeriesBuilder::new(lateness_ms);
    let mut out = Vec::new();
    for e in sorted {
        // Sorted input never goes back in time, so no event can be too late here.
        out.extend(builder.push(e).unwrap_or_default());
    }
    if close_all {
        out.extend(builder.finish());
    }
    out
}

/// Feeds `events` in the given order, returning the closed hours and the events that came too late.
pub fn incremental(
    events: &[Event],
    lateness_ms: i64,
    close_all: bool,
) -> (Vec<ClosedHour>, Vec<TooLate>) {
    let mut builder = SeriesBuilder::new(lateness_ms);
    let mut out = Vec::new();
    let mut late = Vec::new();
    for e in events {
        match builder.push(e) {
            Ok(closed) => out.extend(closed),
            Err(t) => late.push(t),
        }
    }
    if close_all {
        out.extend(builder.finish());
    }
    (out, late)
}
