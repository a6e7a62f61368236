//! Property tests of the wire format: every valid event survives JSON → Rust → Arrow → Parquet → Arrow
//! unchanged, and no input, however broken, panics the decoder or escapes without a reason.
#![allow(clippy::unwrap_used)]

use cohort_schemas::event::encode::to_json_line;
use cohort_schemas::event::{
    Chat, Checkin, Item, ItemKind, Like, Member, MemberAction, ModerationVerdict, Payment,
    PaymentKind, View,
};
use cohort_schemas::lake::{EventBatchBuilder, event_schema, events_from_batch};
use cohort_schemas::moderation::VerdictOutcome;
use cohort_schemas::{Decoder, Event, Kind, Payload, Reason};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;
use serde_json::Value;

fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9_-]{1,12}",
        "[\\PC]{1,20}".prop_filter("ids are at most 128 bytes", |s| s.len() <= 128),
        Just("x".repeat(128)),
    ]
}

fn label() -> impl Strategy<Value = String> {
    "[\\PC]{0,16}".prop_filter("labels are at most 128 bytes", |s| s.len() <= 128)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[\\PC]{0,200}",
        "[a-z \"\\\\\n\t]{0,50}",
        "[加我微信一起学习课程]{0,30}"
    ]
}

fn payload() -> impl Strategy<Value = Payload> {
    let ids = || proptest::collection::vec(id(), 0..4);
    prop_oneof![
        (
            id(),
            proptest::option::of(0i64..10_000_000),
            proptest::option::of(label())
        )
            .prop_map(|(item_id, dwell_ms, surface)| Payload::View(View {
                item_id,
                dwell_ms,
                surface
            })),
        (id(), any::<bool>()).prop_map(|(item_id, undo)| Payload::Like(Like { item_id, undo })),
        (
            proptest::option::of(id()),
            proptest::option::of(id()),
            0i64..i64::MAX,
            "[A-Z]{3}",
            proptest::sample::select(PaymentKind::ALL),
        )
            .prop_filter("item or plan", |p| p.0.is_some() || p.1.is_some())
            .prop_map(|(item_id, plan_id, amount_minor, currency, payment_kind)| {
                Payload::Payment(Payment {
                    item_id,
                    plan_id,
                    amount_minor,
                    currency,
                    payment_kind,
                })
            }),
        (id(), id(), text(), proptest::option::of(id()), ids(), ids()).prop_map(
            |(channel_id, message_id, text, reply_to, mentions, item_mentions)| {
                Payload::Chat(Chat {
                    channel_id,
                    message_id,
                    text,
                    reply_to,
                    mentions,
                    item_mentions,
                })
            }
        ),
        (
            id(),
            text(),
            proptest::collection::vec(label(), 0..4),
            proptest::option::of(0i64..1_000_000),
            proptest::option::of(id()),
            proptest::sample::select(ItemKind::ALL),
            any::<bool>(),
        )
            .prop_map(
                |(item_id, title, tags, price_minor, author_id, item_kind, deleted)| {
                    Payload::Item(Item {
                        item_id,
                        title,
                        tags,
                        price_minor,
                        author_id,
                        item_kind,
                        deleted,
                    })
                }
            ),
        (
            proptest::sample::select(MemberAction::ALL),
            proptest::option::of(label())
        )
            .prop_map(|(action, tier)| Payload::Member(Member { action, tier })),
        (id(), proptest::option::of(label())).prop_map(|(event_id_offline, location)| {
            Payload::Checkin(Checkin {
                event_id_offline,
                location,
            })
        }),
        Just(Payload::Erasure),
        (
            id(),
            proptest::sample::select(vec![VerdictOutcome::Confirmed, VerdictOutcome::Dismissed]),
            proptest::option::of(text()),
        )
            .prop_map(|(alert_id, verdict, note)| {
                Payload::ModerationVerdict(ModerationVerdict {
                    alert_id,
                    verdict,
                    note,
                })
            }),
    ]
}

fn extra() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(
        proptest::collection::btree_map(
            "zz_[a-z]{1,6}",
            prop_oneof![
                any::<i32>().prop_map(Value::from),
                "[\\PC]{0,10}".prop_map(Value::from),
                any::<bool>().prop_map(Value::from),
            ],
            1..3,
        )
        .prop_map(|m| Value::Object(m.into_iter().collect()).to_string()),
    )
}

prop_compose! {
    fn event()(
        event_id in id(),
        ts_ms in 1_262_304_000_000i64..4_102_444_800_000,
        community_id in id(),
        user_id in id(),
        payload in payload(),
        extra in extra(),
    ) -> Event {
        Event { event_id, ts_ms, community_id, user_id, payload, extra }
    }
}

