//! `serving.raw_member_ids`: the serving table `member_ids` (and the view
//! `recommendations_by_raw_id`) map each stored pseudonym to the raw id it stands for, for backends
//! that look members up by the ids they know; off by default; the lake never holds a raw id; an
//! erasure request removes the member's row within the run.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "erasure/input.rs"]
mod input;
#[path = "privacy_pseudonyms/scan.rs"]
#[allow(dead_code)]
mod scan;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use input::RAW;
use rusqlite::Connection;
use scan::{RawIds, ids_in_lake_values};

/// Late events are dead-lettered with their raw bytes: allow 30 days so that none is late.
const LATENESS: &str = "2592000000";

/// Runs `input` into `data` with the recommendation job on, keeping raw ids when `keep`.
fn run(input: &Path, data: &Path, keep: bool) {
    let mut cmd = cohort_with_recs();
    cmd.env("COHORT__SERVING__RAW_MEMBER_IDS", keep.to_string())
        .args([
            "run",
            "--source",
            "file",
            "--lateness-ms",
            LATENESS,
            "--input",
        ])
        .arg(input)
        .arg("--data-dir")
        .arg(data);
    ok(cmd);
}

fn member_ids(data: &Path) -> Vec<(String, String)> {
    let conn = Connection::open(data.join("serving.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT member_id, raw_id FROM member_ids ORDER BY member_id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn count(data: &Path, sql: &str, param: &str) -> i64 {
    let conn = Connection::open(data.join("serving.db")).unwrap();
    conn.query_row(sql, [param], |r| r.get(0)).unwrap()
}

#[test]
fn serving_keeps_raw_ids_only_when_asked_never_in_the_lake_and_forgets_them_on_erasure() {
    let dir = tempfile::tempdir().unwrap();
    let input = input::build(dir.path(), 20_000, 11);
    let stored = pseudonym(RAW);
    let plain = dir.path().join("plain.jsonl");
    input.write(&plain, false);

    // Off by default: no raw id anywhere in the serving database.
    let default = dir.path().join("default");
    run(&plain, &default, false);
    assert!(member_ids(&default).is_empty());

    let kept = dir.path().join("kept");
    run(&plain, &kept, true);
    let ids = member_ids(&kept);
    assert!(ids.len() > 100, "only {} members", ids.len());
    for (member, raw) in &ids {
        assert_eq!(member, &pseudonym(raw), "{raw} is not behind {member}");
    }
    assert!(ids.contains(&(stored.clone(), RAW.to_string())));
    let theirs = count(
        &kept,
        "SELECT count(*) FROM recommendations WHERE user_id = ?1",
        &stored,
    );
    assert!(theirs > 0, "the member has no recommendations");
    assert_eq!(
        count(
            &kept,
            "SELECT count(*) FROM recommendations_by_raw_id WHERE raw_user_id = ?1",
            RAW
        ),
        theirs
    );
    // The lake holds pseudonyms only.
    let raw = RawIds::new(&BTreeSet::from([RAW.to_string()]));
    assert!(
        ids_in_lake_values(&kept, &raw).is_empty(),
        "the lake holds the raw id"
    );

    // With the member's erasure request: their row is gone, everyone else's stays.
    let erased_input = dir.path().join("erased.jsonl");
    input.write(&erased_input, true);
    let erased = dir.path().join("erased");
    run(&erased_input, &erased, true);
    let left = member_ids(&erased);
    assert!(left.iter().all(|(member, _)| member != &stored));
    assert_eq!(left.len(), ids.len() - 1);
    assert_eq!(
        count(
            &erased,
            "SELECT count(*) FROM recommendations_by_raw_id WHERE raw_user_id = ?1",
            RAW
        ),
        0
    );
}
