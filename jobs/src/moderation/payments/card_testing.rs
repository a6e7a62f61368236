//! `payment.card_testing`: many small payments by one member in a few minutes.
//!
//! Whoever holds a list of stolen card numbers tries them with small payments before using the
//! ones that work: a burst of payments each either tiny in absolute terms or far below what the
//! item usually costs. Ordinary members make one payment at a time, at the price.

use cohort_schemas::Event;
use cohort_schemas::activity::Severity;
use cohort_schemas::event::{Payment, PaymentKind};

use super::PaymentConfig;
use crate::moderation::finding::{
    ModerationFinding, ModerationKind, Rule, counted, duration_text, ratio,
};
use crate::moderation::flood::burst::Bursts;
use crate::moderation::flood::window::millis;

/// The rule.
pub const CARD_TESTING: Rule = Rule {
    name: "payment.card_testing",
    kind: ModerationKind::Fraud,
    severity: Severity::Critical,
};

/// Small payments per (community, member), with their amounts.
#[derive(Debug)]
pub struct CardTesting {
    bursts: Bursts<(String, String), i64>,
    span_ms: i64,
    fires_at: usize,
    max_minor: i64,
}

impl CardTesting {
    /// The rule with the card-testing settings of `config`.
    pub fn new(config: &PaymentConfig) -> Self {
        let span_ms = millis(config.card_test_window_secs);
        CardTesting {
            bursts: Bursts::new(span_ms, config.card_test_min_payments),
            span_ms,
            fires_at: config.card_test_min_payments,
            max_minor: config.card_test_max_minor,
        }
    }

    /// Whether `payment` looks like a card test: money in (not a refund), more than 0, and at most
    /// `card_test_max_minor` or (`far_below_usual`) far below its item's usual price.
    pub fn is_test_sized(&self, payment: &Payment, far_below_usual: bool) -> bool {
        payment.payment_kind != PaymentKind::Refund
            && payment.amount_minor > 0
            && (payment.amount_minor <= self.max_minor || far_below_usual)
    }

    /// Counts the payment `event` if it is test-sized; the finding when it completes a burst.
    pub fn observe(
        &mut self,
        event: &Event,
        payment: &Payment,
        far_below_usual: bool,
    ) -> Option<ModerationFinding> {
        if !self.is_test_sized(payment, far_below_usual) {
            return None;
        }
        let key = (event.community_id.clone(), event.user_id.clone());
        let burst = self.bursts.push(key, event.ts_ms, payment.amount_minor)?;
        let count = burst.fire()?;
        let amounts = burst.window().iter().map(|(_, a)| *a);
        let (low, high) = amounts.fold((i64::MAX, i64::MIN), |(lo, hi), a| (lo.min(a), hi.max(a)));
        let evidence = format!(
            "{} of {low}-{high} minor units in {}",
            counted(count, "payment"),
            duration_text(self.span_ms)
        );
        Some(CARD_TESTING.finding(event, "", ratio(count, self.fires_at), evidence))
    }

    /// Members tracked.
    pub fn tracked(&self) -> usize {
        self.bursts.len()
    }

    /// See [`Bursts::sweep_if_due`].
    pub fn sweep_if_due(&mut self, now_ms: i64) {
        self.bursts.sweep_if_due(now_ms);
    }
}
