//! The events members generate, as Rust types.
//!
//! The wire format is documented in `docs/events.md`; [`decode`] turns bytes into an [`Event`] or a
//! [`Rejection`](crate::Rejection), [`encode`] writes the canonical JSON back. The payload of each kind is
//! a plain struct so that jobs can match on [`Payload`] without touching JSON.

pub mod decode;
pub mod encode;
mod fields;
mod kinds;
mod slots;

pub use decode::{Decoder, Limits};
pub use fields::{COMMON, FieldSpec, FieldType, Storage, fields_of, kind_fields};
pub use kinds::{ItemKind, MemberAction, PaymentKind};

use crate::moderation::VerdictOutcome;

/// One validated event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    /// Unique id, used for de-duplication.
    pub event_id: String,
    /// Event time in milliseconds since the Unix epoch.
    pub ts_ms: i64,
    /// The community the event belongs to (the Kafka key).
    pub community_id: String,
    /// The member who acted (for an erasure, the member to forget).
    pub user_id: String,
    /// What happened.
    pub payload: Payload,
    /// Fields the wire format does not define, kept verbatim as a JSON object.
    pub extra: Option<String>,
}

impl Event {
    /// The kind of this event.
    pub fn kind(&self) -> Kind {
        self.payload.kind()
    }

    /// Event time in whole seconds, the unit of timely timestamps.
    pub fn ts_sec(&self) -> u64 {
        u64::try_from(self.ts_ms.div_euclid(1000)).unwrap_or(0)
    }
}

/// The kind-specific part of an event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Payload {
    /// A member opened a post, course or lesson.
    View(View),
    /// A member liked an item, or took a like back.
    Like(Like),
    /// Money moved: a purchase, a subscription, a renewal or a refund.
    Payment(Payment),
    /// A chat message in a channel.
    Chat(Chat),
    /// An item was published, changed or deleted.
    Item(Item),
    /// A member joined, left or changed role.
    Member(Member),
    /// A member checked in at an offline meetup.
    Checkin(Checkin),
    /// A member asked to be forgotten.
    Erasure,
    /// A moderator judged a moderation alert.
    ModerationVerdict(ModerationVerdict),
}

impl Payload {
    /// The kind of this payload.
    pub fn kind(&self) -> Kind {
        match self {
            Payload::View(_) => Kind::View,
            Payload::Like(_) => Kind::Like,
            Payload::Payment(_) => Kind::Payment,
            Payload::Chat(_) => Kind::Chat,
            Payload::Item(_) => Kind::Item,
            Payload::Member(_) => Kind::Member,
            Payload::Checkin(_) => Kind::Checkin,
            Payload::Erasure => Kind::Erasure,
            Payload::ModerationVerdict(_) => Kind::ModerationVerdict,
        }
    }
}

/// `view`: a member opened an item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct View {
    /// The item viewed.
    pub item_id: String,
    /// How long the member stayed, when the client measured it.
    pub dwell_ms: Option<i64>,
    /// Where the view came from (`feed`, `search`, ...).
    pub surface: Option<String>,
}

/// `like`: a member liked an item (or, with `undo`, took the like back).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Like {
    /// The item liked.
    pub item_id: String,
    /// True when this retracts an earlier like.
    pub undo: bool,
}

/// `payment`: money moved between a member and the community.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Payment {
    /// The item paid for, if any.
    pub item_id: Option<String>,
    /// The subscription plan paid for, if any.
    pub plan_id: Option<String>,
    /// The amount in minor units (fen, cents); never negative.
    pub amount_minor: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Purchase, subscription, renewal or refund.
    pub payment_kind: PaymentKind,
}

/// `chat`: a message in a community channel.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Chat {
    /// The channel.
    pub channel_id: String,
    /// The message id, unique within the channel.
    pub message_id: String,
    /// The message text (redacted before storage when PII redaction is on).
    pub text: String,
    /// The message this one answers.
    pub reply_to: Option<String>,
    /// Members mentioned.
    pub mentions: Vec<String>,
    /// Items mentioned (a weak interaction signal for recommendations).
    pub item_mentions: Vec<String>,
}

/// `item`: a post, course, lesson, live session or event was published, changed or deleted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Item {
    /// The item.
    pub item_id: String,
    /// Its title (used for content similarity of new items).
    pub title: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its price in minor units, for paid items.
    pub price_minor: Option<i64>,
    /// Its author.
    pub author_id: Option<String>,
    /// What sort of item it is.
    pub item_kind: ItemKind,
    /// True when the item was deleted: it retracts from every result.
    pub deleted: bool,
}

/// `member`: a membership change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Member {
    /// Join, leave or role change.
    pub action: MemberAction,
    /// The membership tier after the change, if known.
    pub tier: Option<String>,
}

/// `checkin`: a member checked in at an offline meetup.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkin {
    /// The meetup's id.
    pub event_id_offline: String,
    /// Where it took place.
    pub location: Option<String>,
}

/// `moderation_verdict`: a moderator's verdict on a moderation alert. It closes the alert (see
/// [`crate::moderation`]) and is kept in the lake, as every event is, for retraining the classifier.
/// The event's `user_id` is the moderator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModerationVerdict {
    /// The alert judged, as [`crate::moderation::ModerationAlert::alert_id`] names it
    /// (`moderation:<community>:<member>:<rule>:<first seen ms>`).
    pub alert_id: String,
    /// Confirmed (the alert was right) or dismissed (a false positive).
    pub verdict: VerdictOutcome,
    /// The moderator's free-text note, if any.
    pub note: Option<String>,
}

/// The kinds of event, as named by the wire format's `kind` tag.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Kind {
    /// `view`
    View,
    /// `like`
    Like,
    /// `payment`
    Payment,
    /// `chat`
    Chat,
    /// `item`
    Item,
    /// `member`
    Member,
    /// `checkin`
    Checkin,
    /// `erasure`
    Erasure,
    /// `moderation_verdict`
    ModerationVerdict,
}

impl Kind {
    /// Every kind, in a fixed order used for tables and summaries.
    pub const ALL: [Kind; 9] = [
        Kind::View,
        Kind::Like,
        Kind::Payment,
        Kind::Chat,
        Kind::Item,
        Kind::Member,
        Kind::Checkin,
        Kind::Erasure,
        Kind::ModerationVerdict,
    ];

    /// The wire name (`view`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Kind::View => "view",
            Kind::Like => "like",
            Kind::Payment => "payment",
            Kind::Chat => "chat",
            Kind::Item => "item",
            Kind::Member => "member",
            Kind::Checkin => "checkin",
            Kind::Erasure => "erasure",
            Kind::ModerationVerdict => "moderation_verdict",
        }
    }

    /// The kind with this wire name.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The lake table holding events of this kind (`events_view`, ...).
    pub fn table(self) -> &'static str {
        match self {
            Kind::View => "events_view",
            Kind::Like => "events_like",
            Kind::Payment => "events_payment",
            Kind::Chat => "events_chat",
            Kind::Item => "events_item",
            Kind::Member => "events_member",
            Kind::Checkin => "events_checkin",
            Kind::Erasure => "events_erasure",
            Kind::ModerationVerdict => "events_moderation_verdict",
        }
    }

    /// Position in [`Kind::ALL`], for per-kind counters.
    pub fn index(self) -> usize {
        self as usize
    }
}
