//! Bytes to [`Event`]: one pass of `serde_json` over the record, then validation against the field registry.
//!
//! The visitor parses every known key straight into its typed slot (no intermediate `Value` tree), keeps
//! unknown keys as borrowed raw JSON for the `extra` column, and remembers which field broke so the dead
//! letter can say so.

use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::fields::{FieldType, Storage};
use super::slots::{FieldId, Slots, Val, field_id, field_name, field_type};
use super::{
    Chat, Checkin, Event, Item, ItemKind, Kind, Like, Member, MemberAction, ModerationVerdict,
    Payload, Payment, PaymentKind, View,
};
use crate::moderation::VerdictOutcome;
use crate::reject::{Reason, Rejection};

/// Limits that validation enforces; all configurable (`[validation]` in the config file).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Longest accepted `text`, `title` or `note`, in bytes.
    pub max_text_bytes: usize,
    /// Earliest accepted event time, epoch ms (default 2010-01-01T00:00:00Z).
    pub min_ts_ms: i64,
    /// Latest accepted event time, epoch ms (default 2100-01-01T00:00:00Z).
    pub max_ts_ms: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_text_bytes: 16 * 1024,
            min_ts_ms: 1_262_304_000_000,
            max_ts_ms: 4_102_444_800_000,
        }
    }
}

/// The longest accepted id or label, in bytes.
pub const MAX_ID_BYTES: usize = 128;

/// Decodes and validates events under fixed [`Limits`].
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    limits: Limits,
}

impl Decoder {
    /// A decoder enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        Decoder { limits }
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Decodes one record. Never panics, whatever the bytes.
    ///
    /// ```
    /// use cohort_schemas::{Decoder, Kind, Reason};
    ///
    /// let decoder = Decoder::default();
    /// let event = decoder
    ///     .decode(br#"{"kind":"view","event_id":"e1","ts":"2026-11-01T08:00:00Z","community_id":"c","user_id":"u","item_id":"post-7"}"#)
    ///     .unwrap();
    /// assert_eq!(event.kind(), Kind::View);
    /// assert_eq!(event.ts_ms, 1_793_520_000_000);
    ///
    /// let rejected = decoder.decode(br#"{"kind":"view","event_id":""}"#).unwrap_err();
    /// assert_eq!(rejected.reason, Reason::EmptyField);
    /// ```
    pub fn decode(&self, bytes: &[u8]) -> Result<Event, Rejection> {
        let mut broken_field = None;
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let parsed = de
            .deserialize_map(SlotVisitor {
                broken_field: &mut broken_field,
            })
            .and_then(|slots| de.end().map(|()| slots));
        match parsed {
            Ok(slots) => slots.into_event(&self.limits),
            Err(e) => Err(classify(e, broken_field)),
        }
    }
}

fn classify(e: serde_json::Error, broken_field: Option<Rejection>) -> Rejection {
    use serde_json::error::Category;
    match (e.classify(), broken_field) {
        (Category::Data, Some(rejection)) => rejection,
        (Category::Data, None) => Rejection::new(Reason::NotAnObject, e.to_string()),
        _ => Rejection::new(Reason::MalformedJson, e.to_string()),
    }
}

struct SlotVisitor<'r> {
    broken_field: &'r mut Option<Rejection>,
}

impl<'de> Visitor<'de> for SlotVisitor<'_> {
    type Value = Slots<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut slots = Slots::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let Some(id) = field_id(&key.0) else {
                let raw: &'de RawValue = map.next_value()?;
                slots.unknown.push((key.0, raw));
                continue;
            };
            let value = match field_type(id) {
                Storage::Str => map.next_value::<Option<String>>().map(|v| v.map(Val::Str)),
                Storage::Int => map.next_value::<Option<i64>>().map(|v| v.map(Val::Int)),
                Storage::Bool => map.next_value::<Option<bool>>().map(|v| v.map(Val::Bool)),
                Storage::StrList => map
                    .next_value::<Option<Vec<String>>>()
                    .map(|v| v.map(Val::List)),
                Storage::Timestamp => map.next_value::<Option<TsValue>>().map(|v| v.map(|t| t.0)),
            };
            let value = value.inspect_err(|_| {
                *self.broken_field = Some(wrong_type(id));
            })?;
            if slots.vals[id].is_some() {
                *self.broken_field = Some(Rejection::new(
                    Reason::InvalidValue,
                    format!("`{}` appears twice", field_name(id)),
                ));
                return Err(de::Error::custom("duplicate field"));
            }
            slots.vals[id] = value;
        }
        Ok(slots)
    }
}

