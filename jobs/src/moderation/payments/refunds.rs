//! `payment.refund_burst_member` and `payment.refund_burst_item`: refunds piling up on one member
//! or on one item.
//!
//! A member refunding again and again is taking paid content for free; an item refunded by many
//! members within an hour is broken, mis-sold, or the target of a chargeback campaign. Both are
//! counts of refund events over a window, one keyed by member, the other by item or plan.

use cohort_schemas::Event;
use cohort_schemas::activity::Severity;

use super::PaymentConfig;
use crate::moderation::finding::{
    ModerationFinding, ModerationKind, Rule, counted, duration_text, ratio,
};
use crate::moderation::flood::burst::Bursts;
use crate::moderation::flood::simhash::stable_hash;
use crate::moderation::flood::window::millis;

/// Refunds to one member.
pub const MEMBER_REFUNDS: Rule = Rule {
    name: "payment.refund_burst_member",
    kind: ModerationKind::Fraud,
    severity: Severity::Major,
};

/// Refunds of one item or plan.
pub const ITEM_REFUNDS: Rule = Rule {
    name: "payment.refund_burst_item",
    kind: ModerationKind::Fraud,
    severity: Severity::Major,
};

/// Refund windows per (community, member) and per (community, product).
#[derive(Debug)]
pub struct Refunds {
    by_member: Bursts<(String, String), ()>,
    /// The hashed member of each refund, to say by how many members.
    by_product: Bursts<(String, String), u64>,
    member_span_ms: i64,
    member_min: usize,
    product_span_ms: i64,
    product_min: usize,
}

impl Refunds {
    /// The rules with the refund settings of `config`.
    pub fn new(config: &PaymentConfig) -> Self {
        let member_span_ms = millis(config.member_refund_window_secs);
        let product_span_ms = millis(config.item_refund_window_secs);
        Refunds {
            by_member: Bursts::new(member_span_ms, config.member_refund_min),
            by_product: Bursts::new(product_span_ms, config.item_refund_min),
            member_span_ms,
            member_min: config.member_refund_min.max(1),
            product_span_ms,
            product_min: config.item_refund_min.max(1),
        }
    }

    /// Counts the refund `event` of `product` (`item X` / `plan Y`, if the refund names one).
    pub fn observe(&mut self, event: &Event, product: Option<&str>) -> Vec<ModerationFinding> {
        let mut out = Vec::new();
        let member_key = (event.community_id.clone(), event.user_id.clone());
        if let Some(count) = self
            .by_member
            .push(member_key, event.ts_ms, ())
            .and_then(|b| b.fire())
        {
            let evidence = format!(
                "{} in {}",
                counted(count, "refund"),
                duration_text(self.member_span_ms)
            );
            let score = ratio(count, self.member_min);
            out.push(MEMBER_REFUNDS.finding(event, "", score, evidence));
        }
        let Some(product) = product else {
            return out;
        };
        let member = stable_hash(event.user_id.as_bytes());
        let product_key = (event.community_id.clone(), product.to_string());
        if let Some(burst) = self.by_product.push(product_key, event.ts_ms, member)
            && let Some(count) = burst.fire()
        {
            let mut members: Vec<u64> = burst.window().iter().map(|(_, m)| *m).collect();
            members.sort_unstable();
            members.dedup();
            let evidence = format!(
                "{} of {product} by {} in {}",
                counted(count, "refund"),
                counted(members.len(), "member"),
                duration_text(self.product_span_ms)
            );
            let score = ratio(count, self.product_min);
            out.push(ITEM_REFUNDS.finding(event, "", score, evidence));
        }
        out
    }

    /// Keys tracked.
    pub fn tracked(&self) -> usize {
        self.by_member.len() + self.by_product.len()
    }

    /// See [`Bursts::sweep_if_due`].
    pub fn sweep_if_due(&mut self, now_ms: i64) {
        self.by_member.sweep_if_due(now_ms);
        self.by_product.sweep_if_due(now_ms);
    }
}
