//! The field registry: one table that says, for every kind, which fields exist, their types and rules.
//!
//! The decoder, the Arrow schemas of the lake tables and the JSON Schema files under `schemas/json/` all
//! follow this table (a test compares the JSON Schema files with it), so a field is added in one place.

use super::Kind;

/// The type of a field, which also fixes its validation rule and its Arrow column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// An opaque id: a non-empty string of at most 128 bytes.
    Id,
    /// Free text limited by the configured text size (`text`, `title`).
    Text,
    /// A short free-form label of at most 128 bytes (`surface`, `tier`, `location`).
    Label,
    /// An ISO 4217-shaped currency code: three upper-case ASCII letters.
    Currency,
    /// A non-negative integer amount in minor units.
    Amount,
    /// A non-negative integer count or duration.
    Count,
    /// A boolean that defaults to false when absent.
    Flag,
    /// An array of ids (empty when absent).
    IdList,
    /// An array of labels (empty when absent).
    LabelList,
    /// RFC 3339 string or epoch milliseconds.
    Timestamp,
    /// One of a closed set of strings.
    Enum(&'static [&'static str]),
}

/// How a field's value is represented, in JSON and in Arrow alike: the five shapes every
/// [`FieldType`] maps to. Decoder slots, Arrow columns and readers all switch on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// A string (Arrow `Utf8`).
    Str,
    /// A signed 64-bit integer (Arrow `Int64`).
    Int,
    /// A boolean.
    Bool,
    /// An array of strings (Arrow `List<Utf8>`).
    StrList,
    /// Epoch milliseconds (Arrow `Timestamp(ms, UTC)`).
    Timestamp,
}

impl FieldType {
    /// The shape values of this type take.
    pub fn storage(self) -> Storage {
        match self {
            FieldType::Id
            | FieldType::Text
            | FieldType::Label
            | FieldType::Currency
            | FieldType::Enum(_) => Storage::Str,
            FieldType::Amount | FieldType::Count => Storage::Int,
            FieldType::Flag => Storage::Bool,
            FieldType::IdList | FieldType::LabelList => Storage::StrList,
            FieldType::Timestamp => Storage::Timestamp,
        }
    }

    /// Whether the lake column can hold nulls: flags and lists always have a value.
    pub fn always_present(self) -> bool {
        matches!(
            self,
            FieldType::Flag | FieldType::IdList | FieldType::LabelList
        )
    }
}

/// One field of the wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The JSON key and the lake column name.
    pub name: &'static str,
    /// Type and rule.
    pub ty: FieldType,
    /// Whether the wire format requires it.
    pub required: bool,
    /// What it means (goes into the JSON Schema `description`).
    pub doc: &'static str,
}

const fn req(name: &'static str, ty: FieldType, doc: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        required: true,
        doc,
    }
}

const fn opt(name: &'static str, ty: FieldType, doc: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        required: false,
        doc,
    }
}

/// Wire names of [`super::PaymentKind`].
pub const PAYMENT_KINDS: &[&str] = &["purchase", "subscription", "renewal", "refund"];
/// Wire names of [`super::ItemKind`].
pub const ITEM_KINDS: &[&str] = &["post", "course", "lesson", "live", "event"];
/// Wire names of [`super::MemberAction`].
pub const MEMBER_ACTIONS: &[&str] = &["join", "leave", "role"];
/// Wire names of [`crate::moderation::VerdictOutcome`].
pub const VERDICT_OUTCOMES: &[&str] = &["confirmed", "dismissed"];

/// Fields every kind has, in lake column order.
pub const COMMON: &[FieldSpec] = &[
    req(
        "event_id",
        FieldType::Id,
        "Unique id of the event, used for de-duplication.",
    ),
    req(
        "ts",
        FieldType::Timestamp,
        "Event time: RFC 3339 or epoch milliseconds.",
    ),
    req(
        "community_id",
        FieldType::Id,
        "The community; the Kafka key.",
    ),
    req(
        "user_id",
        FieldType::Id,
        "The member who acted (for an erasure, the member to forget).",
    ),
];

