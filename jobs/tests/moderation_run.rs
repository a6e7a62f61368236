//! The moderation job inside `cohort run`: a fixture of chat, payments and verdicts with known
//! offences gives exactly the expected alerts in the serving table and the lake, whatever the
//! worker count, and a run resumed on more input ends with the alerts of one run over all of it.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use cohort_jobs::lake_replay::{read_batches, table_files};
use cohort_schemas::Kind;
use cohort_schemas::activity::AlertStatus;
use cohort_schemas::event::Payload;
use cohort_schemas::lake::{events_from_batch, moderation_alerts_from_batch};
use cohort_schemas::moderation::{ModerationAlert, ModerationKind, VerdictOutcome};
use cohort_sinks::SqliteStore;
use common::*;
use serde_json::json;

/// 2026-11-01T00:00:00Z.
const T0: i64 = 1_793_491_200_000;
const SEC: i64 = 1_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;

/// The fixture as JSON lines, in two parts (the second continues the first in time).
fn fixture() -> (Vec<String>, Vec<String>) {
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut n = 0;
    let mut id = || {
        n += 1;
        format!("e{n}")
    };
    let chat = |id: String, ts: i64, community: &str, member: &str, channel: &str, text: &str| {
        json!({"kind": "chat", "event_id": id, "ts": ts, "community_id": community,
               "user_id": member, "channel_id": channel, "message_id": format!("m-{ts}-{member}"),
               "text": text})
        .to_string()
    };
    // ordinary traffic in both communities every 5 minutes, for 7 hours: the watermark moves on
    let normal = [
        "has anyone finished lesson 3 yet?",
        "the borrow checker finally makes sense to me",
        "周末的线下活动几点开始？",
        "thanks for the great course, the async chapter helped a lot",
    ];
    let mut timeline: Vec<(i64, String)> = Vec::new();
    for (i, t) in (0..7 * 12).map(|i| (i, T0 + i * 5 * MIN)) {
        for community in ["circle", "other"] {
            let text = normal[i as usize % normal.len()];
            timeline.push((t, chat(id(), t, community, "regular", "general", text)));
        }
    }
    // u1 leaks phone numbers: twice within the hour (one alert), again hours later (a second)
    timeline.push((
        T0 + MIN,
        chat(
            id(),
            T0 + MIN,
            "circle",
            "u1",
            "general",
            "call me at 13812345678 tonight",
        ),
    ));
    timeline.push((
        T0 + 25 * MIN,
        chat(
            id(),
            T0 + 25 * MIN,
            "circle",
            "u1",
            "general",
            "or my other phone 139-1234-5678",
        ),
    ));
    timeline.push((
        T0 + 6 * HOUR + 30 * MIN,
        chat(
            id(),
            T0 + 6 * HOUR + 30 * MIN,
            "circle",
            "u1",
            "general",
            "new number: 13712345678",
        ),
    ));
    // the same number in another community is that community's alert
    timeline.push((
        T0 + 2 * MIN,
        chat(
            id(),
            T0 + 2 * MIN,
            "other",
            "u1",
            "general",
            "call me at 13812345678 tonight",
        ),
    ));
    // u2 floods a channel: 14 different messages in 26 seconds
    for i in 0..14 {
        let t = T0 + 15 * MIN + i * 2 * SEC;
        timeline.push((
            t,
            chat(
                id(),
                t,
                "circle",
                "u2",
                "random",
                &format!("look at this, part {i} of my very long story"),
            ),
        ));
    }
    // u6 leaks an e-mail address before and after the fixture's halves meet: one alert
    for t in [T0 + HOUR + 45 * MIN, T0 + 2 * HOUR + 15 * MIN] {
        timeline.push((
            t,
            chat(
                id(),
                t,
                "circle",
                "u6",
                "general",
                "write to me: alice.wong@example.com",
            ),
        ));
    }
    // u3 insults someone; a moderator confirms it while the alert is open
    let insult = T0 + HOUR + 50 * MIN;
    timeline.push((
        insult,
        chat(
            id(),
            insult,
            "circle",
            "u3",
            "general",
            "you idiot, read the docs",
        ),
    ));
    let verdict_ts = T0 + 2 * HOUR + 10 * MIN;
    timeline.push((
        verdict_ts,
        json!({"kind": "moderation_verdict", "event_id": id(), "ts": verdict_ts,
        "community_id": "circle", "user_id": "mod1",
        // the alert id as the alerts table and API give it: with the member's pseudonym
        "alert_id": format!("moderation:circle:{}:lexicon.abuse:{insult}", pseudonym("u3")),
        "verdict": "confirmed",
        "note": "warned the member"})
        .to_string(),
    ));
    // a verdict naming no alert is kept in the lake and changes nothing
    timeline.push((
        verdict_ts + SEC,
        json!({"kind": "moderation_verdict", "event_id": id(), "ts": verdict_ts + SEC,
        "community_id": "circle", "user_id": "mod1", "alert_id": "moderation:circle:nobody:x:1",
        "verdict": "dismissed"})
        .to_string(),
    ));
    // u5 tests a card: six small payments in five minutes
    for i in 0..6 {
        let t = T0 + 3 * HOUR + i * 50 * SEC;
        timeline.push((t, json!({"kind": "payment", "event_id": id(), "ts": t, "community_id": "circle",
            "user_id": "u5", "item_id": format!("course-{i}"), "amount_minor": 100, "currency": "CNY",
            "payment_kind": "purchase"}).to_string()));
    }
    timeline.sort_by_key(|(t, _)| *t);
    for (t, line) in timeline {
        if t < T0 + 2 * HOUR {
            a.push(line);
        } else {
            b.push(line);
        }
    }
    (a, b)
}

