//! Kafka in and out against a real broker (Tansu): events produced by an independent client and by
//! `cohort produce` reach the lake exactly once, malformed records reach the dead-letter topic with
//! their headers, committed alerts reach the alert topic, offsets are committed with the outputs, and
//! 2 workers equal 1.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::kafka::*;
use common::*;

/// Malformed records whose kind is readable, so they land on a known topic with a key.
const MALFORMED: &[&str] = &[
    r#"{"kind":"view","community_id":"rust-circle","event_id":"bad-1","ts":"not a time","member_id":"m1","item_id":"i1"}"#,
    r#"{"kind":"like","community_id":"course-hub","event_id":"bad-2"}"#,
    r#"{"kind":"chat","community_id":"creator-club","event_id":"bad-3","ts":"2026-11-02T10:00:00Z","member_id":"m1","channel_id":"c1","text":7}"#,
];

fn cohort_produce(brokers: &str, prefix: &str, file: &Path) -> String {
    let mut cmd = cohort();
    cmd.args(["produce", "--brokers", brokers, "--topic-prefix", prefix])
        .arg(file);
    String::from_utf8(ok(cmd).stdout).unwrap()
}

#[test]
fn produced_events_arrive_exactly_once_and_bad_records_reach_the_dead_letter_topic() {
    let broker = Broker::shared();
    let prefix = unique_prefix("e2e");
    broker.topics(&prefix, 3);
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("events.jsonl");
    generate(20_000, 11, &all);
    let (first, second) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    split_file(&all, 12_000, &first, &second);
    let malformed = dir.path().join("malformed.jsonl");
    std::fs::write(&malformed, MALFORMED.join("\n") + "\n").unwrap();

    // An independent client, then cohort's own producer.
    assert_eq!(python_produce(&broker.brokers, &prefix, &first), 12_000);
    python_produce(&broker.brokers, &prefix, &malformed);
    let printed = cohort_produce(&broker.brokers, &prefix, &second);
    assert!(printed.contains("produced 8000 records"), "{printed}");

    let data = dir.path().join("data");
    let summary =
        String::from_utf8(ok(alerting_run(&broker.brokers, &prefix, &data)).stdout).unwrap();

    // Exactly once: every event row has its own id, and events plus late letters are what a
    // file run over the same lines keeps.
    let reference = dir.path().join("reference");
    run_file(&all, &reference, &["--workers", "1"]);
    let (rows, distinct, late) = event_counts(&data);
    let (ref_rows, _, ref_late) = event_counts(&reference);
    assert_eq!(rows, distinct, "duplicate event ids in the lake\n{summary}");
    assert_eq!(rows + late, ref_rows + ref_late, "{summary}");
    let invalid = query_u64(
        &reference,
        "SELECT count(*) FROM dead_letters WHERE reason <> 'late'",
    );
    let kafka_invalid = query_u64(
        &data,
        "SELECT count(*) FROM dead_letters WHERE reason <> 'late'",
    );
    assert_eq!(kafka_invalid, invalid + MALFORMED.len() as u64);

    // Offsets in the serving database and the lake's manifest are the topics' end offsets.
    let ends = end_offsets(&broker.brokers, &prefix);
    assert_eq!(ends.values().sum::<u64>(), 20_000 + MALFORMED.len() as u64);
    let nonempty: BTreeMap<_, _> = ends.into_iter().filter(|(_, v)| *v > 0).collect();
    let serving: BTreeMap<_, _> = serving_offsets(&data)
        .into_iter()
        .filter(|(_, v)| *v > 0)
        .collect();
    assert_eq!(serving, nonempty);
    assert_eq!(manifest_offsets(&data), serving_offsets(&data));

    // The dead-letter topic holds every dead letter of the lake, with key, bytes and headers.
    let letters = consume(&broker.brokers, &format!("{prefix}dead_letters"));
    let lake_letters = query(
        &data,
        "SELECT source, position, reason FROM dead_letters ORDER BY source, position",
    );
    assert_eq!(letters.len(), lake_letters.len());
    let mut seen = std::collections::BTreeSet::new();
    for letter in &letters {
        let h = &letter["headers"];
        let topic = h["cohort-topic"].as_str().unwrap();
        assert!(topic.starts_with(&prefix), "{letter}");
        let source = format!("kafka:{topic}/{}", h["cohort-partition"].as_str().unwrap());
        let position = h["cohort-offset"].as_str().unwrap().to_string();
        let reason = h["cohort-reason"].as_str().unwrap().to_string();
        assert!(
            lake_letters.contains(&vec![source.clone(), position.clone(), reason]),
            "{letter} not in the lake"
        );
        assert!(seen.insert((source, position)), "{letter} twice");
    }
    for bad in MALFORMED {
        let found = letters
            .iter()
            .find(|l| l["value"].as_str() == Some(bad))
            .unwrap_or_else(|| panic!("{bad} not in the dead-letter topic"));
        assert!(found["key"].as_str().is_some(), "key lost: {found}");
    }

    // Every committed alert state reached the alert topic as JSON keyed by its id.
    let mut states = query(&data, "SELECT alert_id, status, hours FROM alerts");
    states.sort();
    assert!(!states.is_empty(), "no alerts to forward");
    let alert_states = |records: &[serde_json::Value]| {
        let mut states: Vec<Vec<String>> = records
            .iter()
            .map(|r| {
                let v: serde_json::Value =
                    serde_json::from_str(r["value"].as_str().unwrap()).unwrap();
                assert_eq!(r["key"], v["alert_id"], "{r}");
                v
            })
            // moderation alerts share the topic; these are the forecast job's
            .filter(|v| v["kind"] == "activity")
            .map(|v| {
                vec![
                    v["alert_id"].as_str().unwrap().to_string(),
                    v["status"].as_str().unwrap().to_string(),
                    v["hours"].to_string(),
                ]
            })
            .collect();
        states.sort();
        states
    };
    let produced = consume(&broker.brokers, &format!("{prefix}alerts"));
    assert_eq!(alert_states(&produced), states);
    // ... and so did every committed moderation alert state.
    let moderation = produced
        .iter()
        .filter(|r| {
            !r["value"]
                .as_str()
                .unwrap()
                .contains("\"kind\":\"activity\"")
        })
        .count();
    assert_eq!(
        moderation as u64,
        query_u64(&data, "SELECT count(*) FROM moderation_alerts")
    );

    // A second bounded run finds nothing new and writes nothing twice.
    ok(alerting_run(&broker.brokers, &prefix, &data));
    assert_eq!(event_counts(&data), (rows, distinct, late));
    assert_eq!(
        consume(&broker.brokers, &format!("{prefix}dead_letters")).len(),
        letters.len()
    );
    assert_eq!(
        consume(&broker.brokers, &format!("{prefix}alerts")).len(),
        produced.len()
    );
}