const VIEW: &[FieldSpec] = &[
    req("item_id", FieldType::Id, "The item viewed."),
    opt(
        "dwell_ms",
        FieldType::Count,
        "How long the member stayed, in milliseconds.",
    ),
    opt(
        "surface",
        FieldType::Label,
        "Where the view came from (feed, search, ...).",
    ),
];
const LIKE: &[FieldSpec] = &[
    req("item_id", FieldType::Id, "The item liked."),
    opt(
        "undo",
        FieldType::Flag,
        "True when this retracts an earlier like.",
    ),
];
const PAYMENT: &[FieldSpec] = &[
    opt(
        "item_id",
        FieldType::Id,
        "The item paid for (this or plan_id is required).",
    ),
    opt(
        "plan_id",
        FieldType::Id,
        "The subscription plan paid for (this or item_id is required).",
    ),
    req(
        "amount_minor",
        FieldType::Amount,
        "Amount in minor units (fen, cents); never negative.",
    ),
    req("currency", FieldType::Currency, "ISO 4217 currency code."),
    req(
        "payment_kind",
        FieldType::Enum(PAYMENT_KINDS),
        "What the payment was for.",
    ),
];
const CHAT: &[FieldSpec] = &[
    req("channel_id", FieldType::Id, "The channel."),
    req("message_id", FieldType::Id, "The message id."),
    req("text", FieldType::Text, "The message text."),
    opt("reply_to", FieldType::Id, "The message this one answers."),
    opt("mentions", FieldType::IdList, "Members mentioned."),
    opt("item_mentions", FieldType::IdList, "Items mentioned."),
];
const ITEM: &[FieldSpec] = &[
    req("item_id", FieldType::Id, "The item."),
    req("title", FieldType::Text, "Its title."),
    opt("tags", FieldType::LabelList, "Its tags."),
    opt(
        "price_minor",
        FieldType::Amount,
        "Its price in minor units.",
    ),
    opt("author_id", FieldType::Id, "Its author."),
    req(
        "item_kind",
        FieldType::Enum(ITEM_KINDS),
        "What sort of item it is.",
    ),
    opt(
        "deleted",
        FieldType::Flag,
        "True when the item was deleted.",
    ),
];
const MEMBER: &[FieldSpec] = &[
    req(
        "action",
        FieldType::Enum(MEMBER_ACTIONS),
        "Join, leave or role change.",
    ),
    opt(
        "tier",
        FieldType::Label,
        "Membership tier after the change.",
    ),
];
const CHECKIN: &[FieldSpec] = &[
    req(
        "event_id_offline",
        FieldType::Id,
        "The offline meetup's id.",
    ),
    opt("location", FieldType::Label, "Where it took place."),
];
const MODERATION_VERDICT: &[FieldSpec] = &[
    req(
        "alert_id",
        FieldType::Id,
        "The moderation alert judged: moderation:<community>:<member>:<rule>:<first seen ms>.",
    ),
    req(
        "verdict",
        FieldType::Enum(VERDICT_OUTCOMES),
        "Confirmed (the alert was right) or dismissed (a false positive).",
    ),
    opt("note", FieldType::Text, "The moderator's free-text note."),
];

/// The kind-specific fields of `kind`, in lake column order (after [`COMMON`]).
pub fn kind_fields(kind: Kind) -> &'static [FieldSpec] {
    match kind {
        Kind::View => VIEW,
        Kind::Like => LIKE,
        Kind::Payment => PAYMENT,
        Kind::Chat => CHAT,
        Kind::Item => ITEM,
        Kind::Member => MEMBER,
        Kind::Checkin => CHECKIN,
        Kind::Erasure => &[],
        Kind::ModerationVerdict => MODERATION_VERDICT,
    }
}

/// Every field of `kind` in lake column order: [`COMMON`] then [`kind_fields`].
pub fn fields_of(kind: Kind) -> impl Iterator<Item = &'static FieldSpec> {
    COMMON.iter().chain(kind_fields(kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{ItemKind, MemberAction, PaymentKind};
    use crate::moderation::VerdictOutcome;

    #[test]
    fn vocabularies_match_the_rust_enums() {
        assert_eq!(
            PAYMENT_KINDS.to_vec(),
            PaymentKind::ALL
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
        );
        assert_eq!(
            ITEM_KINDS.to_vec(),
            ItemKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>()
        );
        assert_eq!(
            MEMBER_ACTIONS.to_vec(),
            MemberAction::ALL
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
        );
        assert_eq!(
            VERDICT_OUTCOMES.to_vec(),
            [VerdictOutcome::Confirmed, VerdictOutcome::Dismissed]
                .map(VerdictOutcome::name)
                .to_vec()
        );
        for name in VERDICT_OUTCOMES {
            let outcome = VerdictOutcome::from_name(name).expect("a wire name parses");
            assert_eq!(outcome.name(), *name);
        }
    }

    #[test]
    fn a_field_name_has_one_type_across_kinds() {
        let mut seen: Vec<&FieldSpec> = COMMON.iter().collect();
        for kind in Kind::ALL {
            for f in kind_fields(kind) {
                if let Some(other) = seen.iter().find(|s| s.name == f.name) {
                    assert_eq!(other.ty, f.ty, "{} differs between kinds", f.name);
                } else {
                    seen.push(f);
                }
            }
        }
    }
}
