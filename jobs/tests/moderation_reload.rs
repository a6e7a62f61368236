//! A community's block list in the config file changes while `cohort run` reads Kafka: messages read
//! after the change are matched against the new list, without a restart; messages before it are not.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::kafka::*;
use common::*;
use serde_json::json;

/// 2026-11-01T00:00:00Z.
const T0: i64 = 1_793_491_200_000;

fn chat_line(id: &str, ts: i64, member: &str, text: &str) -> String {
    json!({"kind": "chat", "event_id": id, "ts": ts, "community_id": "circle",
           "user_id": member, "channel_id": "general", "message_id": format!("m-{id}"),
           "text": text})
    .to_string()
        + "\n"
}

fn block_list(config: &Path, phrases: &[&str]) {
    let list = phrases
        .iter()
        .map(|p| format!("{p:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    std::fs::write(
        config,
        format!("[moderation.lexicons.communities.circle]\nblock = [{list}]\n"),
    )
    .unwrap();
}

/// Produces `lines` (chat messages) and waits (up to 2 minutes) until the run has committed
/// `expected` chat events in all.
fn produce_and_wait(brokers: &str, prefix: &str, dir: &Path, lines: &str, expected: u64) {
    let file = dir.join(format!("chat-{expected}.jsonl"));
    std::fs::write(&file, lines).unwrap();
    assert_eq!(
        python_produce(brokers, prefix, &file),
        lines.lines().count() as u64
    );
    let data = dir.join("data");
    let started = Instant::now();
    loop {
        let out = cohort()
            .args(["query", "--format", "csv", "--data-dir"])
            .arg(&data)
            .arg("SELECT count(*) FROM events_chat")
            .output()
            .unwrap();
        let committed = String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse::<u64>().ok())
            .unwrap_or(0);
        if out.status.success() && committed >= expected {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{committed} of {expected} chat events committed after 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Waits (up to a minute) until the run's log says the lexicons were rebuilt.
fn wait_reloaded(log: &Path) {
    let started = Instant::now();
    while !std::fs::read_to_string(log)
        .unwrap()
        .contains("lexicons reloaded")
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no reload within a minute:\n{}",
            std::fs::read_to_string(log).unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_block_list_changed_in_the_config_file_applies_without_a_restart() {
    let broker = Broker::shared();
    let prefix = unique_prefix("reload");
    broker.topics(&prefix, 1);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("cohort.toml");
    block_list(&config, &[]);
    let data = dir.path().join("data");
    let log = dir.path().join("cohort.log");
    let run = kafka_run(&broker.brokers, &prefix, &data, &["--workers", "1"])
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();

    // Each message comes with a later one that moves the watermark (the latest event time less the
    // allowed lateness, 5 minutes) past it, so it is committed while the run goes on; the same
    // for the last one before the stop (a stopped run leaves what its watermark has not passed to
    // the next run).
    let message = "best zorblax deals in my profile";
    let minutes = |m: i64| T0 + m * 60_000;
    let clock = |id: &str, ts: i64| chat_line(id, ts, "clock", "see you all tomorrow");
    let first = chat_line("e1", minutes(0), "early", message) + &clock("c1", minutes(10));
    produce_and_wait(&broker.brokers, &prefix, dir.path(), &first, 1);
    block_list(&config, &["zorblax"]);
    wait_reloaded(&log);
    let second = chat_line("e2", minutes(20), "late", message) + &clock("c2", minutes(30));
    produce_and_wait(&broker.brokers, &prefix, dir.path(), &second, 3);

    stop_with_sigterm(run);

    let flagged = query(
        &data,
        "SELECT DISTINCT member_id FROM moderation_alerts WHERE rule = 'lexicon.custom'",
    );
    // the member as the lake stores it: pseudonymised at ingest
    assert_eq!(flagged, vec![vec![pseudonym("late")]]);
}
