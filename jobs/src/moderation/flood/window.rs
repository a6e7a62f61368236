//! A sliding window over event time: the records of the last `span` milliseconds.
//!
//! Time is the events' own (`ts_ms`), never the wall clock, so a replay of last week's stream finds
//! what a live run would have found. "Now" is the newest timestamp the window has seen: an entry
//! leaves once it is `span` or more older than that. Events arrive mildly out of order (several
//! producers, retries), so a late record is put in its place by time as long as it still lies
//! inside the window; one already outside is refused, as it could not count any more.
//!
//! Shared by the flood and payment detectors (every rule that counts "N things in T").

use std::collections::VecDeque;

/// Seconds of configuration as milliseconds of event time (saturating: a huge setting means
/// "forever", not an overflow).
pub fn millis(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// The records of the last `span_ms` of event time, oldest first.
#[derive(Debug, Clone)]
pub struct Window<T> {
    span_ms: i64,
    newest_ms: Option<i64>,
    entries: VecDeque<(i64, T)>,
}

impl<T> Window<T> {
    /// An empty window of `span_ms` (at least 1 ms, so that a record can count at all).
    pub fn new(span_ms: i64) -> Self {
        Window {
            span_ms: span_ms.max(1),
            newest_ms: None,
            entries: VecDeque::new(),
        }
    }

    /// The window's length in milliseconds.
    pub fn span_ms(&self) -> i64 {
        self.span_ms
    }

    /// Records in the window.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the window holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The newest timestamp seen (pushed or expired to), if any.
    pub fn newest_ms(&self) -> Option<i64> {
        self.newest_ms
    }

    /// Whether a record at `ts_ms` would still lie inside the window.
    pub fn accepts(&self, ts_ms: i64) -> bool {
        self.newest_ms
            .is_none_or(|newest| ts_ms > newest.saturating_sub(self.span_ms))
    }

    /// Whether every record would have left the window by `now_ms` (true when empty): what a
    /// sweep drops. A sweep does not move the window itself, so a key whose events lag behind the
    /// rest of the stream keeps counting on its own time until it is a whole window behind.
    pub fn is_stale(&self, now_ms: i64) -> bool {
        self.is_empty()
            || self
                .newest_ms
                .is_none_or(|newest| newest <= now_ms.saturating_sub(self.span_ms))
    }

    /// The records with their timestamps, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &T)> {
        self.entries.iter().map(|(ts, v)| (*ts, v))
    }

    /// Adds `value` at `ts_ms` (after evicting what the new time pushes out); false, and `value`
    /// dropped, when `ts_ms` is already outside the window.
    pub fn push(&mut self, ts_ms: i64, value: T) -> bool {
        self.push_evicting(ts_ms, value, drop)
    }

    /// [`Window::push`], handing every evicted record to `evicted` (for indexes kept beside the
    /// window).
    pub fn push_evicting(&mut self, ts_ms: i64, value: T, evicted: impl FnMut(T)) -> bool {
        self.expire_evicting(ts_ms, evicted);
        if !self.accepts(ts_ms) {
            return false;
        }
        let at = self.entries.partition_point(|(t, _)| *t <= ts_ms);
        self.entries.insert(at, (ts_ms, value));
        true
    }

    /// Moves "now" to `now_ms` if that is later, and evicts what falls out.
    pub fn expire(&mut self, now_ms: i64) {
        self.expire_evicting(now_ms, drop);
    }

    /// [`Window::expire`], handing every evicted record to `evicted`.
    pub fn expire_evicting(&mut self, now_ms: i64, mut evicted: impl FnMut(T)) {
        let newest = self.newest_ms.map_or(now_ms, |n| n.max(now_ms));
        self.newest_ms = Some(newest);
        let cutoff = newest.saturating_sub(self.span_ms);
        while self.entries.front().is_some_and(|(ts, _)| *ts <= cutoff) {
            if let Some((_, v)) = self.entries.pop_front() {
                evicted(v);
            }
        }
    }
}

#[cfg(test)]
mod tests;
