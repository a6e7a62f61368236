//! A map whose entries are dropped when they have aged out, swept on event time.
//!
//! Detectors keep state per member, channel or item, and most keys are seen for a few minutes and
//! never again. Evicting inside each window is not enough: a window only moves when its own key
//! gets an event, so the windows of members who went quiet would stay forever. The map therefore
//! sweeps all its entries at most once per `every_ms` of event time, asking the owner which to keep
//! (usually: those whose newest record is less than a window older than the stream's "now"). Memory
//! stays proportional to the keys active in the last window or two, at a cost of one pass over the
//! map per sweep interval.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

/// A `HashMap` with a sweep schedule.
#[derive(Debug, Clone)]
pub struct ExpiringMap<K, V> {
    entries: HashMap<K, V>,
    every_ms: i64,
    next_sweep_ms: Option<i64>,
}

impl<K: Hash + Eq, V> ExpiringMap<K, V> {
    /// An empty map swept at most once per `every_ms` of event time (at least 1 ms).
    pub fn new(every_ms: i64) -> Self {
        ExpiringMap {
            entries: HashMap::new(),
            every_ms: every_ms.max(1),
            next_sweep_ms: None,
        }
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry of `key`, created by `new` when absent.
    pub fn get_or_insert_with(&mut self, key: K, new: impl FnOnce() -> V) -> &mut V {
        self.entries.entry(key).or_insert_with(new)
    }

    /// The entry of `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.get(key)
    }

    /// The entry of `key`, to change.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.get_mut(key)
    }

    /// Removes the entry of `key`.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.remove(key)
    }

    /// The values, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.values()
    }

    /// Sweeps (see [`ExpiringMap::sweep`]) if `every_ms` has passed since the last sweep.
    pub fn sweep_if_due(&mut self, now_ms: i64, keep: impl FnMut(&mut V) -> bool) {
        if self.next_sweep_ms.is_none_or(|next| now_ms >= next) {
            self.sweep(now_ms, keep);
        }
    }

    /// Keeps the entries for which `keep` is true, drops the rest, and schedules the next sweep
    /// `every_ms` after `now_ms`.
    pub fn sweep(&mut self, now_ms: i64, mut keep: impl FnMut(&mut V) -> bool) {
        self.entries.retain(|_, v| keep(v));
        self.next_sweep_ms = Some(now_ms.saturating_add(self.every_ms));
    }
}

#[cfg(test)]
mod tests;
