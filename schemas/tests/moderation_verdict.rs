//! The `moderation_verdict` kind: what decodes, what is rejected and why, the canonical JSON, and
//! the `events_moderation_verdict` lake table.
#![allow(clippy::unwrap_used)]

use cohort_schemas::event::ModerationVerdict;
use cohort_schemas::event::encode::{to_json, to_json_line};
use cohort_schemas::lake::{EventBatchBuilder, LakeTable, event_schema, events_from_batch};
use cohort_schemas::moderation::{VerdictOutcome, alert_id};
use cohort_schemas::{Decoder, Event, Kind, Payload, Reason};
use datafusion::arrow::array::{Array, StringArray};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Value, json};

const ALERT: &str = "moderation:c1:u7:pii.mobile:1000";
const TS_MS: i64 = 1_793_520_000_000;

/// A verdict record with the common fields and `fields` (each with its leading comma).
fn record(fields: &str) -> String {
    format!(
        r#"{{"kind":"moderation_verdict","event_id":"v1","ts":"2026-11-01T08:00:00Z","community_id":"c1","user_id":"mod1"{fields}}}"#
    )
}

fn verdict(event_id: &str, outcome: VerdictOutcome, note: Option<&str>) -> Event {
    Event {
        event_id: event_id.into(),
        ts_ms: TS_MS,
        community_id: "c1".into(),
        user_id: "mod1".into(),
        payload: Payload::ModerationVerdict(ModerationVerdict {
            alert_id: ALERT.into(),
            verdict: outcome,
            note: note.map(str::to_string),
        }),
        extra: None,
    }
}

const OUTCOMES: [VerdictOutcome; 2] = [VerdictOutcome::Confirmed, VerdictOutcome::Dismissed];

#[test]
fn the_kind_has_its_wire_name_table_and_place() {
    let kind = Kind::ModerationVerdict;
    assert_eq!(kind.name(), "moderation_verdict");
    assert_eq!(Kind::from_name("moderation_verdict"), Some(kind));
    assert_eq!(kind.table(), "events_moderation_verdict");
    assert_eq!(
        LakeTable::from_name("events_moderation_verdict"),
        Some(LakeTable::Events(kind))
    );
    for (i, k) in Kind::ALL.into_iter().enumerate() {
        assert_eq!(k.index(), i, "{k:?}");
        assert_eq!(Kind::from_name(k.name()), Some(k));
    }
    assert!(Kind::ALL.contains(&kind));
    let payload = verdict("v1", VerdictOutcome::Confirmed, None).payload;
    assert_eq!(payload.kind(), kind);
}