fn wrong_type(id: FieldId) -> Rejection {
    let (reason, expected) = match field_type(id) {
        Storage::Timestamp => (
            Reason::BadTimestamp,
            "an RFC 3339 string or epoch milliseconds",
        ),
        Storage::Str => (Reason::WrongType, "a string"),
        Storage::Int => (Reason::WrongType, "an integer"),
        Storage::Bool => (Reason::WrongType, "true or false"),
        Storage::StrList => (Reason::WrongType, "an array of strings"),
    };
    Rejection::new(reason, format!("`{}` must be {expected}", field_name(id)))
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(v.into()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(v.to_owned().into()))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// `ts` as either an RFC 3339 string or an integer of epoch milliseconds.
struct TsValue(Val);

impl<'de> de::Deserialize<'de> for TsValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TsVisitor;
        impl Visitor<'_> for TsVisitor {
            type Value = TsValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 string or epoch milliseconds")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TsValue, E> {
                crate::time::parse_rfc3339_ms(v)
                    .map(|ms| TsValue(Val::Ts(ms)))
                    .ok_or_else(|| E::custom("not an RFC 3339 timestamp"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TsValue, E> {
                Ok(TsValue(Val::Ts(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TsValue, E> {
                i64::try_from(v)
                    .map(|v| TsValue(Val::Ts(v)))
                    .map_err(|_| E::custom("timestamp out of range"))
            }
        }
        d.deserialize_any(TsVisitor)
    }
}

impl<'de> Slots<'de> {
    fn into_event(mut self, limits: &Limits) -> Result<Event, Rejection> {
        use super::slots::ids::*;
        if let Some(v) = self.int(V)?
            && v != 1
        {
            return Err(Rejection::new(
                Reason::BadVersion,
                format!("`v` is {v}; this cohort reads version 1"),
            ));
        }
        let kind_name = self.str(KIND)?.ok_or_else(|| Rejection::missing("kind"))?;
        let kind = Kind::from_name(&kind_name).ok_or_else(|| {
            Rejection::new(
                Reason::UnknownKind,
                format!("`kind` is {kind_name:?}; expected one of view, like, payment, chat, item, member, checkin, erasure, moderation_verdict"),
            )
        })?;
        let event_id = self.req_str(EVENT_ID, limits)?;
        let ts_ms = self.ts(limits)?;
        let community_id = self.req_str(COMMUNITY_ID, limits)?;
        let user_id = self.req_str(USER_ID, limits)?;
        let payload = self.payload(kind, limits)?;
        let extra = self.into_extra();
        Ok(Event {
            event_id,
            ts_ms,
            community_id,
            user_id,
            payload,
            extra,
        })
    }

    fn payload(&mut self, kind: Kind, limits: &Limits) -> Result<Payload, Rejection> {
        use super::slots::ids::*;
        Ok(match kind {
            Kind::View => Payload::View(View {
                item_id: self.req_str(ITEM_ID, limits)?,
                dwell_ms: self.opt_int(DWELL_MS)?,
                surface: self.opt_str(SURFACE, limits)?,
            }),
            Kind::Like => Payload::Like(Like {
                item_id: self.req_str(ITEM_ID, limits)?,
                undo: self.flag(UNDO)?,
            }),
            Kind::Payment => {
                let item_id = self.opt_str(ITEM_ID, limits)?;
                let plan_id = self.opt_str(PLAN_ID, limits)?;
                if item_id.is_none() && plan_id.is_none() {
                    return Err(Rejection::new(
                        Reason::MissingField,
                        "a payment needs `item_id` or `plan_id`",
                    ));
                }
                Payload::Payment(Payment {
                    item_id,
                    plan_id,
                    amount_minor: self.req_int(AMOUNT_MINOR)?,
                    currency: self.req_str(CURRENCY, limits)?,
                    payment_kind: self.req_enum(PAYMENT_KIND, PaymentKind::from_name, limits)?,
                })
            }
            Kind::Chat => Payload::Chat(Chat {
                channel_id: self.req_str(CHANNEL_ID, limits)?,
                message_id: self.req_str(MESSAGE_ID, limits)?,
                text: self.req_str(TEXT, limits)?,
                reply_to: self.opt_str(REPLY_TO, limits)?,
                mentions: self.list(MENTIONS)?,
                item_mentions: self.list(ITEM_MENTIONS)?,
            }),
            Kind::Item => Payload::Item(Item {
                item_id: self.req_str(ITEM_ID, limits)?,
                title: self.req_str(TITLE, limits)?,
                tags: self.list(TAGS)?,
                price_minor: self.opt_int(PRICE_MINOR)?,
                author_id: self.opt_str(AUTHOR_ID, limits)?,
                item_kind: self.req_enum(ITEM_KIND, ItemKind::from_name, limits)?,
                deleted: self.flag(DELETED)?,
            }),
            Kind::Member => Payload::Member(Member {
                action: self.req_enum(ACTION, MemberAction::from_name, limits)?,
                tier: self.opt_str(TIER, limits)?,
            }),
            Kind::Checkin => Payload::Checkin(Checkin {
                event_id_offline: self.req_str(EVENT_ID_OFFLINE, limits)?,
                location: self.opt_str(LOCATION, limits)?,
            }),
            Kind::Erasure => Payload::Erasure,
            Kind::ModerationVerdict => Payload::ModerationVerdict(ModerationVerdict {
                alert_id: self.req_str(ALERT_ID, limits)?,
                verdict: self.req_enum(VERDICT, VerdictOutcome::from_name, limits)?,
                note: self.opt_str(NOTE, limits)?,
            }),
        })
    }

    fn ts(&mut self, limits: &Limits) -> Result<i64, Rejection> {
        let Some(Val::Ts(ms)) = self.vals[super::slots::ids::TS].take() else {
            return Err(Rejection::missing("ts"));
        };
        if ms < limits.min_ts_ms || ms > limits.max_ts_ms {
            return Err(Rejection::new(
                Reason::TsOutOfRange,
                format!(
                    "`ts` {} is outside the accepted range {} .. {}",
                    crate::time::format_rfc3339_ms(ms),
                    crate::time::format_rfc3339_ms(limits.min_ts_ms),
                    crate::time::format_rfc3339_ms(limits.max_ts_ms)
                ),
            ));
        }
        Ok(ms)
    }

    fn req_str(&mut self, id: FieldId, limits: &Limits) -> Result<String, Rejection> {
        self.opt_str(id, limits)?
            .ok_or_else(|| Rejection::missing(field_name(id)))
    }

    fn opt_str(&mut self, id: FieldId, limits: &Limits) -> Result<Option<String>, Rejection> {
        let Some(s) = self.str(id)? else {
            return Ok(None);
        };
        check_str(id, &s, limits)?;
        Ok(Some(s))
    }

    fn req_enum<T>(
        &mut self,
        id: FieldId,
        parse: fn(&str) -> Option<T>,
        limits: &Limits,
    ) -> Result<T, Rejection> {
        let s = self.req_str(id, limits)?;
        parse(&s).ok_or_else(|| {
            let allowed = match super::slots::registry_type(id) {
                FieldType::Enum(names) => names.join(", "),
                _ => String::new(),
            };
            Rejection::new(
                Reason::InvalidValue,
                format!("`{}` is {s:?}; expected one of {allowed}", field_name(id)),
            )
        })
    }

    fn req_int(&mut self, id: FieldId) -> Result<i64, Rejection> {
        self.opt_int(id)?
            .ok_or_else(|| Rejection::missing(field_name(id)))
    }

    fn opt_int(&mut self, id: FieldId) -> Result<Option<i64>, Rejection> {
        let value = self.int(id)?;
        if let Some(v) = value
            && v < 0
        {
            let reason = match super::slots::registry_type(id) {
                FieldType::Amount => Reason::NegativeAmount,
                _ => Reason::InvalidValue,
            };
            return Err(Rejection::new(
                reason,
                format!("`{}` is {v}; it must not be negative", field_name(id)),
            ));
        }
        Ok(value)
    }

    fn flag(&mut self, id: FieldId) -> Result<bool, Rejection> {
        Ok(matches!(self.vals[id].take(), Some(Val::Bool(true))))
    }

    fn list(&mut self, id: FieldId) -> Result<Vec<String>, Rejection> {
        let Some(Val::List(items)) = self.vals[id].take() else {
            return Ok(Vec::new());
        };
        let is_id = super::slots::registry_type(id) == FieldType::IdList;
        for item in &items {
            check_short(id, item, is_id)?;
        }
        Ok(items)
    }

    fn str(&mut self, id: FieldId) -> Result<Option<String>, Rejection> {
        Ok(match self.vals[id].take() {
            Some(Val::Str(s)) => Some(s),
            _ => None,
        })
    }

    fn int(&mut self, id: FieldId) -> Result<Option<i64>, Rejection> {
        Ok(match self.vals[id].take() {
            Some(Val::Int(v)) => Some(v),
            _ => None,
        })
    }
}

fn check_str(id: FieldId, s: &str, limits: &Limits) -> Result<(), Rejection> {
    match super::slots::registry_type(id) {
        FieldType::Id => check_short(id, s, true),
        FieldType::Label => check_short(id, s, false),
        FieldType::Text if s.len() > limits.max_text_bytes => Err(Rejection::new(
            Reason::TextTooLong,
            format!(
                "`{}` has {} bytes; the limit is {}",
                field_name(id),
                s.len(),
                limits.max_text_bytes
            ),
        )),
        FieldType::Currency if s.len() != 3 || !s.bytes().all(|b| b.is_ascii_uppercase()) => {
            Err(Rejection::new(
                Reason::BadCurrency,
                format!("`currency` is {s:?}; expected three upper-case letters such as CNY"),
            ))
        }
        _ => Ok(()),
    }
}

fn check_short(id: FieldId, s: &str, is_id: bool) -> Result<(), Rejection> {
    if is_id && s.is_empty() {
        return Err(Rejection::new(
            Reason::EmptyField,
            format!("`{}` is empty", field_name(id)),
        ));
    }
    if s.len() > MAX_ID_BYTES {
        let reason = if is_id {
            Reason::IdTooLong
        } else {
            Reason::TextTooLong
        };
        return Err(Rejection::new(
            reason,
            format!(
                "`{}` has {} bytes; the limit is {MAX_ID_BYTES}",
                field_name(id),
                s.len()
            ),
        ));
    }
    Ok(())
}
