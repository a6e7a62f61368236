//! What the recommendation job takes from events: interaction signals, item states and erasures.

use cohort_schemas::event::PaymentKind;
use cohort_schemas::{Event, Payload};
use serde::{Deserialize, Serialize};

/// One interaction signal of a member on an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Signal {
    /// Opened the item.
    View,
    /// Liked it.
    Like,
    /// Took a like back.
    Unlike,
    /// Bought it or subscribed to it.
    Purchase,
    /// Got the money back.
    Refund,
    /// Mentioned it in chat.
    Mention,
}

/// An input of the recommendation dataflow.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Fact {
    /// A member's signal on an item, at event time `ts_ms`.
    Signal {
        /// The community.
        community_id: String,
        /// The member.
        user_id: String,
        /// The item.
        item_id: String,
        /// What happened.
        signal: Signal,
        /// Event time, ms.
        ts_ms: i64,
    },
    /// An item was published, changed or deleted; the latest state (by time, then event id) holds.
    Item {
        /// The community.
        community_id: String,
        /// The item.
        item_id: String,
        /// Whether this state deletes it.
        deleted: bool,
        /// Title, for content similarity of new items.
        title: String,
        /// Tags, for content similarity of new items.
        tags: Vec<String>,
        /// Event time, ms.
        ts_ms: i64,
        /// Breaks ties between states of one millisecond.
        event_id: String,
    },
    /// Forget this member everywhere, for good.
    Erasure {
        /// The member.
        user_id: String,
    },
}

/// The facts one event contributes (none for kinds that do not concern recommendations).
pub fn facts_of(event: &Event) -> Vec<Fact> {
    let signal = |item_id: &str, signal| Fact::Signal {
        community_id: event.community_id.clone(),
        user_id: event.user_id.clone(),
        item_id: item_id.to_string(),
        signal,
        ts_ms: event.ts_ms,
    };
    match &event.payload {
        Payload::View(v) => vec![signal(&v.item_id, Signal::View)],
        Payload::Like(l) => vec![signal(
            &l.item_id,
            if l.undo { Signal::Unlike } else { Signal::Like },
        )],
        Payload::Payment(p) => {
            let kind = match p.payment_kind {
                PaymentKind::Purchase | PaymentKind::Subscription => Signal::Purchase,
                PaymentKind::Refund => Signal::Refund,
                // A renewal continues a subscription; it says nothing new about taste.
                PaymentKind::Renewal => return Vec::new(),
            };
            p.item_id.iter().map(|i| signal(i, kind)).collect()
        }
        Payload::Chat(c) => {
            let mut items: Vec<&String> = c.item_mentions.iter().collect();
            items.sort();
            items.dedup();
            items
                .into_iter()
                .map(|i| signal(i, Signal::Mention))
                .collect()
        }
        Payload::Item(i) => vec![Fact::Item {
            community_id: event.community_id.clone(),
            item_id: i.item_id.clone(),
            deleted: i.deleted,
            title: i.title.clone(),
            tags: i.tags.clone(),
            ts_ms: event.ts_ms,
            event_id: event.event_id.clone(),
        }],
        Payload::Erasure => vec![Fact::Erasure {
            user_id: event.user_id.clone(),
        }],
        Payload::Member(_) | Payload::Checkin(_) | Payload::ModerationVerdict(_) => Vec::new(),
    }
}
