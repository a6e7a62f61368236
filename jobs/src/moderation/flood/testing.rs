//! Event builders for the tests of the flood and payment rules.

use cohort_schemas::event::{
    Chat, Event, Member, MemberAction, Payload, Payment, PaymentKind, View,
};

/// A round instant (2026-09-21) the tests count from.
pub const T0: i64 = 1_790_000_000_000;
/// One second in ms.
pub const SEC: i64 = 1_000;
/// One minute in ms.
pub const MIN: i64 = 60 * SEC;
/// One hour in ms.
pub const HOUR: i64 = 60 * MIN;
/// One day in ms.
pub const DAY: i64 = 24 * HOUR;

/// A long ad with one slot, `WORD`, that campaigns rotate to dodge exact-copy filters.
pub const LONG_OFFER: &str = "Limited offer for members of this community only: join our WORD \
    crypto signals group today and learn the exact method our traders use to double their money \
    every single week, with daily calls, a personal mentor, bonus courses and a full refund \
    guarantee if you do not see results in thirty days";

/// An event of `user` in community `c1` at `ts_ms`.
pub fn event(ts_ms: i64, user: &str, payload: Payload) -> Event {
    event_in("c1", ts_ms, user, payload)
}

/// An event of `user` in `community` at `ts_ms`.
pub fn event_in(community: &str, ts_ms: i64, user: &str, payload: Payload) -> Event {
    Event {
        event_id: format!("{community}-{user}-{ts_ms}"),
        ts_ms,
        community_id: community.to_string(),
        user_id: user.to_string(),
        payload,
        extra: None,
    }
}

/// A chat message.
pub fn chat(channel: &str, text: &str) -> Payload {
    Payload::Chat(Chat {
        channel_id: channel.to_string(),
        message_id: format!("m-{text}"),
        text: text.to_string(),
        reply_to: None,
        mentions: vec![],
        item_mentions: vec![],
    })
}

/// A join.
pub fn join() -> Payload {
    Payload::Member(Member {
        action: MemberAction::Join,
        tier: None,
    })
}

/// A view (an event no rule looks at, which still moves the clock).
pub fn view() -> Payload {
    Payload::View(View {
        item_id: "i0".to_string(),
        dwell_ms: None,
        surface: None,
    })
}

/// A payment of `amount` CNY minor units for `item` (or for nothing).
pub fn pay(kind: PaymentKind, item: Option<&str>, amount: i64) -> Payload {
    pay_in(kind, item, amount, "CNY")
}

/// A payment of `amount` minor units of `currency` for `item` (or for nothing).
pub fn pay_in(kind: PaymentKind, item: Option<&str>, amount: i64, currency: &str) -> Payload {
    Payload::Payment(Payment {
        item_id: item.map(str::to_string),
        plan_id: None,
        amount_minor: amount,
        currency: currency.to_string(),
        payment_kind: kind,
    })
}
