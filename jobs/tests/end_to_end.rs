//! The main job end to end through the real binary: run, summary, query, re-run.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

#[test]
fn demo_run_summary_matches_the_lake_and_a_rerun_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let summary = run_generate(40_000, 7, &data);
    let views = summary_count(&summary, "events_view");
    assert!(views > 10_000, "{summary}");
    assert_eq!(query_u64(&data, "SELECT count(*) FROM events_view"), views);
    for table in [
        "events_like",
        "events_chat",
        "events_payment",
        "events_item",
        "events_member",
    ] {
        let n = summary_count(&summary, table);
        assert!(n > 0, "{table} empty:\n{summary}");
        assert_eq!(
            query_u64(&data, &format!("SELECT count(*) FROM {table}")),
            n,
            "{table}"
        );
    }
    let dead = query_u64(&data, "SELECT count(*) FROM dead_letters");
    assert!(
        dead > 0,
        "the generator writes some malformed and late lines"
    );
    assert_eq!(
        query_u64(
            &data,
            "SELECT count(*) FROM dead_letters WHERE reason = 'late'"
        ),
        summary_count(&summary, "late")
    );
    // Partition columns are usable in WHERE.
    let first_day = query_u64(
        &data,
        "SELECT count(*) FROM events_view WHERE date = '2026-11-02'",
    );
    let by_hour: u64 = query(
        &data,
        "SELECT hour, count(*) FROM events_view WHERE date = '2026-11-02' GROUP BY hour",
    )
    .iter()
    .map(|r| r[1].parse::<u64>().unwrap())
    .sum();
    assert!(first_day > 0);
    assert_eq!(first_day, by_hour);

    let before = lake_fingerprint(&data);
    let second = run_generate(40_000, 7, &data);
    assert_eq!(summary_count(&second, "events_view"), 0, "{second}");
    assert_eq!(lake_fingerprint(&data), before);
}

#[test]
fn generator_output_is_byte_identical_for_a_seed() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    generate(20_000, 11, &a);
    generate(20_000, 11, &b);
    generate(20_000, 12, &c);
    let a = std::fs::read(a).unwrap();
    assert_eq!(a, std::fs::read(b).unwrap());
    assert_ne!(a, std::fs::read(c).unwrap());
    assert_eq!(a.iter().filter(|b| **b == b'\n').count(), 20_000);
}

#[test]
fn file_source_with_two_workers_equals_one_worker() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    generate(60_000, 3, &input);
    let one = dir.path().join("one");
    let two = dir.path().join("two");
    run_file(&input, &one, &["--workers", "1"]);
    run_file(&input, &two, &["--workers", "2"]);
    assert_eq!(lake_fingerprint(&one), lake_fingerprint(&two));
    let gz = dir.path().join("events.jsonl.gz");
    let mut cmd = cohort();
    cmd.args(["generate", "--events", "60000", "--seed", "3", "--out"])
        .arg(&gz);
    ok(cmd);
    let zipped = dir.path().join("gz");
    run_file(&gz, &zipped, &["--workers", "2"]);
    assert_eq!(lake_fingerprint(&zipped), lake_fingerprint(&one));
}

#[test]
fn bad_config_and_bad_flags_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("cohort.toml");
    std::fs::write(&config, "[runtime]\nworkerz = 2\n").unwrap();
    let out = cohort()
        .args(["run", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("runtime.workerz") && err.contains("cohort.toml"),
        "{err}"
    );

    let out = cohort()
        .args(["run", "--source", "file", "--input"])
        .arg(dir.path().join("missing.jsonl"))
        .arg("--data-dir")
        .arg(dir.path().join("d"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.jsonl"));
}
