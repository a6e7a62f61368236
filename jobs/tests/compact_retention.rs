//! `cohort compact --retention` on the real binary: date partitions of a listed table older than
//! its `[lake.retention_days]` go, newer ones and every other table stay; config errors name the
//! key and the file; and compaction and runs exclude each other through the data directory's lock.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use cohort_schemas::time::days_from_civil;
use cohort_sinks::DataDirLock;
use common::*;

/// The `date=` partitions of `table`.
fn dates(data: &Path, table: &str) -> BTreeSet<String> {
    std::fs::read_dir(data.join("lake").join(table))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_prefix("date=").map(str::to_string)
        })
        .collect()
}

fn day_of(date: &str) -> i64 {
    let p: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    days_from_civil(p[0], p[1], p[2])
}

fn compact(data: &Path, extra: &[&str]) -> std::process::Output {
    let mut cmd = cohort();
    cmd.arg("compact").args(extra).arg("--data-dir").arg(data);
    cmd.output().unwrap()
}

#[test]
fn retention_drops_old_partitions_of_listed_tables_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    run_generate(20_000, 7, &data);
    let views = dates(&data, "events_view");
    assert!(views.len() >= 3, "{views:?}");
    let keep_from = views.iter().nth(views.len() / 2).unwrap().clone();
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        / 86_400;
    let days = today - day_of(&keep_from);
    assert!(
        days > 0,
        "the generated traffic lies in the future: {keep_from}"
    );
    let expired = query_u64(
        &data,
        &format!("SELECT count(*) FROM events_view WHERE date < '{keep_from}'"),
    );
    let total = query_u64(&data, "SELECT count(*) FROM events_view");
    assert!(expired > 0);
    let others: Vec<_> = lake_files(&data)
        .0
        .into_iter()
        .filter(|p| !p.starts_with(data.join("lake/events_view")))
        .collect();

    let config = dir.path().join("retention.toml");
    std::fs::write(
        &config,
        format!("[lake.retention_days]\nevents_view = {days}\n"),
    )
    .unwrap();
    let out = compact(
        &data,
        &["--retention", "--config", config.to_str().unwrap()],
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{summary}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = summary
        .lines()
        .find(|l| l.trim_start().starts_with("events_view"))
        .unwrap_or_else(|| panic!("{summary}"));
    let numbers: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect();
    // files rewritten, files removed, rows removed, ids replaced, partitions dropped
    assert_eq!(numbers[0], 0, "{line}");
    assert_eq!(numbers[2], expired, "{line}");
    assert_eq!(
        numbers[4],
        views.iter().filter(|d| **d < keep_from).count() as u64
    );

    let kept: BTreeSet<String> = views.iter().filter(|d| **d >= keep_from).cloned().collect();
    assert_eq!(dates(&data, "events_view"), kept);
    assert_eq!(
        query_u64(&data, "SELECT count(*) FROM events_view"),
        total - expired
    );
    let now: Vec<_> = lake_files(&data)
        .0
        .into_iter()
        .filter(|p| !p.starts_with(data.join("lake/events_view")))
        .collect();
    assert_eq!(now, others, "another table changed");
    // Again: nothing left to drop.
    let out = compact(
        &data,
        &["--retention", "--config", config.to_str().unwrap()],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to do"));
}

#[test]
fn bad_retention_keys_name_the_key_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("lake")).unwrap();
    let config = dir.path().join("bad.toml");
    for (body, key) in [
        ("events_views = 3", "lake.retention_days.events_views"),
        ("erasures = 3", "lake.retention_days.erasures"),
    ] {
        std::fs::write(&config, format!("[lake.retention_days]\n{body}\n")).unwrap();
        let out = compact(&data, &["--config", config.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            stderr.contains(key) && stderr.contains("bad.toml"),
            "{stderr}"
        );
    }
}

#[test]
fn compaction_and_runs_exclude_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    run_generate(2_000, 3, &data);
    let lock = DataDirLock::acquire(&data).unwrap();
    let out = compact(&data, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("cohort.lock"),
        "{stderr}"
    );
    let mut cmd = cohort();
    cmd.args(["run", "--events", "100", "--data-dir"])
        .arg(&data);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("held by another cohort process"),
        "{stderr}"
    );
    drop(lock);
    let out = compact(&data, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
