//! `cohort run --http`: the API served from inside a running pipeline, over a real socket, while
//! it ingests from a real Kafka broker. `/readyz` answers 503 until the run has read the backlog
//! it found at start and committed since, then 200; the data routes answer from the serving
//! tables the run keeps writing, behind the same tokens as `cohort serve`; `/metrics` adds the
//! pipeline's counters. Without tokens the run refuses to start, as `cohort serve` does.
#![allow(clippy::unwrap_used)]

mod common;
#[allow(dead_code)]
#[path = "http_api/fixture.rs"]
mod fixture;
#[allow(dead_code)]
#[path = "http_api/schema.rs"]
mod schema;
#[allow(dead_code)]
#[path = "http_api/server.rs"]
mod server;

use std::time::{Duration, Instant};

use common::kafka::*;
use common::*;
use fixture::{db, enc, rows, same};
use serde_json::Value;
use server::{Server, create_token, sample, tokens_file};

/// Waits (up to two minutes) until `done` holds, polling every 100 ms.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn without_tokens_a_run_with_http_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut cmd = cohort();
    cmd.args([
        "run",
        "--events",
        "1000",
        "--http",
        "127.0.0.1:0",
        "--data-dir",
    ])
    .arg(&data);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("cohort run --http needs --tokens FILE")
            && stderr.contains("--allow-anonymous"),
        "{stderr}"
    );
    assert!(!data.join("lake").exists(), "a refused run wrote a lake");
    // The API's flags mean nothing without --http.
    let mut cmd = cohort();
    cmd.args(["run", "--events", "1000", "--allow-anonymous", "--data-dir"])
        .arg(&data);
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("apply to --http only"));
}

#[test]
fn the_api_answers_from_inside_the_run_ready_once_the_backlog_is_committed() {
    let broker = Broker::shared();
    let prefix = unique_prefix("http");
    broker.topics(&prefix, 2);
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("events.jsonl");
    generate(30_000, 5, &all);
    let (backlog, later) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    split_file(&all, 20_000, &backlog, &later);
    assert_eq!(python_produce(&broker.brokers, &prefix, &backlog), 20_000);

    let (token, line) = create_token("*", "recs,forecasts,alerts");
    let tokens = dir.path().join("tokens");
    tokens_file(&tokens, &[&line]);
    let data = dir.path().join("data");
    let cmd = kafka_run(
        &broker.brokers,
        &prefix,
        &data,
        &[
            "--http",
            "127.0.0.1:0",
            "--tokens",
            tokens.to_str().unwrap(),
        ],
    );
    let server = Server::spawn(cmd, &dir.path().join("run.log"));

    // Not ready while the backlog is read; ready once it is committed.
    let first = server.get("/readyz", None);
    assert_eq!(
        (first.status, first.json["status"].as_str()),
        (503, Some("not_ready")),
        "{}",
        first.text
    );
    wait_for("/readyz", || server.get("/readyz", None).status == 200);
    // Ready means the backlog is read and a commit has followed (records within the lateness of
    // the newest event time commit once the watermark passes them, below).
    let metrics = server.get("/metrics", None).text;
    assert_eq!(sample(&metrics, "cohort_caught_up"), 1.0);
    assert!(
        sample(&metrics, "cohort_records_read_total") >= 20_000.0,
        "{metrics}"
    );
    assert!(sample(&metrics, "cohort_commits_total") >= 1.0, "{metrics}");
    assert!(sample(&metrics, "cohort_events_in_total{kind=\"view\"}") > 0.0);
    assert!(sample(&metrics, "cohort_commit_duration_seconds_count") >= 1.0);
    // Both partitions of every event topic report their lag: nothing, once the backlog is read
    // and nothing new came.
    let lags: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("cohort_consumer_lag_records{"))
        .collect();
    assert!(
        !lags.is_empty() && lags.len().is_multiple_of(2),
        "{metrics}"
    );
    assert!(
        lags.iter()
            .all(|l| l.contains(&prefix) && l.ends_with("} 0")),
        "{lags:?}"
    );
    let frontier = sample(&metrics, "cohort_input_frontier_seconds");
    let lag = sample(&metrics, "cohort_epoch_lag_seconds");
    let committed = sample(&metrics, "cohort_committed_epoch");
    assert_eq!(lag, (frontier - committed).max(0.0), "{metrics}");
    assert!(sample(&metrics, "cohort_watermark_delay_seconds") >= 0.0);
    assert!(sample(&metrics, "cohort_alerts_raised_total{kind=\"activity\"}") >= 0.0);

    // More traffic while the server answers: the API follows the serving tables. The backlog's
    // last records (within the allowed lateness of its newest event) commit once later events move
    // the watermark past them, and so do most of the later ones; the rest commit at the stop.
    assert_eq!(python_produce(&broker.brokers, &prefix, &later), 10_000);
    wait_for("the backlog and some later records committed", || {
        serving_offsets(&data).values().sum::<u64>() > 20_000
    });
    let conn = db(&data);
    let community = rows(
        &conn,
        "SELECT community_id FROM forecasts GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        &[],
    );
    let community = community[0]["community_id"].as_str().unwrap().to_string();
    let path = format!("/v1/communities/{}/forecasts", enc(&community));
    let table = || {
        Value::Array(rows(
            &conn,
            "SELECT channel_id, metric, hour, horizon, yhat, lo80, hi80, lo95, hi95, model,
                    fitted_at, epoch, updated_at
             FROM forecasts WHERE community_id = ?1 ORDER BY channel_id, metric, horizon",
            &[&community],
        ))
    };
    // The run may commit between an answer and the query that checks it: the two agree once
    // both read the same commit.
    wait_for("a forecasts answer equal to the table", || {
        let answer = server.get(&path, Some(&token));
        assert_eq!(answer.status, 200, "{}", answer.text);
        let table = table();
        table.as_array().is_some_and(|t| !t.is_empty()) && same(&answer.json["forecasts"], &table)
    });
    // The same access rules as `cohort serve`.
    assert_eq!(server.get(&path, None).status, 401);
    assert_eq!(
        server.get(&path, Some("cohort_0000000000000000_00")).status,
        401
    );
    assert!(
        !server.log_text().contains(&token),
        "the token reached the log"
    );

    let summary = server.stop();
    assert!(summary.contains("cohort run finished"), "{summary}");
    assert_eq!(serving_offsets(&data).values().sum::<u64>(), 30_000);
}
