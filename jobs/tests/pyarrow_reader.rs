//! Every lake file is readable by an independent reader: pyarrow's row counts and checksums equal
//! DataFusion's. `scripts/test.sh` installs pyarrow into a cached virtualenv and sets COHORT_PYTHON.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::*;
use serde_json::Value;

#[test]
fn lake_is_readable_by_pyarrow() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // With recommendations on, so their change-record table is read back too.
    let mut run = cohort_with_recs();
    run.args([
        "run",
        "--source",
        "generate",
        "--events",
        "30000",
        "--seed",
        "9",
        "--data-dir",
    ])
    .arg(&data);
    ok(run);
    let python = std::env::var("COHORT_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/lake_checksums.py");
    let out = Command::new(&python).arg(script).arg(&data).output().unwrap_or_else(|e| {
        panic!("cannot run {python}: {e}; run the tests with scripts/test.sh, which installs pyarrow")
    });
    assert!(
        out.status.success(),
        "pyarrow reader failed (run the tests with scripts/test.sh, which installs pyarrow):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let py: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tables = py.as_object().unwrap();
    assert!(tables.len() >= 8, "{py}");
    for table in ["recommendations", "activity_hourly", "forecasts"] {
        assert!(tables.contains_key(table), "{table} missing: {py}");
    }
    for (table, sums) in tables {
        let rows = query_u64(&data, &format!("SELECT count(*) FROM {table}"));
        assert_eq!(sums["rows"].as_u64().unwrap(), rows, "{table} rows");
        // Each table sums its time column: event time, change epoch, or an alert's last hour.
        let column = sums["sum_column"].as_str().unwrap();
        let sum = query(
            &data,
            &format!("SELECT coalesce(sum(CAST({column} AS BIGINT)), 0) FROM {table}"),
        );
        assert_eq!(
            sums["sum"].as_i64().unwrap().to_string(),
            sum[0][0],
            "{table} {column}"
        );
        if let Some(len) = sums.get("event_id_len_sum") {
            let df = query_u64(
                &data,
                &format!("SELECT coalesce(sum(character_length(event_id)), 0) FROM {table}"),
            );
            assert_eq!(len.as_u64().unwrap(), df, "{table} event_id");
        }
        if let Some(pos) = sums.get("position_sum") {
            let df = query_u64(
                &data,
                &format!("SELECT coalesce(sum(position), 0) FROM {table}"),
            );
            assert_eq!(pos.as_u64().unwrap(), df, "{table} position");
        }
        let hours: Vec<u64> = query(
            &data,
            &format!("SELECT DISTINCT hour FROM {table} ORDER BY hour"),
        )
        .iter()
        .map(|r| r[0].parse().unwrap())
        .collect();
        let py_hours: Vec<u64> = sums["hours"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_u64().unwrap())
            .collect();
        assert_eq!(py_hours, hours, "{table} hour partitions");
    }
}
