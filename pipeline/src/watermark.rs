//! Event-time progress of one split: how far its events have got, and which ones are too late.
//!
//! The watermark of a split is the largest event time seen so far minus the allowed lateness. An event
//! older than the watermark is late and becomes a dead letter; every other event keeps its own time.
//! Late and malformed records are stamped with the watermark itself, so the classification and the
//! timestamps depend only on the order of records inside the split — which is what makes a replay from a
//! checkpoint reproduce the original run exactly.

/// The watermark state of one split.
///
/// ```
/// use cohort_pipeline::watermark::{Verdict, Watermark};
///
/// let mut w = Watermark::new(60_000, None); // one minute of allowed lateness
/// assert_eq!(w.observe(1_000_000), Verdict::OnTime(1_000));
/// assert_eq!(w.observe(950_000), Verdict::OnTime(950)); // 50 s behind: still on time
/// assert_eq!(w.observe(930_000), Verdict::Late(940)); // 70 s behind: late, stamped at the watermark
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermark {
    max_ts_ms: Option<i64>,
    lateness_ms: i64,
}

/// What to do with an event, given the watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// On time: emit at this timely time (the event's second).
    OnTime(u64),
    /// Late: dead-letter it at this timely time (the watermark's second).
    Late(u64),
}

impl Watermark {
    /// A watermark that has seen nothing yet, or one restored from a checkpoint's `max_ts_ms`.
    pub fn new(lateness_ms: i64, max_ts_ms: Option<i64>) -> Self {
        Watermark {
            max_ts_ms,
            lateness_ms,
        }
    }

    /// The largest event time seen, for checkpoints.
    pub fn max_ts_ms(&self) -> Option<i64> {
        self.max_ts_ms
    }

    /// The timely time below which this split will emit nothing more: the watermark's second.
    pub fn frontier(&self) -> u64 {
        self.max_ts_ms
            .map(|m| seconds(m.saturating_sub(self.lateness_ms)))
            .unwrap_or(0)
    }

    /// Classifies an event time and advances the watermark past it.
    pub fn observe(&mut self, ts_ms: i64) -> Verdict {
        if let Some(max) = self.max_ts_ms
            && ts_ms < max.saturating_sub(self.lateness_ms)
        {
            return Verdict::Late(self.frontier());
        }
        self.max_ts_ms = Some(self.max_ts_ms.map_or(ts_ms, |m| m.max(ts_ms)));
        // ts_ms >= max - lateness here, so its second is never below the frontier.
        Verdict::OnTime(seconds(ts_ms))
    }
}

fn seconds(ms: i64) -> u64 {
    u64::try_from(ms.div_euclid(1000)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_events_are_stamped_with_the_watermark() {
        let mut w = Watermark::new(5_000, None);
        assert_eq!(w.observe(100_000), Verdict::OnTime(100));
        assert_eq!(w.observe(96_000), Verdict::OnTime(96));
        assert_eq!(w.frontier(), 95);
        assert_eq!(w.observe(94_999), Verdict::Late(95));
        assert_eq!(w.observe(200_000), Verdict::OnTime(200));
        assert_eq!(w.frontier(), 195);
        assert_eq!(w.max_ts_ms(), Some(200_000));
    }

    #[test]
    fn on_time_events_are_never_below_the_frontier() {
        let mut w = Watermark::new(1_500, None);
        w.observe(10_900);
        // Exactly at the watermark is on time, one millisecond earlier is late.
        assert_eq!(w.observe(9_400), Verdict::OnTime(9));
        assert!(matches!(w.observe(9_399), Verdict::Late(9)));
    }
}
