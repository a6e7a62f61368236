//! [`Event`] to its canonical JSON: what `cohort produce` and tests write, and what the decoder reads back.

use serde_json::{Map, Value};

use super::{Event, Payload};

/// The canonical JSON object of an event: `v`, `kind`, the common fields (`ts` as RFC 3339 in UTC with
/// milliseconds), the payload's fields (absent optionals left out) and the `extra` fields merged back in.
pub fn to_json(event: &Event) -> Value {
    let mut m = Map::new();
    m.insert("v".into(), 1.into());
    m.insert("kind".into(), event.kind().name().into());
    m.insert("event_id".into(), event.event_id.clone().into());
    m.insert(
        "ts".into(),
        crate::time::format_rfc3339_ms(event.ts_ms).into(),
    );
    m.insert("community_id".into(), event.community_id.clone().into());
    m.insert("user_id".into(), event.user_id.clone().into());
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.into(), v);
        }
    };
    let s = |v: &String| Some(Value::from(v.clone()));
    let os = |v: &Option<String>| v.clone().map(Value::from);
    let oi = |v: &Option<i64>| v.map(Value::from);
    let list = |v: &Vec<String>| (!v.is_empty()).then(|| Value::from(v.clone()));
    match &event.payload {
        Payload::View(p) => {
            put("item_id", s(&p.item_id));
            put("dwell_ms", oi(&p.dwell_ms));
            put("surface", os(&p.surface));
        }
        Payload::Like(p) => {
            put("item_id", s(&p.item_id));
            put("undo", p.undo.then_some(Value::Bool(true)));
        }
        Payload::Payment(p) => {
            put("item_id", os(&p.item_id));
            put("plan_id", os(&p.plan_id));
            put("amount_minor", Some(p.amount_minor.into()));
            put("currency", s(&p.currency));
            put("payment_kind", Some(p.payment_kind.name().into()));
        }
        Payload::Chat(p) => {
            put("channel_id", s(&p.channel_id));
            put("message_id", s(&p.message_id));
            put("text", s(&p.text));
            put("reply_to", os(&p.reply_to));
            put("mentions", list(&p.mentions));
            put("item_mentions", list(&p.item_mentions));
        }
        Payload::Item(p) => {
            put("item_id", s(&p.item_id));
            put("title", s(&p.title));
            put("tags", list(&p.tags));
            put("price_minor", oi(&p.price_minor));
            put("author_id", os(&p.author_id));
            put("item_kind", Some(p.item_kind.name().into()));
            put("deleted", p.deleted.then_some(Value::Bool(true)));
        }
        Payload::Member(p) => {
            put("action", Some(p.action.name().into()));
            put("tier", os(&p.tier));
        }
        Payload::Checkin(p) => {
            put("event_id_offline", s(&p.event_id_offline));
            put("location", os(&p.location));
        }
        Payload::Erasure => {}
        Payload::ModerationVerdict(p) => {
            put("alert_id", s(&p.alert_id));
            put("verdict", Some(p.verdict.name().into()));
            put("note", os(&p.note));
        }
    }
    if let Some(Ok(Value::Object(extra))) = event.extra.as_deref().map(serde_json::from_str) {
        for (k, v) in extra {
            m.entry(k).or_insert(v);
        }
    }
    Value::Object(m)
}

/// The canonical JSON of an event as one line (no trailing newline).
pub fn to_json_line(event: &Event) -> String {
    to_json(event).to_string()
}
