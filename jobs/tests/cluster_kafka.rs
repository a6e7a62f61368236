//! Cluster mode (issue 8) with the Kafka source, against the suite's real broker (Tansu): a
//! 2-process × 1-worker cluster reading topics of several partitions spreads the partitions over
//! the workers of both processes, writes exactly what one process with 2 workers writes, and both
//! hold every produced record exactly once.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::cluster::*;
use common::kafka::*;
use common::*;

/// Partitions per topic: twice the cluster's workers, so each worker owns several of every topic.
const PARTITIONS: u32 = 4;

/// A bounded Kafka run (`--exit-when-caught-up`) into `data`, committing Kafka's group offsets
/// under a `group` of its own. Idle detection is pushed out of reach (10 minutes instead of the
/// tests' 300 ms): a partition that counts as idle stops holding back the frontier that closes the
/// forecast job's hours, which then depend on timing (docs/forecast.md, "Limits"); without it the
/// forecast tables are as exact as with a file source and compare row for row. A bounded run's
/// partitions end at their end offsets, so nothing waits for that timeout.
fn bounded_run(brokers: &str, prefix: &str, data: &Path, group: &str) -> Command {
    let mut cmd = kafka_run(brokers, prefix, data, &["--exit-when-caught-up"]);
    cmd.env("COHORT__SOURCE__IDLE_TIMEOUT_MS", "600000")
        .env("COHORT__SOURCE__GROUP_ID", group);
    cmd
}

/// The `records read` count of a run's summary (this process's workers only, in a cluster).
fn records_read(summary: &str) -> u64 {
    summary
        .lines()
        .find_map(|l| l.trim().strip_prefix("records read:"))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no records read in summary:\n{summary}"))
        .parse()
        .unwrap()
}

/// The event ids of the lines of `input` that parse as JSON objects with one.
fn input_event_ids(input: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(input)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|e| e["event_id"].as_str().map(str::to_string))
        .collect()
}

/// Checks that `data` holds every record produced (`produced` of them, ending at the offsets
/// `ends`) exactly once: each partition committed at its end offset; every event id once, and
/// one the input has; no record twice among the dead letters; and the input's events (without the
/// moderation job's own verdict events) plus the dead letters add up to every record.
fn assert_every_record_once(data: &Path, input: &Path, produced: u64, ends: &[(String, u64)]) {
    let ends: std::collections::BTreeMap<_, _> = ends.iter().cloned().collect();
    assert_eq!(serving_offsets(data), ends, "{data:?}");
    assert_eq!(manifest_offsets(data), ends, "{data:?}");
    let (rows, distinct, _) = event_counts(data);
    assert_eq!(rows, distinct, "an event twice in {data:?}");

    let union = EVENT_TABLES
        .iter()
        .filter(|t| **t != "events_moderation_verdict")
        .map(|t| format!("SELECT event_id FROM {t}"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let ids: Vec<String> = lake_rows(data, &union)
        .iter()
        .map(|l| {
            let row: serde_json::Value = serde_json::from_str(l).unwrap();
            row["event_id"].as_str().unwrap().to_string()
        })
        .collect();
    let input_ids = input_event_ids(input);
    let unknown: Vec<_> = ids.iter().filter(|id| !input_ids.contains(*id)).collect();
    assert!(
        unknown.is_empty(),
        "events the input does not have: {unknown:?}"
    );

    let letters = query(
        data,
        "SELECT count(*), count(DISTINCT source || ':' || CAST(position AS VARCHAR)) FROM dead_letters",
    );
    assert_eq!(
        letters[0][0], letters[0][1],
        "a record twice among the dead letters"
    );
    let letters: u64 = letters[0][0].parse().unwrap();
    assert_eq!(
        ids.len() as u64 + letters,
        produced,
        "events plus dead letters in {data:?} are not the records produced"
    );
}

#[test]
fn a_two_process_cluster_reading_kafka_writes_what_one_process_with_two_workers_writes() {
    let broker = Broker::shared();
    let prefix = unique_prefix("cluster");
    broker.topics(&prefix, PARTITIONS);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    generate(20_000, 41, &input);
    let produced = python_produce(&broker.brokers, &prefix, &input);
    assert_eq!(produced, 20_000);
    let ends: Vec<(String, u64)> = end_offsets(&broker.brokers, &prefix).into_iter().collect();
    assert_eq!(ends.len(), 8 * PARTITIONS as usize, "{ends:?}");
    assert_eq!(ends.iter().map(|(_, end)| end).sum::<u64>(), produced);

    let reference = dir.path().join("reference");
    let mut one_process = bounded_run(&broker.brokers, &prefix, &reference, &prefix);
    one_process.args(["--workers", "2"]);
    let summary = String::from_utf8(ok(one_process).stdout).unwrap();
    assert_eq!(records_read(&summary), produced, "{summary}");

    let data = dir.path().join("cluster");
    let group = format!("{prefix}cluster");
    let run = || bounded_run(&broker.brokers, &prefix, &data, &group);
    let [zero, one] = run_cluster(run, dir.path(), "kafka");
    assert!(zero.contains("cohort run finished"), "{zero}");
    assert!(one.contains("process 1 of 2"), "{one}");
    // The partitions spread over both processes' workers, each read by one of them.
    let (read_zero, read_one) = (records_read(&zero), records_read(&one));
    assert!(read_zero > 0 && read_one > 0, "{zero}\n{one}");
    assert_eq!(read_zero + read_one, produced, "{zero}\n{one}");

    assert_same_outputs(&data, &reference);
    for data in [&data, &reference] {
        assert_every_record_once(data, &input, produced, &ends);
    }
}
