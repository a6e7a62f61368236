//! `payment.unusual_amount`: a purchase far from what the item usually sells for.
//!
//! An item's usual price is the median of its last purchases in one currency, learnt from the
//! stream rather than read from the catalogue: list prices are not in every payment, and what
//! members actually pay (after discounts, in this currency) is what an odd amount must be measured
//! against. The median ignores the odd amounts themselves, until they become the majority — as
//! after a real price change, when the new price becomes the usual one.
//!
//! Reported once per run of unusual purchases of one item: after a finding the item stays quiet
//! until a purchase at a usual amount re-arms it, so a price change, or a fraudster buying one
//! item twenty times, is one finding.

use std::collections::VecDeque;

use cohort_schemas::Event;
use cohort_schemas::activity::Severity;
use cohort_schemas::event::Payment;

use super::PaymentConfig;
use crate::moderation::finding::{ModerationFinding, ModerationKind, Rule};
use crate::moderation::flood::expiring::ExpiringMap;
use crate::moderation::flood::window::millis;

/// The rule.
pub const UNUSUAL_AMOUNT: Rule = Rule {
    name: "payment.unusual_amount",
    kind: ModerationKind::Fraud,
    severity: Severity::Minor,
};

/// The recent purchase amounts of one (community, item, currency).
#[derive(Debug, Clone)]
struct History {
    amounts: VecDeque<i64>,
    last_ts_ms: i64,
    reported: bool,
}

impl History {
    /// The median amount (0 when empty).
    fn median(&self) -> f64 {
        let mut sorted: Vec<i64> = self.amounts.iter().copied().collect();
        sorted.sort_unstable();
        let n = sorted.len();
        if n == 0 {
            0.0
        } else if n % 2 == 1 {
            sorted[n / 2] as f64
        } else {
            (sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0
        }
    }
}

/// Where a purchase stands against its item's usual price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Standing {
    /// Not enough history (or a free item): nothing to compare with.
    Unknown,
    /// Within usual / factor ..= usual × factor.
    Usual,
    /// Below usual / factor, with the usual price.
    FarBelow(f64),
    /// Above usual × factor, with the usual price.
    FarAbove(f64),
}

/// Price histories per (community, item, currency).
#[derive(Debug)]
pub struct Prices {
    histories: ExpiringMap<(String, String, String), History>,
    capacity: usize,
    min_samples: usize,
    factor: f64,
    forget_ms: i64,
}

impl Prices {
    /// The rule with the price settings of `config`.
    pub fn new(config: &PaymentConfig) -> Self {
        let forget_ms = millis(config.price_forget_secs);
        Prices {
            histories: ExpiringMap::new(forget_ms / 8),
            capacity: config.price_history.max(1),
            min_samples: config.price_min_samples.max(1),
            factor: config.price_factor,
            forget_ms,
        }
    }

    /// How `payment` (a purchase of `item` in `event`'s community) compares with the item's
    /// usual price.
    pub fn standing(&self, event: &Event, item: &str, payment: &Payment) -> Standing {
        let key = key(event, item, payment);
        let Some(history) = self.histories.get(&key) else {
            return Standing::Unknown;
        };
        if history.amounts.len() < self.min_samples {
            return Standing::Unknown;
        }
        let usual = history.median();
        let amount = payment.amount_minor as f64;
        if usual <= 0.0 {
            Standing::Unknown
        } else if amount < usual / self.factor {
            Standing::FarBelow(usual)
        } else if amount > usual * self.factor {
            Standing::FarAbove(usual)
        } else {
            Standing::Usual
        }
    }

    /// Learns the purchase `payment` of `item`: where it stood against the usual price before it
    /// was learnt (card testing asks too: one median per purchase, not two), and the finding when
    /// it is far from that price and the item was not reported since its last usual purchase.
    pub fn observe(
        &mut self,
        event: &Event,
        item: &str,
        payment: &Payment,
    ) -> (Standing, Option<ModerationFinding>) {
        let standing = self.standing(event, item, payment);
        (standing, self.learn(event, item, payment, standing))
    }

    fn learn(
        &mut self,
        event: &Event,
        item: &str,
        payment: &Payment,
        standing: Standing,
    ) -> Option<ModerationFinding> {
        let capacity = self.capacity;
        let history = self
            .histories
            .get_or_insert_with(key(event, item, payment), || History {
                amounts: VecDeque::with_capacity(capacity),
                last_ts_ms: event.ts_ms,
                reported: false,
            });
        let samples = history.amounts.len();
        if samples == capacity {
            history.amounts.pop_front();
        }
        history.amounts.push_back(payment.amount_minor);
        history.last_ts_ms = history.last_ts_ms.max(event.ts_ms);
        let amount = payment.amount_minor as f64;
        let (usual, score, side) = match standing {
            Standing::Unknown => return None,
            Standing::Usual => {
                history.reported = false;
                return None;
            }
            Standing::FarBelow(usual) => {
                let score = usual / self.factor / amount.max(1.0);
                (usual, score, "far below")
            }
            Standing::FarAbove(usual) => (usual, amount / (usual * self.factor), "far above"),
        };
        if history.reported {
            return None;
        }
        history.reported = true;
        let evidence = format!(
            "{} {} minor units, {side} the usual {usual} (median of the last {samples} \
             purchases of item {item})",
            payment.amount_minor, payment.currency,
        );
        Some(UNUSUAL_AMOUNT.finding(event, "", score.max(1.0), evidence))
    }

    /// Items with a price history.
    pub fn tracked(&self) -> usize {
        self.histories.len()
    }

    /// Forgets items not bought for `price_forget_secs`, if a sweep is due.
    pub fn sweep_if_due(&mut self, now_ms: i64) {
        let cutoff = now_ms.saturating_sub(self.forget_ms);
        self.histories
            .sweep_if_due(now_ms, |h| h.last_ts_ms > cutoff);
    }
}

fn key(event: &Event, item: &str, payment: &Payment) -> (String, String, String) {
    (
        event.community_id.clone(),
        item.to_string(),
        payment.currency.clone(),
    )
}

#[cfg(test)]
mod tests;
