//! Helpers shared by the integration tests: drive the real `cohort` binary and read its outputs.
#![allow(dead_code, clippy::unwrap_used)]

pub mod cluster;
pub mod kafka;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The secret key every `cohort` of the tests gets in `COHORT_PRIVACY_KEY`, as a deployment
/// would: member ids are pseudonymised (the default), and runs in different data directories give
/// the same member the same pseudonym, so their outputs compare. Tests of the key generated in
/// the data directory remove the variable.
pub const TEST_KEY: &str = "the integration tests' privacy key";

/// The `cohort` binary built for these tests, with [`TEST_KEY`].
pub fn cohort() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cohort"));
    cmd.env(cohort_jobs::privacy::KEY_ENV, TEST_KEY);
    cmd
}

/// The pseudonym runs under [`TEST_KEY`] store for the raw member id `raw`.
pub fn pseudonym(raw: &str) -> String {
    let key = cohort_jobs::privacy::SecretKey::new(TEST_KEY.as_bytes(), "tests").unwrap();
    cohort_jobs::privacy::Pseudonymizer::new(key).pseudonym(raw)
}

/// The raw `user_id` among the JSON `lines` whose pseudonym under [`TEST_KEY`] is `stored`.
pub fn raw_member<'a>(lines: impl IntoIterator<Item = &'a str>, stored: &str) -> String {
    lines
        .into_iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|e| e["user_id"].as_str().map(str::to_string))
        .find(|raw| pseudonym(raw) == stored)
        .unwrap_or_else(|| panic!("no user_id of the input has the pseudonym {stored}"))
}

/// The `cohort` binary with the recommendation job on (`[recs] enabled`, off by default).
pub fn cohort_with_recs() -> Command {
    let mut cmd = cohort();
    cmd.env("COHORT__RECS__ENABLED", "true");
    cmd
}

/// Runs a command, failing the test with its output when it does not exit 0.
pub fn ok(mut cmd: Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({})\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Stops a running `cohort` with SIGTERM (a clean stop: it commits what it read) and checks that it
/// exits 0.
pub fn stop_with_sigterm(mut child: std::process::Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -TERM failed");
    let exit = child.wait().unwrap();
    assert!(
        exit.success(),
        "cohort stopped by SIGTERM exited with {exit}"
    );
}

/// Writes `events` generated events with `seed` to `path`.
pub fn generate(events: u64, seed: u64, path: &Path) {
    let mut cmd = cohort();
    cmd.args([
        "generate",
        "--events",
        &events.to_string(),
        "--seed",
        &seed.to_string(),
        "--out",
    ])
    .arg(path);
    ok(cmd);
}

/// `cohort run --source generate` with `events` and `seed` into `data_dir`; returns the summary.
pub fn run_generate(events: u64, seed: u64, data_dir: &Path) -> String {
    let mut cmd = cohort();
    cmd.args([
        "run",
        "--source",
        "generate",
        "--events",
        &events.to_string(),
        "--seed",
        &seed.to_string(),
        "--data-dir",
    ])
    .arg(data_dir);
    String::from_utf8(ok(cmd).stdout).unwrap()
}

/// `cohort run --source file` over `input` into `data_dir`.
pub fn run_file(input: &Path, data_dir: &Path, extra: &[&str]) -> String {
    run_file_with(cohort(), input, data_dir, extra)
}

/// `run_file` with the recommendation job on.
pub fn run_file_with_recs(input: &Path, data_dir: &Path, extra: &[&str]) -> String {
    run_file_with(cohort_with_recs(), input, data_dir, extra)
}

fn run_file_with(cmd: Command, input: &Path, data_dir: &Path, extra: &[&str]) -> String {
    let mut cmd = file_run(cmd, input, data_dir);
    cmd.args(extra);
    String::from_utf8(ok(cmd).stdout).unwrap()
}

/// `cmd` made `cohort run --source file` over `input` into `data_dir` (not started).
pub fn file_run(mut cmd: Command, input: &Path, data_dir: &Path) -> Command {
    cmd.args(["run", "--source", "file", "--input"])
        .arg(input)
        .arg("--data-dir")
        .arg(data_dir);
    cmd
}

/// The rows of a query's CSV output (header dropped).
pub fn query(data_dir: &Path, sql: &str) -> Vec<Vec<String>> {
    let mut cmd = cohort();
    cmd.args(["query", "--format", "csv", "--data-dir"])
        .arg(data_dir)
        .arg(sql);
    let text = String::from_utf8(ok(cmd).stdout).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// A single integer from a query.
pub fn query_u64(data_dir: &Path, sql: &str) -> u64 {
    query(data_dir, sql)[0][0].parse().unwrap()
}

/// The count printed for `label` in a run summary (`events_view   1234`).
pub fn summary_count(summary: &str, label: &str) -> u64 {
    summary
        .lines()
        .find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some(label)).then(|| words.next().unwrap().parse().unwrap())
        })
        .unwrap_or_else(|| panic!("no {label} in summary:\n{summary}"))
}

/// All `*.parquet` files under the lake, and anything else found there.
pub fn lake_files(data_dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut parquet = Vec::new();
    let mut other = Vec::new();
    let mut stack = vec![data_dir.join("lake")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "parquet") {
                parquet.push(p);
            } else {
                other.push(p);
            }
        }
    }
    (parquet, other)
}

/// The lake's event tables, one per kind.
pub const EVENT_TABLES: [&str; 9] = [
    "events_view",
    "events_like",
    "events_payment",
    "events_chat",
    "events_item",
    "events_member",
    "events_checkin",
    "events_erasure",
    "events_moderation_verdict",
];

/// Per-table row counts and distinct event ids, plus dead letters by reason: what "exactly once"
/// compares between a disturbed run and an undisturbed one.
pub fn lake_fingerprint(data_dir: &Path) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for table in EVENT_TABLES {
        let mut r = query(
            data_dir,
            &format!(
                "SELECT '{table}', count(*), count(DISTINCT event_id), sum(CAST(ts AS BIGINT)) FROM {table}"
            ),
        );
        rows.append(&mut r);
    }
    rows.append(&mut query(
        data_dir,
        "SELECT reason, count(*), count(DISTINCT source || ':' || CAST(position AS VARCHAR)), sum(position) FROM dead_letters GROUP BY reason ORDER BY reason",
    ));
    rows
}

/// Row counts and checksums of the forecast job's lake tables: each closed hour and each issued
/// forecast exactly once.
pub fn activity_fingerprint(data_dir: &Path) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let series = "community_id || '/' || channel_id || '/' || metric";
    rows.append(&mut query(
        data_dir,
        &format!(
            "SELECT 'activity_hourly', count(*), count(DISTINCT {series} || '@' || CAST(CAST(ts AS BIGINT) AS VARCHAR)), sum(value) FROM activity_hourly"
        ),
    ));
    rows.append(&mut query(
        data_dir,
        &format!(
            "SELECT 'forecasts', count(*), count(DISTINCT {series} || '@' || CAST(CAST(ts AS BIGINT) AS VARCHAR) || '+' || CAST(horizon AS VARCHAR)), sum(horizon) FROM forecasts"
        ),
    ));
    rows.append(&mut query(
        data_dir,
        "SELECT 'alerts', count(*), count(DISTINCT alert_id), sum(hours) FROM alerts",
    ));
    rows
}
