//! The decoder's scratch space: one typed slot per known wire field.
//!
//! Field ids are small integers so that a key lookup is one `match` and a slot access one index; the
//! names and types come from the registry in `fields.rs` (a test keeps the two tables in step).

use serde_json::value::RawValue;

use super::fields::{
    FieldType, ITEM_KINDS, MEMBER_ACTIONS, PAYMENT_KINDS, Storage, VERDICT_OUTCOMES,
};

/// Index of a known field.
pub(super) type FieldId = usize;

/// Field ids, one constant per known wire field.
#[allow(missing_docs)]
pub(super) mod ids {
    pub const V: usize = 0;
    pub const KIND: usize = 1;
    pub const EVENT_ID: usize = 2;
    pub const TS: usize = 3;
    pub const COMMUNITY_ID: usize = 4;
    pub const USER_ID: usize = 5;
    pub const ITEM_ID: usize = 6;
    pub const DWELL_MS: usize = 7;
    pub const SURFACE: usize = 8;
    pub const UNDO: usize = 9;
    pub const PLAN_ID: usize = 10;
    pub const AMOUNT_MINOR: usize = 11;
    pub const CURRENCY: usize = 12;
    pub const PAYMENT_KIND: usize = 13;
    pub const CHANNEL_ID: usize = 14;
    pub const MESSAGE_ID: usize = 15;
    pub const TEXT: usize = 16;
    pub const REPLY_TO: usize = 17;
    pub const MENTIONS: usize = 18;
    pub const ITEM_MENTIONS: usize = 19;
    pub const TITLE: usize = 20;
    pub const TAGS: usize = 21;
    pub const PRICE_MINOR: usize = 22;
    pub const AUTHOR_ID: usize = 23;
    pub const ITEM_KIND: usize = 24;
    pub const DELETED: usize = 25;
    pub const ACTION: usize = 26;
    pub const TIER: usize = 27;
    pub const EVENT_ID_OFFLINE: usize = 28;
    pub const LOCATION: usize = 29;
    pub const ALERT_ID: usize = 30;
    pub const VERDICT: usize = 31;
    pub const NOTE: usize = 32;
}

/// Number of known wire fields.
pub(super) const FIELD_COUNT: usize = 33;

/// Name and registry type of every field id (`v` and `kind` are envelope fields outside the registry).
const TABLE: [(&str, FieldType); FIELD_COUNT] = [
    ("v", FieldType::Count),
    ("kind", FieldType::Label),
    ("event_id", FieldType::Id),
    ("ts", FieldType::Timestamp),
    ("community_id", FieldType::Id),
    ("user_id", FieldType::Id),
    ("item_id", FieldType::Id),
    ("dwell_ms", FieldType::Count),
    ("surface", FieldType::Label),
    ("undo", FieldType::Flag),
    ("plan_id", FieldType::Id),
    ("amount_minor", FieldType::Amount),
    ("currency", FieldType::Currency),
    ("payment_kind", FieldType::Enum(PAYMENT_KINDS)),
    ("channel_id", FieldType::Id),
    ("message_id", FieldType::Id),
    ("text", FieldType::Text),
    ("reply_to", FieldType::Id),
    ("mentions", FieldType::IdList),
    ("item_mentions", FieldType::IdList),
    ("title", FieldType::Text),
    ("tags", FieldType::LabelList),
    ("price_minor", FieldType::Amount),
    ("author_id", FieldType::Id),
    ("item_kind", FieldType::Enum(ITEM_KINDS)),
    ("deleted", FieldType::Flag),
    ("action", FieldType::Enum(MEMBER_ACTIONS)),
    ("tier", FieldType::Label),
    ("event_id_offline", FieldType::Id),
    ("location", FieldType::Label),
    ("alert_id", FieldType::Id),
    ("verdict", FieldType::Enum(VERDICT_OUTCOMES)),
    ("note", FieldType::Text),
];