fn parquet_round_trip(kind: Kind, events: &[Event]) -> Vec<Event> {
    let mut builder = EventBatchBuilder::new(kind);
    for e in events {
        builder.append(e);
    }
    let batch = builder.finish().unwrap();
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, event_schema(kind), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .unwrap()
        .build()
        .unwrap();
    let mut back = Vec::new();
    for batch in reader {
        back.extend(events_from_batch(kind, &batch.unwrap()).unwrap());
    }
    back
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn valid_events_round_trip_through_json_arrow_and_parquet(events in proptest::collection::vec(event(), 1..20)) {
        let decoder = Decoder::default();
        for original in &events {
            let line = to_json_line(original);
            let decoded = decoder.decode(line.as_bytes()).map_err(|r| TestCaseError::fail(format!("{r}: {line}")))?;
            prop_assert_eq!(&decoded, original, "json: {}", line);
        }
        for kind in Kind::ALL {
            let of_kind: Vec<Event> = events.iter().filter(|e| e.kind() == kind).cloned().collect();
            if !of_kind.is_empty() {
                prop_assert_eq!(parquet_round_trip(kind, &of_kind), of_kind);
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Decoder::default().decode(&bytes);
    }

    #[test]
    fn byte_mutations_of_valid_events_never_panic(e in event(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut line = to_json_line(&e).into_bytes();
        let i = at.index(line.len());
        line[i] = byte;
        let _ = Decoder::default().decode(&line);
    }

    #[test]
    fn breaking_mutations_are_rejected_with_their_reason(e in event(), cut in any::<prop::sample::Index>(), which in 0usize..6) {
        let line = to_json_line(&e);
        let mut json: Value = serde_json::from_str(&line).unwrap();
        let (broken, reason) = match which {
            0 => (String::from_utf8_lossy(&line.as_bytes()[..cut.index(line.len() - 1)]).into_owned(), Reason::MalformedJson),
            1 => { json.as_object_mut().unwrap().remove("event_id"); (json.to_string(), Reason::MissingField) }
            2 => { json["user_id"] = "".into(); (json.to_string(), Reason::EmptyField) }
            3 => { json["community_id"] = "c".repeat(129).into(); (json.to_string(), Reason::IdTooLong) }
            4 => { json["ts"] = "yesterday".into(); (json.to_string(), Reason::BadTimestamp) }
            _ => { json["kind"] = "poke".into(); (json.to_string(), Reason::UnknownKind) }
        };
        let rejection = Decoder::default().decode(broken.as_bytes()).expect_err("must be rejected");
        prop_assert_eq!(rejection.reason, reason, "{}: {}", rejection.detail, broken);
    }
}

#[test]
fn each_reason_is_reachable_with_a_clear_detail() {
    let d = Decoder::default();
    let base = r#""event_id":"e1","ts":"2026-11-01T08:00:00Z","community_id":"c","user_id":"u""#;
    let cases: &[(&str, Reason, &str)] = &[
        ("{", Reason::MalformedJson, "EOF"),
        ("[1,2]", Reason::NotAnObject, "object"),
        (
            &format!(r#"{{"v":2,"kind":"view",{base},"item_id":"i"}}"#),
            Reason::BadVersion,
            "version 1",
        ),
        (
            &format!(r#"{{"kind":"poke",{base}}}"#),
            Reason::UnknownKind,
            "poke",
        ),
        (
            &format!(r#"{{"kind":"view",{base}}}"#),
            Reason::MissingField,
            "item_id",
        ),
        (
            &format!(r#"{{"kind":"view",{base},"item_id":7}}"#),
            Reason::WrongType,
            "item_id",
        ),
        (
            &format!(r#"{{"kind":"view",{base},"item_id":""}}"#),
            Reason::EmptyField,
            "item_id",
        ),
        (
            &format!(
                r#"{{"kind":"payment",{base},"item_id":"i","amount_minor":5,"currency":"CNY","payment_kind":"gift"}}"#
            ),
            Reason::InvalidValue,
            "payment_kind",
        ),
        (
            &format!(
                r#"{{"kind":"payment",{base},"item_id":"i","amount_minor":-5,"currency":"CNY","payment_kind":"refund"}}"#
            ),
            Reason::NegativeAmount,
            "amount_minor",
        ),
        (
            &format!(
                r#"{{"kind":"payment",{base},"item_id":"i","amount_minor":5,"currency":"yuan","payment_kind":"purchase"}}"#
            ),
            Reason::BadCurrency,
            "currency",
        ),
        (
            &format!(
                r#"{{"kind":"payment",{base},"amount_minor":5,"currency":"CNY","payment_kind":"purchase"}}"#
            ),
            Reason::MissingField,
            "plan_id",
        ),
        (
            r#"{"kind":"erasure","event_id":"e","ts":5,"community_id":"c","user_id":"u"}"#,
            Reason::TsOutOfRange,
            "outside",
        ),
        (
            &format!(
                r#"{{"kind":"chat",{base},"channel_id":"g","message_id":"m","text":"{}"}}"#,
                "a".repeat(16 * 1024 + 1)
            ),
            Reason::TextTooLong,
            "text",
        ),
        (
            &format!(r#"{{"kind":"view",{base},"item_id":"i","item_id":"j"}}"#),
            Reason::InvalidValue,
            "twice",
        ),
    ];
    for (input, reason, needle) in cases {
        let r = d.decode(input.as_bytes()).expect_err(input);
        assert_eq!(r.reason, *reason, "{input}: {}", r.detail);
        assert!(
            r.detail.contains(needle),
            "{:?} should mention {needle}",
            r.detail
        );
    }
}

#[test]
fn unknown_and_foreign_fields_are_kept_in_extra_and_nulls_are_absent() {
    let e = Decoder::default()
        .decode(br#"{"kind":"view","event_id":"e","ts":1793520000000,"community_id":"c","user_id":"u","item_id":"i","surface":null,"title":"t","app":{"ver":"2.1"}}"#)
        .unwrap();
    let extra: Value = serde_json::from_str(e.extra.as_deref().unwrap()).unwrap();
    assert_eq!(
        extra,
        serde_json::json!({"app": {"ver": "2.1"}, "title": "t"})
    );
    assert_eq!(
        e.payload,
        Payload::View(View {
            item_id: "i".into(),
            dwell_ms: None,
            surface: None
        })
    );
}

#[test]
fn schema_columns_follow_the_registry() {
    let schema = event_schema(Kind::Payment);
    let names: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "event_id",
            "ts",
            "community_id",
            "user_id",
            "item_id",
            "plan_id",
            "amount_minor",
            "currency",
            "payment_kind",
            "extra"
        ]
    );
}