/// A bounded two-worker Kafka run whose forecast job alerts readily (no floor, one day of warm-up,
/// every hour outside the 95% interval),
/// so the sparse test traffic has alerts to forward.
fn alerting_run(brokers: &str, prefix: &str, data: &Path) -> std::process::Command {
    let mut cmd = kafka_run(
        brokers,
        prefix,
        data,
        &["--exit-when-caught-up", "--workers", "2"],
    );
    cmd.env("COHORT__FORECAST__ALERT_FLOOR", "0.0")
        .env("COHORT__FORECAST__ALERT_WARMUP_HOURS", "24")
        .env("COHORT__FORECAST__ALERT_MIN_SCORE", "1.0");
    cmd
}

#[test]
fn two_workers_read_each_partition_once_and_equal_one_worker() {
    let broker = Broker::shared();
    let prefix = unique_prefix("workers");
    broker.topics(&prefix, 3);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    generate(15_000, 23, &input);
    python_produce(&broker.brokers, &prefix, &input);

    let one = dir.path().join("one");
    let two = dir.path().join("two");
    ok(kafka_run(
        &broker.brokers,
        &prefix,
        &one,
        &["--exit-when-caught-up", "--workers", "1"],
    ));
    ok(kafka_run(
        &broker.brokers,
        &prefix,
        &two,
        &["--exit-when-caught-up", "--workers", "2"],
    ));
    // Events and dead letters only: with Kafka, the forecast job's hours close on a frontier that
    // idle partitions stop holding back (docs/forecast.md, "Limits"), so its tables depend on
    // timing and are compared for file sources only (crash_recovery.rs, forecast_run.rs).
    assert_eq!(lake_fingerprint(&one), lake_fingerprint(&two));
    // Each partition appears once in the checkpoint, at its end offset, in both runs.
    let ends: BTreeMap<_, _> = end_offsets(&broker.brokers, &prefix);
    assert_eq!(serving_offsets(&two), ends);
    assert_eq!(serving_offsets(&one), ends);
    let (rows, distinct, _) = event_counts(&two);
    assert_eq!(rows, distinct);
}

/// A bounded run commits its final state; records produced after it must reach the lake in the next
/// run (its final bound once covered every time, and the next run stamped what it read there and
/// lost it).
#[test]
fn records_produced_after_a_bounded_run_arrive_with_the_next_run() {
    let broker = Broker::shared();
    let prefix = unique_prefix("more");
    broker.topics(&prefix, 3);
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("events.jsonl");
    generate(9_000, 31, &all);
    let (first, second) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    split_file(&all, 6_000, &first, &second);

    let data = dir.path().join("data");
    let bounded = || {
        kafka_run(
            &broker.brokers,
            &prefix,
            &data,
            &["--exit-when-caught-up", "--workers", "2"],
        )
    };
    python_produce(&broker.brokers, &prefix, &first);
    ok(bounded());
    let (rows_first, _, late_first) = event_counts(&data);
    assert!(rows_first + late_first > 0, "the first run read nothing");
    python_produce(&broker.brokers, &prefix, &second);
    ok(bounded());

    let reference = dir.path().join("reference");
    run_file(&all, &reference, &["--workers", "1"]);
    let (rows, distinct, late) = event_counts(&data);
    let (ref_rows, _, ref_late) = event_counts(&reference);
    assert_eq!(rows, distinct, "an event was written twice");
    assert!(rows > rows_first, "the second run added no event");
    assert_eq!(rows + late, ref_rows + ref_late, "an event was lost");
    assert_eq!(
        serving_offsets(&data),
        end_offsets(&broker.brokers, &prefix)
    );
}
