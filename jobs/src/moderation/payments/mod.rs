//! Payment patterns (issue 6, deliverable 6): refund abuse, stolen-card testing, odd prices, and
//! the join-pay-refund round trip.
//!
//! - [`refunds`]: refunds piling up, `payment.refund_burst_member` and
//!   `payment.refund_burst_item`;
//! - [`card_testing`]: stolen cards tried with small payments, `payment.card_testing`;
//! - [`prices`]: `payment.unusual_amount`, against a usual price learnt from the stream;
//! - [`join_refund`]: joining, paying and refunding at once, `payment.join_pay_refund`.
//!
//! Built from the same pieces as the flood rules ([`super::flood::burst`],
//! [`super::flood::expiring`], [`super::flood::joins`]), on event time, with state bounded by the
//! windows; only price histories live longer (`price_forget_secs` after an item's last purchase).

pub mod card_testing;
pub mod config;
pub mod join_refund;
pub mod prices;
pub mod refunds;

use cohort_schemas::event::{Event, MemberAction, Payload, Payment, PaymentKind};

use card_testing::CardTesting;
pub use config::PaymentConfig;
use join_refund::JoinPayRefund;
use prices::{Prices, Standing};
use refunds::Refunds;

use super::finding::ModerationFinding;

/// The payment rules over one stream of events (all communities; state is kept per community).
#[derive(Debug)]
pub struct PaymentDetector {
    refunds: Refunds,
    card_testing: CardTesting,
    prices: Prices,
    join_refund: JoinPayRefund,
    now_ms: Option<i64>,
}

impl PaymentDetector {
    /// A detector with no history.
    pub fn new(config: &PaymentConfig) -> Self {
        PaymentDetector {
            refunds: Refunds::new(config),
            card_testing: CardTesting::new(config),
            prices: Prices::new(config),
            join_refund: JoinPayRefund::new(config),
            now_ms: None,
        }
    }

    /// Takes one event and returns the rules it fires: payments feed every rule, joins the
    /// join-pay-refund rule; every event moves the detector's clock (its newest event time), which
    /// is what idle state is swept against.
    pub fn observe(&mut self, event: &Event) -> Vec<ModerationFinding> {
        self.advance_to(event.ts_ms);
        match &event.payload {
            Payload::Payment(payment) => self.observe_payment(event, payment),
            Payload::Member(member) if member.action == MemberAction::Join => {
                self.join_refund.on_join(event);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn observe_payment(&mut self, event: &Event, payment: &Payment) -> Vec<ModerationFinding> {
        let product = product(payment);
        let mut out = Vec::new();
        if payment.payment_kind == PaymentKind::Refund {
            out.extend(self.refunds.observe(event, product.as_deref()));
            out.extend(self.join_refund.on_refund(event, product.as_deref()));
            return out;
        }
        let mut far_below = false;
        if let (PaymentKind::Purchase, Some(item)) = (payment.payment_kind, &payment.item_id) {
            let (standing, finding) = self.prices.observe(event, item, payment);
            far_below = matches!(standing, Standing::FarBelow(_));
            out.extend(finding);
        }
        out.extend(self.card_testing.observe(event, payment, far_below));
        self.join_refund.on_payment(event, product.as_deref());
        out
    }

    /// Moves the clock to `now_ms` (if later) and drops what has aged out by then: for the job to
    /// call when its watermark advances while no events come. (Each map is swept at most once per
    /// its window of event time, so calling this often costs nothing.)
    pub fn advance_to(&mut self, now_ms: i64) {
        let now = self.now_ms.map_or(now_ms, |n| n.max(now_ms));
        self.now_ms = Some(now);
        self.refunds.sweep_if_due(now);
        self.card_testing.sweep_if_due(now);
        self.prices.sweep_if_due(now);
        self.join_refund.sweep_if_due(now);
    }

    /// Entries held (refund, card-test and join keys, payments awaiting a refund, price
    /// histories): what bounds the detector's memory.
    pub fn tracked(&self) -> usize {
        self.refunds.tracked()
            + self.card_testing.tracked()
            + self.prices.tracked()
            + self.join_refund.tracked()
    }
}

/// What a payment is for, as keys and evidence name it: `item X`, `plan Y`, or nothing.
fn product(payment: &Payment) -> Option<String> {
    match (&payment.item_id, &payment.plan_id) {
        (Some(item), _) => Some(format!("item {item}")),
        (None, Some(plan)) => Some(format!("plan {plan}")),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests;
