//! The recommendation job inside `cohort run`: serving tables equal a batch recompute over the lake,
//! a run split over two invocations equals one run, the lake's change records sum to the serving
//! table, and an erased member vanishes as if never seen.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, Write};
use std::path::Path;

use cohort_jobs::recs::RecsConfig;
use cohort_jobs::recs::replay::lake_facts;
use cohort_jobs::recs::session::final_rows;
use cohort_schemas::serving::ServingRow;
use cohort_sinks::SqliteStore;
use common::*;

/// Serving rows of a data directory.
fn serving_rows(data: &Path) -> BTreeSet<ServingRow> {
    let store = SqliteStore::open(&data.join("serving.db"), "ingest").unwrap();
    store.derived_rows().unwrap().into_iter().collect()
}

/// A recompute from scratch over the events the lake holds.
fn batch_rows(data: &Path) -> BTreeSet<ServingRow> {
    let facts = lake_facts(&data.join("lake"), 0, 1).unwrap();
    final_rows(&RecsConfig::default(), facts, 2)
        .into_iter()
        .collect()
}

/// Equal row sets, or a failure that shows the first differences (the sets are large).
fn assert_same(actual: &BTreeSet<ServingRow>, expected: &BTreeSet<ServingRow>, what: &str) {
    let missing: Vec<_> = expected.difference(actual).take(5).collect();
    let extra: Vec<_> = actual.difference(expected).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: {} rows vs {} expected\nmissing: {missing:#?}\nextra: {extra:#?}",
        actual.len(),
        expected.len()
    );
}

fn recommendations_of(rows: &BTreeSet<ServingRow>, user: &str) -> usize {
    rows.iter()
        .filter(|r| matches!(r, ServingRow::Recommendation { user_id, .. } if user_id == user))
        .count()
}

/// Generated events split into two files, the second starting at `split` lines.
fn two_parts(dir: &Path, events: u64, split: usize) -> (Vec<String>, Vec<String>) {
    let all = dir.join("all.jsonl");
    generate(events, 11, &all);
    let lines: Vec<String> = std::io::BufReader::new(std::fs::File::open(&all).unwrap())
        .lines()
        .map(Result::unwrap)
        .collect();
    let (a, b) = lines.split_at(split);
    (a.to_vec(), b.to_vec())
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut f = std::fs::File::create(path).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

/// A member who has recommendations and a history in the generated traffic.
fn busy_member(rows: &BTreeSet<ServingRow>) -> (String, String) {
    rows.iter()
        .find_map(|r| match r {
            ServingRow::Recommendation {
                community_id,
                user_id,
                reason,
                ..
            } if reason != "trending" => Some((community_id.clone(), user_id.clone())),
            _ => None,
        })
        .expect("some member gets collaborative recommendations")
}

#[test]
fn serving_tables_equal_a_batch_recompute_also_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = two_parts(dir.path(), 12_000, 7_000);

    // One run over everything.
    let whole = dir.path().join("whole");
    std::fs::create_dir_all(&whole).unwrap();
    write_lines(&whole.join("a.jsonl"), &first);
    write_lines(&whole.join("b.jsonl"), &second);
    let one = dir.path().join("one");
    run_file_with_recs(&whole, &one, &["--workers", "2"]);
    let rows = serving_rows(&one);
    assert!(rows.len() > 500, "{} rows", rows.len());
    assert!(
        rows.iter()
            .any(|r| matches!(r, ServingRow::SimilarItem { .. }))
    );
    assert_same(
        &rows,
        &batch_rows(&one),
        "serving tables differ from a recompute over the lake",
    );

    // The same events over two runs: the second replays the lake and writes only the difference.
    let parts = dir.path().join("parts");
    std::fs::create_dir_all(&parts).unwrap();
    write_lines(&parts.join("a.jsonl"), &first);
    let two = dir.path().join("two");
    run_file_with_recs(&parts, &two, &["--workers", "2"]);
    let after_first = serving_rows(&two);
    write_lines(&parts.join("b.jsonl"), &second);
    run_file_with_recs(&parts, &two, &["--workers", "2"]);
    let after_second = serving_rows(&two);
    assert_ne!(after_first, after_second, "the second run changed nothing");
    // The second run started from the replayed lake and wrote only differences; it must end where
    // a recompute over everything committed ends. (The lake itself can differ from the one-run
    // lake: events of the second file that are late behind the first run's watermark are dead
    // letters there.)
    assert_same(
        &after_second,
        &batch_rows(&two),
        "two runs differ from a recompute",
    );

    // The lake's change records add up to the serving table.
    let net = query(
        &two,
        "SELECT community_id, user_id, rank, item_id, sum(diff) FROM recommendations \
         GROUP BY community_id, user_id, rank, item_id HAVING sum(diff) <> 0",
    );
    let serving_recs = rows
        .iter()
        .filter(|r| matches!(r, ServingRow::Recommendation { .. }))
        .count();
    assert_eq!(net.len(), serving_recs);
    assert!(
        net.iter().all(|r| r[4] == "1"),
        "a net change other than +1"
    );
}

