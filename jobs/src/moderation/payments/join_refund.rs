//! `payment.join_pay_refund`: join, pay at once, ask for the money back.
//!
//! The pattern of members who join to download a course or read the paid posts and then refund:
//! a payment less than `join_pay_window_secs` after joining, followed by a refund of it (of the
//! same item or plan, when both name one) less than `pay_refund_window_secs` later. One finding
//! per refunded payment.
//!
//! A join must be seen before the payment it qualifies: a join arriving after the member's payment
//! (out of order) does not make that payment count.

use cohort_schemas::Event;
use cohort_schemas::activity::Severity;

use super::PaymentConfig;
use crate::moderation::finding::{ModerationFinding, ModerationKind, Rule};
use crate::moderation::flood::expiring::ExpiringMap;
use crate::moderation::flood::joins::Joins;
use crate::moderation::flood::window::millis;

/// The rule.
pub const JOIN_PAY_REFUND: Rule = Rule {
    name: "payment.join_pay_refund",
    kind: ModerationKind::Fraud,
    severity: Severity::Minor,
};

/// A payment made soon after joining, waiting to see whether it is refunded.
#[derive(Debug, Clone)]
struct Paid {
    ts_ms: i64,
    since_join_ms: i64,
    product: Option<String>,
}

/// Joins, and the payments that followed them, per (community, member).
#[derive(Debug)]
pub struct JoinPayRefund {
    joins: Joins,
    paid: ExpiringMap<(String, String), Vec<Paid>>,
    join_pay_ms: i64,
    pay_refund_ms: i64,
}

impl JoinPayRefund {
    /// The rule with the join-pay-refund settings of `config`.
    pub fn new(config: &PaymentConfig) -> Self {
        let join_pay_ms = millis(config.join_pay_window_secs);
        let pay_refund_ms = millis(config.pay_refund_window_secs);
        JoinPayRefund {
            joins: Joins::new(join_pay_ms),
            paid: ExpiringMap::new(pay_refund_ms / 8),
            join_pay_ms,
            pay_refund_ms,
        }
    }

    /// Notes the join `event`.
    pub fn on_join(&mut self, event: &Event) {
        self.joins
            .record(&event.community_id, &event.user_id, event.ts_ms);
    }

    /// Keeps the payment `event` (of `product`) if it came soon after the member joined.
    pub fn on_payment(&mut self, event: &Event, product: Option<&str>) {
        let Some(joined) = self.joins.joined_at(&event.community_id, &event.user_id) else {
            return;
        };
        let Some(since_join_ms) = event.ts_ms.checked_sub(joined) else {
            return;
        };
        if !(0..self.join_pay_ms).contains(&since_join_ms) {
            return;
        }
        let key = (event.community_id.clone(), event.user_id.clone());
        self.paid.get_or_insert_with(key, Vec::new).push(Paid {
            ts_ms: event.ts_ms,
            since_join_ms,
            product: product.map(str::to_string),
        });
    }

    /// The finding when the refund `event` (of `product`) takes back a kept payment: the latest
    /// one it can refund, which is then forgotten.
    pub fn on_refund(&mut self, event: &Event, product: Option<&str>) -> Option<ModerationFinding> {
        let key = (event.community_id.clone(), event.user_id.clone());
        let payments = self.paid.get_mut(&key)?;
        let refunds = |p: &Paid| {
            let after = event.ts_ms.checked_sub(p.ts_ms);
            let in_time = after.is_some_and(|ms| (0..=self.pay_refund_ms).contains(&ms));
            let same = match (product, p.product.as_deref()) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            in_time && same
        };
        let at = payments.iter().rposition(refunds)?;
        let paid = payments.remove(at);
        if payments.is_empty() {
            self.paid.remove(&key);
        }
        let evidence = format!(
            "paid {} min after joining, refunded {} min later",
            paid.since_join_ms / 60_000,
            (event.ts_ms - paid.ts_ms) / 60_000,
        );
        Some(JOIN_PAY_REFUND.finding(event, "", 1.0, evidence))
    }

    /// Joins remembered plus members with payments waiting.
    pub fn tracked(&self) -> usize {
        self.joins.len() + self.paid.len()
    }

    /// Forgets old joins and payments past the refund window, if due.
    pub fn sweep_if_due(&mut self, now_ms: i64) {
        self.joins.sweep_if_due(now_ms);
        let cutoff = now_ms.saturating_sub(self.pay_refund_ms);
        self.paid
            .sweep_if_due(now_ms, |payments| keep_recent(payments, cutoff));
    }
}

fn keep_recent(payments: &mut Vec<Paid>, cutoff: i64) -> bool {
    payments.retain(|p| p.ts_ms >= cutoff);
    !payments.is_empty()
}
