//! `cohort import stackexchange` through the real binary, on a hand-written dump
//! (`tests/import_stackexchange/tiny-meta`: a BOM and DOCTYPE lines, a Votes.xml, an answer before
//! its question, and rows that cannot be converted for every reason the import knows): the events
//! one by one in time order, the skips per file and reason in the summary, gzip output equal to
//! plain, and the pipeline accepting the file with every output filled.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use cohort_schemas::{Decoder, Limits};
use common::*;
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import_stackexchange/tiny-meta")
}

/// `cohort import stackexchange` of the fixture into `out`; returns the summary.
fn import(out: &Path) -> String {
    let mut cmd = cohort();
    cmd.args(["import", "stackexchange"])
        .arg(fixture())
        .arg("--out")
        .arg(out);
    String::from_utf8(ok(cmd).stdout).unwrap()
}

/// The count printed after `file` and `reason` in the summary's "not converted" section.
fn skipped(summary: &str, file: &str, reason: &str) -> u64 {
    summary
        .lines()
        .find_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() >= 3 && w[0] == file && w[1] == reason).then(|| w[2].parse().unwrap())
        })
        .unwrap_or_else(|| panic!("no {file} {reason} in summary:\n{summary}"))
}

/// The UTC instant `2020-03-0DTHH:MM` as the events spell it.
fn at(day: u32, hour: u32, minute: u32) -> String {
    format!("2020-03-{day:02}T{hour:02}:{minute:02}:00.000Z")
}

#[test]
fn the_fixture_becomes_these_events_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let summary = import(&out);
    let text = std::fs::read_to_string(&out).unwrap();
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    // (event id without the community, kind, time, member, item) of every event, in file order.
    let expected: Vec<(&str, &str, String, &str, &str)> = vec![
        ("join:-1", "member", at(1, 0, 0), "u-1", ""),
        ("join:1", "member", at(1, 8, 0), "u1", ""),
        ("join:2", "member", at(1, 9, 30), "u2", ""),
        ("post:10", "item", at(2, 9, 0), "u1", "q10"),
        // A favourite of the day the question was asked: at the question's creation, not before.
        ("vote:201", "like", at(2, 9, 0), "u3", "q10"),
        ("comment:100", "chat", at(2, 9, 10), "u2", ""),
        ("post:11", "item", at(2, 9, 30), "u2", "a11"),
        ("answer:11", "view", at(2, 9, 30), "u2", "q10"),
        // The acceptance is the asker's like of the answer.
        ("vote:202", "like", at(2, 9, 30), "u1", "a11"),
        ("comment:101", "chat", at(2, 9, 45), "u1", ""),
        ("join:3", "member", at(2, 10, 0), "u3", ""),
        ("post:12", "item", at(2, 11, 0), "u3", "a12"),
        ("answer:12", "view", at(2, 11, 0), "u3", "q10"),
        ("post:14", "item", at(3, 8, 0), "u2", "q14"),
        // Answer 13 precedes its question in Posts.xml; the output is in time order.
        ("post:13", "item", at(3, 10, 0), "u1", "a13"),
        ("answer:13", "view", at(3, 10, 0), "u1", "q14"),
        ("comment:104", "chat", at(3, 10, 30), "u3", ""),
        ("post:15", "item", at(3, 12, 0), "u-unknown", "a15"),
        ("vote:204", "item", at(4, 0, 0), "u1", "a13"),
        ("vote:205", "item", at(4, 0, 0), "u2", "a13"),
        ("vote:206", "like", at(5, 0, 0), "u3", "q14"),
    ];
    let actual: Vec<(String, String, String, String, String)> = events
        .iter()
        .map(|e| {
            let id = e["event_id"].as_str().unwrap();
            (
                id.strip_prefix("tiny-meta:").unwrap().to_string(),
                e["kind"].as_str().unwrap().to_string(),
                e["ts"].as_str().unwrap().to_string(),
                e["user_id"].as_str().unwrap().to_string(),
                e["item_id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String, String, String)> = expected
        .into_iter()
        .map(|(a, b, c, d, e)| (a.into(), b.into(), c, d.into(), e.into()))
        .collect();
    assert_eq!(actual, expected, "summary:\n{summary}");
    assert!(events.iter().all(|e| e["community_id"] == "tiny-meta"));

    // Payload details: titles and tags (answers take their question's), chat, deletion states.
    let by_id = |id: &str| {
        events
            .iter()
            .find(|e| e["event_id"] == format!("tiny-meta:{id}"))
            .unwrap()
    };
    let q10 = by_id("post:10");
    assert_eq!(q10["title"], "How do lifetimes work?");
    assert_eq!(q10["tags"], serde_json::json!(["rust", "lifetimes"]));
    assert_eq!(q10["author_id"], "u1");
    assert_eq!(q10["item_kind"], "post");
    let a13 = by_id("post:13");
    assert_eq!(a13["title"], "Async runtimes compared");
    assert_eq!(a13["tags"], serde_json::json!(["rust", "async"]));
    assert!(by_id("post:15").get("author_id").is_none());
    assert_eq!(by_id("vote:204")["deleted"], true);
    assert!(by_id("vote:205").get("deleted").is_none(), "restored");
    assert_eq!(by_id("answer:11")["surface"], "answer");
    let c101 = by_id("comment:101");
    assert_eq!(c101["channel_id"], "comments");
    assert_eq!(c101["message_id"], "c101");
    assert_eq!(c101["text"], "Thanks, that & the book helped.");
    assert_eq!(c101["item_mentions"], serde_json::json!(["a11"]));

    // Every line is an event cohort's own decoder accepts.
    let decoder = Decoder::new(Limits::default());
    for line in text.lines() {
        decoder
            .decode(line.as_bytes())
            .unwrap_or_else(|r| panic!("{line}: {r:?}"));
    }

    // The summary: rows per file, events per kind, and every skip with its reason.
    for (file, rows) in [
        ("Users.xml", 6),
        ("Posts.xml", 9),
        ("Comments.xml", 6),
        ("Votes.xml", 7),
    ] {
        assert_eq!(summary_count(&summary, file), rows, "{summary}");
    }
    assert!(
        summary.contains("Badges.xml") && summary.contains("not read"),
        "{summary}"
    );
    assert!(
        summary.contains("events written: 21 in time order"),
        "{summary}"
    );
    for (kind, n) in [
        ("item", 8),
        ("member", 4),
        ("view", 3),
        ("chat", 3),
        ("like", 3),
    ] {
        assert_eq!(summary_count(&summary, kind), n, "{kind}: {summary}");
    }
    for (file, reason, n) in [
        ("Users.xml", "missing_field(Id)", 1),
        ("Users.xml", "bad_value(CreationDate)", 1),
        ("Posts.xml", "owner_unknown", 1),
        ("Posts.xml", "post_not_in_dump", 1),
        ("Posts.xml", "not_question_or_answer", 1),
        ("Posts.xml", "malformed_row", 1),
        ("Comments.xml", "member_unknown", 1),
        ("Comments.xml", "post_not_in_dump", 1),
        ("Comments.xml", "missing_field(CreationDate)", 1),
        ("Votes.xml", "member_unknown", 1),
        ("Votes.xml", "vote_type_not_mapped", 1),
    ] {
        assert_eq!(skipped(&summary, file, reason), n, "{file} {reason}");
    }
    let reasons = summary
        .lines()
        .skip_while(|l| !l.contains("not converted"))
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_uppercase()))
        .count();
    assert_eq!(reasons, 11, "no other skips:\n{summary}");
}

#[test]
fn gzip_output_holds_the_same_events() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("events.jsonl");
    let gz = dir.path().join("events.jsonl.gz");
    import(&plain);
    import(&gz);
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, std::fs::read_to_string(&plain).unwrap());
}