fn write(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// The newest state of every alert in the lake, by id.
fn lake_alerts(data: &Path) -> BTreeMap<String, ModerationAlert> {
    let mut newest: BTreeMap<String, ModerationAlert> = BTreeMap::new();
    for path in table_files(&data.join("lake"), "moderation_alerts", None).unwrap() {
        read_batches(&path, |batch| {
            for alert in moderation_alerts_from_batch(batch).unwrap() {
                let slot = newest
                    .entry(alert.alert_id())
                    .or_insert_with(|| alert.clone());
                let closed = |a: &ModerationAlert| a.status == AlertStatus::Closed;
                let verdict = |a: &ModerationAlert| a.verdict.is_some();
                if (alert.count, closed(&alert), verdict(&alert))
                    > (slot.count, closed(slot), verdict(slot))
                {
                    *slot = alert;
                }
            }
            Ok(())
        })
        .unwrap();
    }
    newest
}

/// Every moderation alert of the serving table, by id.
fn served_alerts(data: &Path) -> BTreeMap<String, ModerationAlert> {
    let store = SqliteStore::open(&data.join("serving.db"), "ingest").unwrap();
    store
        .moderation_alerts()
        .unwrap()
        .into_iter()
        .map(|a| (a.alert_id(), a))
        .collect()
}

/// (community, member, rule) → (count, status, verdict) of every alert, in id order.
fn outline(
    alerts: &BTreeMap<String, ModerationAlert>,
) -> Vec<(String, u32, AlertStatus, Option<VerdictOutcome>)> {
    alerts
        .values()
        .map(|a| {
            (
                format!("{}/{}/{}", a.community_id, a.member_id, a.rule),
                a.count,
                a.status,
                a.verdict,
            )
        })
        .collect()
}

fn run(input: &Path, data: &Path, workers: &str) {
    run_file(input, data, &["--workers", workers]);
}

#[test]
fn a_fixture_with_known_offences_gives_exactly_their_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = fixture();
    let input = dir.path().join("all.jsonl");
    write(&input, &[a, b].concat());
    let data = dir.path().join("data");
    run(&input, &data, "2");

    let served = served_alerts(&data);
    assert_eq!(
        lake_alerts(&data),
        served,
        "the lake's newest states are the serving table's"
    );
    let outline = outline(&served);
    // alerts name members by their pseudonyms (ingest replaced every member id)
    let mut names: Vec<&str> = outline.iter().map(|o| o.0.as_str()).collect();
    names.sort_unstable();
    let mut expected: Vec<String> = [
        ("circle", "u1", "pii.mobile"),
        ("circle", "u1", "pii.mobile"),
        ("circle", "u2", "flood.rate"),
        ("circle", "u3", "lexicon.abuse"),
        ("circle", "u5", "payment.card_testing"),
        ("circle", "u6", "pii.email"),
        ("other", "u1", "pii.mobile"),
    ]
    .iter()
    .map(|(c, m, rule)| format!("{c}/{}/{rule}", pseudonym(m)))
    .collect();
    expected.sort_unstable();
    assert_eq!(names, expected, "{outline:#?}");
    let by_name = |member: &str, rule: &str| -> Vec<&ModerationAlert> {
        let member = pseudonym(member);
        served
            .values()
            .filter(|a| a.community_id == "circle" && a.member_id == member && a.rule == rule)
            .collect()
    };
    let phones = by_name("u1", "pii.mobile");
    assert_eq!(
        (phones[0].count, phones[0].status),
        (2, AlertStatus::Closed)
    );
    assert_eq!(phones[0].first_seen_ms, T0 + MIN);
    assert_eq!(phones[0].closed_ms, Some(T0 + 25 * MIN + HOUR));
    assert_eq!((phones[1].count, phones[1].status), (1, AlertStatus::Open));
    assert_eq!(phones[0].kind, ModerationKind::Pii);
    for alert in served.values() {
        for number in ["13812345678", "1391234", "13712345678"] {
            assert!(!alert.evidence.contains(number), "{alert:?}");
        }
    }
    assert!(phones[0].evidence.contains("[mobile]"), "{:?}", phones[0]);

    let insult = &by_name("u3", "lexicon.abuse")[0];
    assert_eq!(insult.kind, ModerationKind::Abuse);
    assert_eq!(insult.status, AlertStatus::Closed);
    assert_eq!(insult.verdict, Some(VerdictOutcome::Confirmed));
    assert_eq!(
        insult.closed_ms,
        Some(T0 + 2 * HOUR + 10 * MIN),
        "closed by the verdict"
    );
    let email = &by_name("u6", "pii.email")[0];
    assert_eq!((email.count, email.status), (2, AlertStatus::Closed));
    assert_eq!(email.closed_ms, Some(T0 + 3 * HOUR + 15 * MIN));
    assert_eq!(by_name("u2", "flood.rate")[0].kind, ModerationKind::Spam);
    assert_eq!(
        by_name("u5", "payment.card_testing")[0].kind,
        ModerationKind::Fraud
    );

    // the messages themselves are stored redacted, and both verdicts are kept
    let mut texts = Vec::new();
    for path in table_files(&data.join("lake"), Kind::Chat.table(), None).unwrap() {
        read_batches(&path, |batch| {
            for e in events_from_batch(Kind::Chat, batch).unwrap() {
                if let Payload::Chat(c) = e.payload {
                    texts.push(c.text);
                }
            }
            Ok(())
        })
        .unwrap();
    }
    assert!(
        texts.iter().any(|t| t == "call me at [mobile] tonight"),
        "{texts:?}"
    );
    assert!(!texts.iter().any(|t| t.contains("13812345678")));
    assert_eq!(
        query_u64(&data, "SELECT count(*) FROM events_moderation_verdict"),
        2
    );
    assert_eq!(
        query_u64(&data, "SELECT count(*) FROM chat_scans"),
        texts.len() as u64,
        "one scan per stored message"
    );

    // one worker or three: the same alerts
    for workers in ["1", "3"] {
        let other = dir.path().join(format!("workers-{workers}"));
        run(&input, &other, workers);
        assert_eq!(served_alerts(&other), served, "with {workers} workers");
    }
}

#[test]
fn a_run_resumed_on_more_input_ends_with_the_alerts_of_one_run_over_all_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = fixture();
    let whole = dir.path().join("whole");
    std::fs::create_dir(&whole).unwrap();
    write(&whole.join("a.jsonl"), &a);
    write(&whole.join("b.jsonl"), &b);
    let reference = dir.path().join("reference");
    run(&whole, &reference, "2");

    // first a alone, then a and b: a resumes at its end, b is read from its start
    let growing = dir.path().join("growing");
    std::fs::create_dir(&growing).unwrap();
    write(&growing.join("a.jsonl"), &a);
    let data = dir.path().join("data");
    run(&growing, &data, "2");
    let first = served_alerts(&data);
    assert!(
        first
            .values()
            .any(|a| a.rule == "lexicon.abuse" && a.verdict.is_none()),
        "the insult's alert is open before its verdict: {first:#?}"
    );
    write(&growing.join("b.jsonl"), &b);
    run(&growing, &data, "2");
    assert_eq!(
        outline(&served_alerts(&data)),
        outline(&served_alerts(&reference))
    );
    assert_eq!(served_alerts(&data), served_alerts(&reference));
}