/// Many small steps and commits, so that the two workers' stagings interleave in every way: the
/// serving tables must still end exactly at the recompute (a row whose list moved between workers
/// was once lost this way).
#[test]
fn fine_grained_steps_and_commits_end_at_the_batch_recompute() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = two_parts(dir.path(), 12_000, 12_000);
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    write_lines(&input.join("a.jsonl"), &first);
    let data = dir.path().join("data");
    let mut cmd = cohort_with_recs();
    cmd.env("COHORT__RECS__STEP_MS", "0")
        .env("COHORT__RUNTIME__CHECKPOINT_INTERVAL_MS", "5")
        .env("COHORT__RUNTIME__BATCH", "200")
        .args(["run", "--workers", "2", "--source", "file", "--input"])
        .arg(&input)
        .arg("--data-dir")
        .arg(&data);
    ok(cmd);
    assert_same(
        &serving_rows(&data),
        &batch_rows(&data),
        "fine-grained steps differ from a recompute",
    );
}

#[test]
fn an_erased_member_is_gone_from_every_table_as_if_never_seen() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = two_parts(dir.path(), 6_000, 6_000);
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    write_lines(&input.join("a.jsonl"), &first);
    let data = dir.path().join("data");
    run_file_with_recs(&input, &data, &["--workers", "2"]);
    let before = serving_rows(&data);
    // The serving tables hold the member's pseudonym; the erasure event carries the raw id.
    let (community, member) = busy_member(&before);
    let raw = raw_member(first.iter().map(String::as_str), &member);
    assert!(recommendations_of(&before, &member) > 0);

    // The erasure arrives in a later run (one epoch after the member's events).
    let last_ts = first
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["ts"].as_i64())
        .max()
        .unwrap();
    let erasure = format!(
        r#"{{"v":1,"kind":"erasure","event_id":"erase-1","ts":{},"community_id":"{community}","user_id":"{raw}"}}"#,
        last_ts + 1000
    );
    write_lines(&input.join("b.jsonl"), &[erasure]);
    run_file_with_recs(&input, &data, &["--workers", "2"]);
    let after = serving_rows(&data);
    assert_eq!(
        recommendations_of(&after, &member),
        0,
        "the member still has recommendations"
    );

    // Equal to a run that never saw the member.
    let never = dir.path().join("never");
    std::fs::create_dir_all(&never).unwrap();
    // Erasure retracts the member's interactions; items they published stay (and, untouched, get
    // content neighbours), so the run that never saw the member still has its item events.
    let without: Vec<String> = first
        .iter()
        .filter(|l| {
            !l.contains(&format!("\"user_id\":\"{raw}\"")) || l.contains("\"kind\":\"item\"")
        })
        .cloned()
        .collect();
    assert!(without.len() < first.len());
    write_lines(&never.join("a.jsonl"), &without);
    let clean = dir.path().join("clean");
    run_file_with_recs(&never, &clean, &["--workers", "2"]);
    assert_same(
        &after,
        &serving_rows(&clean),
        "erasure left a trace in the derived tables",
    );
}
