//! "N things in T", reported once per burst.
//!
//! A rule that counts events in a sliding window would fire on every event past its threshold: a
//! 40-message flood against a limit of 10 would be 30 findings. A [`Burst`] fires when its window
//! reaches the threshold and then stays quiet until the window has fallen below the threshold
//! again; only a new crossing fires again. Joining findings of consecutive bursts is left to the
//! alerting layer.

use std::hash::Hash;

use super::expiring::ExpiringMap;
use super::window::Window;

/// A window of records and whether its current crossing of the threshold was reported.
#[derive(Debug, Clone)]
pub struct Burst<T> {
    window: Window<T>,
    threshold: usize,
    reported: bool,
}

impl<T> Burst<T> {
    /// An empty burst window of `span_ms` that fires at `threshold` records (at least 1).
    pub fn new(span_ms: i64, threshold: usize) -> Self {
        Burst {
            window: Window::new(span_ms),
            threshold: threshold.max(1),
            reported: false,
        }
    }

    /// The records.
    pub fn window(&self) -> &Window<T> {
        &self.window
    }

    /// Records in the window.
    pub fn len(&self) -> usize {
        self.window.len()
    }

    /// Whether the window is empty.
    pub fn is_empty(&self) -> bool {
        self.window.is_empty()
    }

    /// The count that fires.
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// Adds a record (see [`Window::push`]); false when it was outside the window.
    pub fn push(&mut self, ts_ms: i64, value: T) -> bool {
        let accepted = self.window.push(ts_ms, value);
        self.rearm();
        accepted
    }

    /// The count, when the window is at or past the threshold and this crossing was not reported
    /// yet; it is then marked reported. Separate from [`Burst::push`] for rules with a further
    /// condition (the link rule fires only for new members): a window past its threshold for
    /// which the condition failed can still fire when it holds.
    pub fn fire(&mut self) -> Option<usize> {
        if self.reported || self.window.len() < self.threshold {
            return None;
        }
        self.reported = true;
        Some(self.window.len())
    }

    fn rearm(&mut self) {
        if self.window.len() < self.threshold {
            self.reported = false;
        }
    }
}

/// One [`Burst`] per key (member, channel, item ...), dropped once empty.
#[derive(Debug, Clone)]
pub struct Bursts<K, T> {
    bursts: ExpiringMap<K, Burst<T>>,
    span_ms: i64,
    threshold: usize,
}

impl<K: Hash + Eq, T> Bursts<K, T> {
    /// Bursts of `span_ms` firing at `threshold`; idle keys are swept once per span.
    pub fn new(span_ms: i64, threshold: usize) -> Self {
        Bursts {
            bursts: ExpiringMap::new(span_ms),
            span_ms,
            threshold,
        }
    }

    /// Records `value` at `ts_ms` under `key` and returns the key's burst, or `None` when the
    /// record was outside the key's window.
    pub fn push(&mut self, key: K, ts_ms: i64, value: T) -> Option<&mut Burst<T>> {
        let (span_ms, threshold) = (self.span_ms, self.threshold);
        let burst = self
            .bursts
            .get_or_insert_with(key, || Burst::new(span_ms, threshold));
        burst.push(ts_ms, value).then_some(burst)
    }

    /// The burst of `key`, if it has records.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut Burst<T>> {
        self.bursts.get_mut(key)
    }

    /// Keys tracked.
    pub fn len(&self) -> usize {
        self.bursts.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.bursts.is_empty()
    }

    /// Drops the keys whose windows are stale at `now_ms` ([`Window::is_stale`]), at most once per
    /// span.
    pub fn sweep_if_due(&mut self, now_ms: i64) {
        self.bursts
            .sweep_if_due(now_ms, |b| !b.window().is_stale(now_ms));
    }
}

#[cfg(test)]
mod tests;