/// The id of a known wire field, by a single `match` (this runs for every key of every event).
pub(super) fn field_id(name: &str) -> Option<FieldId> {
    use ids::*;
    Some(match name {
        "v" => V,
        "kind" => KIND,
        "event_id" => EVENT_ID,
        "ts" => TS,
        "community_id" => COMMUNITY_ID,
        "user_id" => USER_ID,
        "item_id" => ITEM_ID,
        "dwell_ms" => DWELL_MS,
        "surface" => SURFACE,
        "undo" => UNDO,
        "plan_id" => PLAN_ID,
        "amount_minor" => AMOUNT_MINOR,
        "currency" => CURRENCY,
        "payment_kind" => PAYMENT_KIND,
        "channel_id" => CHANNEL_ID,
        "message_id" => MESSAGE_ID,
        "text" => TEXT,
        "reply_to" => REPLY_TO,
        "mentions" => MENTIONS,
        "item_mentions" => ITEM_MENTIONS,
        "title" => TITLE,
        "tags" => TAGS,
        "price_minor" => PRICE_MINOR,
        "author_id" => AUTHOR_ID,
        "item_kind" => ITEM_KIND,
        "deleted" => DELETED,
        "action" => ACTION,
        "tier" => TIER,
        "event_id_offline" => EVENT_ID_OFFLINE,
        "location" => LOCATION,
        "alert_id" => ALERT_ID,
        "verdict" => VERDICT,
        "note" => NOTE,
        _ => return None,
    })
}

/// The wire name of a field id.
pub(super) fn field_name(id: FieldId) -> &'static str {
    TABLE[id].0
}

/// The registry type of a field id.
pub(super) fn registry_type(id: FieldId) -> FieldType {
    TABLE[id].1
}

/// How a field id is parsed.
pub(super) fn field_type(id: FieldId) -> Storage {
    TABLE[id].1.storage()
}

/// A parsed value in a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Val {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<String>),
    Ts(i64),
}

/// Every known field of one record, plus its unknown fields as raw JSON.
#[derive(Debug)]
pub(super) struct Slots<'de> {
    pub(super) vals: [Option<Val>; FIELD_COUNT],
    pub(super) unknown: Vec<(std::borrow::Cow<'de, str>, &'de RawValue)>,
}

// `Default` is derived for arrays of at most 32 elements only.
impl Default for Slots<'_> {
    fn default() -> Self {
        Slots {
            vals: std::array::from_fn(|_| None),
            unknown: Vec::new(),
        }
    }
}

impl Slots<'_> {
    /// The fields the wire format does not define for this kind, as one compact JSON object.
    ///
    /// Call after the event's own fields were taken: what is left in the slots belongs to other kinds
    /// and is kept, like unknown keys, rather than silently dropped.
    pub(super) fn into_extra(self) -> Option<String> {
        let leftovers: Vec<(usize, Val)> = self
            .vals
            .into_iter()
            .enumerate()
            .filter_map(|(id, v)| v.map(|v| (id, v)))
            .collect();
        if self.unknown.is_empty() && leftovers.is_empty() {
            return None;
        }
        let mut out = String::from("{");
        let push_key = |out: &mut String, key: &str| {
            if out.len() > 1 {
                out.push(',');
            }
            out.push_str(&serde_json::Value::from(key).to_string());
            out.push(':');
        };
        for (key, raw) in &self.unknown {
            push_key(&mut out, key);
            out.push_str(raw.get());
        }
        for (id, val) in leftovers {
            push_key(&mut out, field_name(id));
            let json = match val {
                Val::Str(s) => serde_json::Value::from(s),
                Val::Int(v) | Val::Ts(v) => serde_json::Value::from(v),
                Val::Bool(b) => serde_json::Value::from(b),
                Val::List(l) => serde_json::Value::from(l),
            };
            out.push_str(&json.to_string());
        }
        out.push('}');
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{COMMON, Kind, kind_fields};

    #[test]
    fn table_agrees_with_registry_and_match() {
        for (id, (name, _)) in TABLE.iter().enumerate() {
            assert_eq!(field_id(name), Some(id), "{name}");
        }
        let registry = COMMON
            .iter()
            .chain(Kind::ALL.iter().flat_map(|k| kind_fields(*k)));
        for spec in registry {
            let id = field_id(spec.name).expect("registry field has a slot");
            assert_eq!(registry_type(id), spec.ty, "{}", spec.name);
        }
    }
}
