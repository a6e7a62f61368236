//! The incremental builder: open hours take events (late ones too, within the lateness), and an
//! hour closes once the watermark passes its end.

use std::collections::BTreeMap;

use cohort_schemas::event::Event;

use super::contribution::{Contribution, contributions};
use super::hour::{Accumulator, HOUR_MS, hour_of};
use super::metric::SeriesKey;

/// The final value of one series for one hour. Hours with no events between a series' first hour
/// and the watermark close with 0, so every series is gap-free as the model needs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClosedHour {
    /// The series.
    pub key: SeriesKey,
    /// Start of the hour, ms since the epoch (UTC).
    pub hour_ms: i64,
    /// The value: a count, a net sum, or a number of distinct members.
    pub value: i64,
}

/// An event whose hour had already closed when it arrived: reported to the caller (to count or
/// dead-letter), never silently dropped, because a closed hour is never revised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {event_id} at {ts_ms} ms is too late: hours up to {watermark_ms} ms are closed")]
pub struct TooLate {
    /// The event's id.
    pub event_id: String,
    /// Its event time.
    pub ts_ms: i64,
    /// The watermark when it arrived.
    pub watermark_ms: i64,
}

/// Hourly series built event by event. The watermark is the largest event time seen minus the
/// lateness; an hour closes when the watermark reaches its end. Any event at most `lateness_ms`
/// behind the largest time seen so far lands in an open hour, so the closed hours do not depend on
/// arrival order.
#[derive(Debug, Clone)]
pub struct SeriesBuilder {
    lateness_ms: i64,
    max_ts: Option<i64>,
    /// Open hours: start → series → accumulator.
    open: BTreeMap<i64, BTreeMap<SeriesKey, Accumulator>>,
    /// The first hour of each series, where its zero filling starts.
    first_hour: BTreeMap<SeriesKey, i64>,
    /// Start of the first hour not yet closed (None before anything closed).
    next_to_close: Option<i64>,
    too_late: u64,
}

impl SeriesBuilder {
    /// A builder accepting events up to `lateness_ms` behind the largest event time seen.
    pub fn new(lateness_ms: i64) -> Self {
        SeriesBuilder {
            lateness_ms: lateness_ms.max(0),
            max_ts: None,
            open: BTreeMap::new(),
            first_hour: BTreeMap::new(),
            next_to_close: None,
            too_late: 0,
        }
    }

    /// Largest event time seen minus the lateness; `None` before the first event.
    pub fn watermark_ms(&self) -> Option<i64> {
        self.max_ts.map(|t| t.saturating_sub(self.lateness_ms))
    }

    /// How many events arrived too late so far.
    pub fn too_late_count(&self) -> u64 {
        self.too_late
    }

    /// Takes one event: adds it to its open hour, advances the watermark and returns the hours
    /// that closed (sorted by hour, then series). An event whose hour has closed is `TooLate`.
    pub fn push(&mut self, event: &Event) -> Result<Vec<ClosedHour>, TooLate> {
        let hour = hour_of(event.ts_ms);
        if self.is_closed(hour) {
            self.too_late += 1;
            return Err(TooLate {
                event_id: event.event_id.clone(),
                ts_ms: event.ts_ms,
                watermark_ms: self.watermark_ms().unwrap_or(i64::MIN),
            });
        }
        for c in contributions(event) {
            self.add(hour, c);
        }
        self.max_ts = Some(self.max_ts.map_or(event.ts_ms, |m| m.max(event.ts_ms)));
        Ok(match self.watermark_ms() {
            Some(w) => self.close_through(hour_of(w) - HOUR_MS),
            None => Vec::new(),
        })
    }

    /// Whether the hour starting at `hour_ms` has closed.
    pub fn is_closed(&self, hour_ms: i64) -> bool {
        self.next_to_close.is_some_and(|next| hour_ms < next)
    }

    /// Adds one contribution to its open hour without moving the watermark: for callers that
    /// close hours themselves ([`close_before`](Self::close_before)), such as the job, whose
    /// watermark is timely's frontier. Returns `false` (and counts it) when the hour has closed.
    pub fn add(&mut self, hour_ms: i64, c: Contribution) -> bool {
        if self.is_closed(hour_ms) {
            self.too_late += 1;
            return false;
        }
        let first = self.first_hour.entry(c.key.clone()).or_insert(hour_ms);
        *first = (*first).min(hour_ms);
        self.open
            .entry(hour_ms)
            .or_default()
            .entry(c.key)
            .or_insert_with(|| Accumulator::for_amount(&c.amount))
            .add(c.amount);
        true
    }

    /// Closes every open hour that ends at or before `end_ms`.
    pub fn close_before(&mut self, end_ms: i64) -> Vec<ClosedHour> {
        self.close_through(hour_of(end_ms) - HOUR_MS)
    }

    /// Stops tracking `key`: no more zero hours for it (an idle series the caller evicted). A later
    /// contribution starts it again from its own hour.
    pub fn forget(&mut self, key: &SeriesKey) {
        self.first_hour.remove(key);
    }

    /// A builder resumed after a restart: hours before `next_to_close_ms` are closed, and each of
    /// `series` zero-fills from its given first hour.
    pub fn resume(
        lateness_ms: i64,
        next_to_close_ms: Option<i64>,
        series: impl IntoIterator<Item = (SeriesKey, i64)>,
    ) -> Self {
        let mut builder = SeriesBuilder::new(lateness_ms);
        builder.next_to_close = next_to_close_ms;
        builder.first_hour = series.into_iter().collect();
        builder
    }

    /// Closes every hour still open (end of a bounded input such as a lake read).
    pub fn finish(&mut self) -> Vec<ClosedHour> {
        match self.open.keys().next_back().copied() {
            Some(last) => self.close_through(last),
            None => Vec::new(),
        }
    }

    /// Closes every open hour starting at or before `last`, zero-filling each known series from
    /// its first hour.
    fn close_through(&mut self, last: i64) -> Vec<ClosedHour> {
        let start = match self.next_to_close {
            Some(n) => n,
            None => match self.first_hour.values().min() {
                Some(&f) => f,
                None => return Vec::new(),
            },
        };
        let mut out = Vec::new();
        let mut hour = start;
        while hour <= last {
            let values = self.open.remove(&hour).unwrap_or_default();
            for (key, &first) in &self.first_hour {
                if first <= hour {
                    let value = values.get(key).map_or(0, Accumulator::value);
                    out.push(ClosedHour {
                        key: key.clone(),
                        hour_ms: hour,
                        value,
                    });
                }
            }
            hour += HOUR_MS;
        }
        if last >= start {
            self.next_to_close = Some(last + HOUR_MS);
        }
        out
    }
}
