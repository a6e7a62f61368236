//! Hour arithmetic and the accumulator of one series in one open hour.

use std::collections::BTreeSet;

use super::contribution::Amount;

/// Milliseconds in an hour: series are bucketed on UTC hour boundaries.
pub const HOUR_MS: i64 = 3_600_000;

/// The start (ms since the epoch) of the UTC hour holding `ts_ms`; exact for negative times too.
pub fn hour_of(ts_ms: i64) -> i64 {
    ts_ms.div_euclid(HOUR_MS) * HOUR_MS
}

/// What one series has gathered in one still-open hour. Distinct counts keep the member set so a
/// late duplicate never counts twice (exact, not a sketch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accumulator {
    /// A running sum.
    Sum(i64),
    /// The distinct members seen.
    Members(BTreeSet<String>),
}

impl Accumulator {
    /// An empty accumulator of the kind `amount` adds to.
    pub fn for_amount(amount: &Amount) -> Self {
        match amount {
            Amount::Add(_) => Accumulator::Sum(0),
            Amount::Member(_) => Accumulator::Members(BTreeSet::new()),
        }
    }

    /// Adds one contribution; a contribution of the other kind is ignored (a key has one kind).
    pub fn add(&mut self, amount: Amount) {
        match (self, amount) {
            (Accumulator::Sum(s), Amount::Add(v)) => *s = s.saturating_add(v),
            (Accumulator::Members(set), Amount::Member(user)) => {
                set.insert(user);
            }
            _ => {}
        }
    }

    /// The hour's value: the sum, or the number of distinct members.
    pub fn value(&self) -> i64 {
        match self {
            Accumulator::Sum(s) => *s,
            Accumulator::Members(set) => i64::try_from(set.len()).unwrap_or(i64::MAX),
        }
    }
}