#[test]
fn a_verdict_decodes_with_either_outcome_with_and_without_a_note() {
    let decoder = Decoder::default();
    // the id the moderation job gives its alerts is accepted verbatim
    assert_eq!(alert_id("c1", "u7", "pii.mobile", 1000), ALERT);
    for outcome in OUTCOMES {
        for note in [None, Some("checked with the member: a course hotline")] {
            let note_field = note.map_or(String::new(), |n| format!(r#","note":"{n}""#));
            let input = record(&format!(
                r#","alert_id":"{ALERT}","verdict":"{}"{note_field}"#,
                outcome.name()
            ));
            let event = decoder.decode(input.as_bytes()).unwrap();
            assert_eq!(event, verdict("v1", outcome, note), "{input}");
            assert_eq!(event.kind(), Kind::ModerationVerdict);
        }
    }
    // a null note is an absent note
    let event = decoder
        .decode(
            record(&format!(
                r#","alert_id":"{ALERT}","verdict":"dismissed","note":null"#
            ))
            .as_bytes(),
        )
        .unwrap();
    assert_eq!(event, verdict("v1", VerdictOutcome::Dismissed, None));
}

#[test]
fn a_verdict_without_its_alert_or_with_an_unknown_outcome_is_rejected_with_its_reason() {
    let decoder = Decoder::default();
    let long_note = "n".repeat(16 * 1024 + 1);
    let long_alert = "a".repeat(129);
    let cases: Vec<(String, Reason, &[&str])> = vec![
        (
            record(r#","verdict":"confirmed""#),
            Reason::MissingField,
            &["`alert_id`", "required"],
        ),
        (
            record(r#","alert_id":null,"verdict":"confirmed""#),
            Reason::MissingField,
            &["`alert_id`"],
        ),
        (
            record(r#","alert_id":"","verdict":"confirmed""#),
            Reason::EmptyField,
            &["`alert_id`", "empty"],
        ),
        (
            record(&format!(
                r#","alert_id":"{long_alert}","verdict":"confirmed""#
            )),
            Reason::IdTooLong,
            &["`alert_id`", "128"],
        ),
        (
            record(r#","alert_id":7,"verdict":"confirmed""#),
            Reason::WrongType,
            &["`alert_id`", "a string"],
        ),
        (
            record(&format!(r#","alert_id":"{ALERT}""#)),
            Reason::MissingField,
            &["`verdict`", "required"],
        ),
        (
            record(&format!(r#","alert_id":"{ALERT}","verdict":"maybe""#)),
            Reason::InvalidValue,
            &[
                "`verdict`",
                "\"maybe\"",
                "expected one of confirmed, dismissed",
            ],
        ),
        (
            record(&format!(r#","alert_id":"{ALERT}","verdict":"Confirmed""#)),
            Reason::InvalidValue,
            &["`verdict`", "confirmed, dismissed"],
        ),
        (
            record(&format!(r#","alert_id":"{ALERT}","verdict":"""#)),
            Reason::InvalidValue,
            &["`verdict`", "confirmed, dismissed"],
        ),
        (
            record(&format!(r#","alert_id":"{ALERT}","verdict":true"#)),
            Reason::WrongType,
            &["`verdict`"],
        ),
        (
            record(&format!(
                r#","alert_id":"{ALERT}","verdict":"confirmed","note":"{long_note}""#
            )),
            Reason::TextTooLong,
            &["`note`", "16384"],
        ),
        (
            record(&format!(
                r#","alert_id":"{ALERT}","verdict":"confirmed","note":["x"]"#
            )),
            Reason::WrongType,
            &["`note`", "a string"],
        ),
    ];
    for (input, reason, needles) in &cases {
        let r = decoder.decode(input.as_bytes()).expect_err(input);
        assert_eq!(
            r.reason,
            *reason,
            "{}: {}",
            r.detail,
            &input[..input.len().min(200)]
        );
        for needle in *needles {
            assert!(
                r.detail.contains(needle),
                "{:?} should mention {needle}",
                r.detail
            );
        }
    }
}

#[test]
fn an_unknown_kind_names_every_kind_including_moderation_verdict() {
    let r = Decoder::default()
        .decode(br#"{"kind":"verdict","event_id":"e","ts":1793520000000,"community_id":"c","user_id":"u"}"#)
        .unwrap_err();
    assert_eq!(r.reason, Reason::UnknownKind);
    for kind in Kind::ALL {
        assert!(
            r.detail.contains(kind.name()),
            "{:?} should list {}",
            r.detail,
            kind.name()
        );
    }
}

#[test]
fn a_verdict_round_trips_through_its_canonical_json() {
    let decoder = Decoder::default();
    let mut with_extra = verdict(
        "v3",
        VerdictOutcome::Dismissed,
        Some("误报：课程客服电话\n\"quoted\""),
    );
    with_extra.extra = Some(r#"{"ui":"queue"}"#.into());
    let events = [
        verdict("v1", VerdictOutcome::Confirmed, None),
        verdict("v2", VerdictOutcome::Dismissed, Some("")),
        with_extra,
    ];
    for original in &events {
        let line = to_json_line(original);
        assert_eq!(
            &decoder.decode(line.as_bytes()).unwrap(),
            original,
            "{line}"
        );
    }
    assert_eq!(
        to_json(&events[0]),
        json!({
            "v": 1,
            "kind": "moderation_verdict",
            "event_id": "v1",
            "ts": "2026-11-01T08:00:00.000Z",
            "community_id": "c1",
            "user_id": "mod1",
            "alert_id": ALERT,
            "verdict": "confirmed",
        })
    );
    assert_eq!(
        to_json(&events[2])["note"],
        json!("误报：课程客服电话\n\"quoted\"")
    );
    assert_eq!(to_json(&events[2])["ui"], json!("queue"));
}

#[test]
fn the_docs_example_is_a_valid_verdict() {
    let docs = include_str!("../../docs/events.md");
    let line = docs
        .lines()
        .find(|l| l.starts_with('{') && l.contains(r#""kind":"moderation_verdict""#))
        .expect("docs/events.md has a moderation_verdict example");
    let event = Decoder::default().decode(line.as_bytes()).unwrap();
    let Payload::ModerationVerdict(v) = event.payload else {
        panic!("not a verdict: {event:?}");
    };
    assert_eq!(v.verdict, VerdictOutcome::Dismissed);
    assert!(v.note.is_some());
}

#[test]
fn the_lake_table_has_the_verdict_columns() {
    let schema = event_schema(Kind::ModerationVerdict);
    let columns: Vec<(&str, bool)> = schema
        .fields()
        .iter()
        .map(|f| (f.name().as_str(), f.is_nullable()))
        .collect();
    assert_eq!(
        columns,
        [
            ("event_id", false),
            ("ts", false),
            ("community_id", false),
            ("user_id", false),
            ("alert_id", false),
            ("verdict", false),
            ("note", true),
            ("extra", true),
        ]
    );
    assert_eq!(LakeTable::Events(Kind::ModerationVerdict).schema(), schema);
}

#[test]
fn a_batch_of_verdicts_round_trips_through_arrow_and_parquet() {
    let mut noted = verdict("v2", VerdictOutcome::Dismissed, Some("not personal data"));
    noted.extra = Some(r#"{"ui":"queue"}"#.into());
    let events = vec![
        verdict("v1", VerdictOutcome::Confirmed, None),
        noted,
        verdict("v3", VerdictOutcome::Confirmed, Some("")),
    ];
    let kind = Kind::ModerationVerdict;
    let mut builder = EventBatchBuilder::new(kind);
    for e in &events {
        builder.append(e);
    }
    assert_eq!(builder.len(), 3);
    let batch = builder.finish().unwrap();
    assert!(builder.is_empty());
    assert_eq!(batch.schema(), event_schema(kind));

    let column = |name: &str| {
        batch
            .column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap()
            .clone()
    };
    let verdicts = column("verdict");
    let values: Vec<&str> = (0..verdicts.len()).map(|i| verdicts.value(i)).collect();
    assert_eq!(values, ["confirmed", "dismissed", "confirmed"]);
    let notes = column("note");
    assert!(notes.is_null(0));
    assert_eq!(notes.value(1), "not personal data");
    assert_eq!(column("alert_id").value(2), ALERT);
    assert_eq!(events_from_batch(kind, &batch).unwrap(), events);

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
    assert_eq!(back, events);
}

#[test]
fn fields_of_other_kinds_on_a_verdict_are_kept_in_extra() {
    let event = Decoder::default()
        .decode(
            record(&format!(
                r#","alert_id":"{ALERT}","verdict":"confirmed","text":"quoted message","rule":"pii.mobile""#
            ))
            .as_bytes(),
        )
        .unwrap();
    let extra: Value = serde_json::from_str(event.extra.as_deref().unwrap()).unwrap();
    assert_eq!(
        extra,
        json!({"rule": "pii.mobile", "text": "quoted message"})
    );
}