#[test]
fn a_directory_that_is_no_dump_is_refused_with_what_to_pass() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = cohort();
    cmd.args(["import", "stackexchange"])
        .arg(dir.path())
        .arg("--out")
        .arg(dir.path().join("events.jsonl"));
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("has no Posts.xml"), "{err}");
}

#[test]
fn the_pipeline_runs_the_import_and_fills_lake_and_serving_tables() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let data = dir.path().join("data");
    import(&events);
    let summary = run_file_with_recs(&events, &data, &["--workers", "1"]);
    for (table, n) in [
        ("events_item", 8),
        ("events_member", 4),
        ("events_view", 3),
        ("events_chat", 3),
        ("events_like", 3),
    ] {
        assert_eq!(summary_count(&summary, table), n, "{summary}");
        assert_eq!(
            query_u64(&data, &format!("SELECT count(*) FROM {table}")),
            n,
            "{table}"
        );
    }
    assert!(summary.contains("(none)"), "no dead letters:\n{summary}");
    assert!(query_u64(&data, "SELECT count(*) FROM activity_hourly") > 0);
    let db = rusqlite::Connection::open(data.join("serving.db")).unwrap();
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert!(count("SELECT count(*) FROM forecasts") > 0, "forecasts");
    assert!(count("SELECT count(*) FROM trending_items") > 0, "trending");
    // Every member who interacted gets a list (co-occurrence, topped up with trending items).
    assert_eq!(
        count("SELECT count(DISTINCT user_id) FROM recommendations"),
        3,
        "u1, u2 and u3 interacted"
    );
    assert!(
        count("SELECT count(*) FROM similar_items") > 0,
        "similar items"
    );
}
