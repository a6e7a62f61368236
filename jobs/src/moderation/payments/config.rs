//! The payment detector's settings.

use serde::{Deserialize, Serialize};

/// Thresholds of the payment rules. Every window is in seconds of event time; amounts are in
/// minor units (fen, cents), as in the events.
///
/// ```toml
/// member_refund_min = 3
/// card_test_max_minor = 500
/// price_factor = 5.0
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentConfig {
    /// `payment.refund_burst_member` counts one member's refunds over this window (default 24 h).
    pub member_refund_window_secs: u64,
    /// Refunds to one member within that window that fire (default 3: one refund is a
    /// disappointed customer, three in a day is buying to get content and asking the money back).
    pub member_refund_min: usize,
    /// `payment.refund_burst_item` counts refunds of one item or plan over this window (default
    /// 1 h).
    pub item_refund_window_secs: u64,
    /// Refunds of one item or plan within that window that fire (default 5: a broken course, a
    /// misleading page, or a coordinated chargeback campaign).
    pub item_refund_min: usize,
    /// `payment.card_testing` counts one member's small payments over this window (default
    /// 600 s: stolen cards are tried in quick succession).
    pub card_test_window_secs: u64,
    /// Small payments by one member within that window that fire (default 5).
    pub card_test_min_payments: usize,
    /// A payment of at most this much counts as a card test (default 500 minor units); so does one
    /// far below its item's usual price (see `price_factor`). Payments of 0 never count: free
    /// items are claimed in bulk by ordinary members.
    pub card_test_max_minor: i64,
    /// Purchase amounts kept per (item, currency) for its usual price, their median (default 50).
    pub price_history: usize,
    /// Purchases an item needs before its usual price is trusted (default 10).
    pub price_min_samples: usize,
    /// `payment.unusual_amount` fires for a purchase below usual / factor or above usual × factor
    /// (default 5: discounts and bundles stay inside; a course bought for 1% of its price, or 20
    /// times it, does not).
    pub price_factor: f64,
    /// An item without purchases for this long loses its price history (default 30 days), so the
    /// state does not grow with every item ever sold.
    pub price_forget_secs: u64,
    /// `payment.join_pay_refund` looks at payments made this soon after joining (default 1 h) ...
    pub join_pay_window_secs: u64,
    /// ... and refunded within this long after the payment (default 24 h): joining to take the
    /// paid content, then asking the money back.
    pub pay_refund_window_secs: u64,
}

impl Default for PaymentConfig {
    fn default() -> Self {
        PaymentConfig {
            member_refund_window_secs: 24 * 3600,
            member_refund_min: 3,
            item_refund_window_secs: 3600,
            item_refund_min: 5,
            card_test_window_secs: 600,
            card_test_min_payments: 5,
            card_test_max_minor: 500,
            price_history: 50,
            price_min_samples: 10,
            price_factor: 5.0,
            price_forget_secs: 30 * 24 * 3600,
            join_pay_window_secs: 3600,
            pay_refund_window_secs: 24 * 3600,
        }
    }
}
