//! When members joined, for the rules about new members (link drops, join-pay-refund).
//!
//! Only the latest join of each member is kept (a member who left and came back is new again), and
//! only for as long as a rule can use it: joins older than `keep` at the stream's "now" are
//! forgotten, so the map holds the members who joined in the last day or so, not every member
//! ever seen.

use super::expiring::ExpiringMap;

/// Join times by (community, member).
#[derive(Debug, Clone)]
pub struct Joins {
    joined: ExpiringMap<(String, String), i64>,
    keep_ms: i64,
}

impl Joins {
    /// Joins kept for `keep_ms` of event time (swept eight times per `keep_ms`, so a forgotten join
    /// lingers at most an eighth longer).
    pub fn new(keep_ms: i64) -> Self {
        Joins {
            joined: ExpiringMap::new(keep_ms / 8),
            keep_ms,
        }
    }

    /// Notes that `member` joined `community` at `ts_ms` (a later join replaces an earlier one).
    pub fn record(&mut self, community: &str, member: &str, ts_ms: i64) {
        let at = self
            .joined
            .get_or_insert_with((community.to_string(), member.to_string()), || ts_ms);
        *at = (*at).max(ts_ms);
    }

    /// When `member` last joined `community`, if that is still remembered.
    pub fn joined_at(&self, community: &str, member: &str) -> Option<i64> {
        self.joined
            .get(&(community.to_string(), member.to_string()))
            .copied()
    }

    /// Joins remembered.
    pub fn len(&self) -> usize {
        self.joined.len()
    }

    /// Whether no join is remembered.
    pub fn is_empty(&self) -> bool {
        self.joined.is_empty()
    }

    /// Forgets joins `keep_ms` or more before `now_ms`, if a sweep is due.
    pub fn sweep_if_due(&mut self, now_ms: i64) {
        let cutoff = now_ms.saturating_sub(self.keep_ms);
        self.joined.sweep_if_due(now_ms, |ts| *ts > cutoff);
    }
}

#[cfg(test)]
mod tests;
