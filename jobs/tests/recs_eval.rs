//! `cohort eval recs` end to end through the built binary, on a small ratings file written here: two
//! groups of users with disjoint tastes, so a model that learns taste must beat popularity.
#![allow(clippy::unwrap_used)]

use std::fmt::Write;
use std::path::Path;
use std::process::Command;

/// Items per taste cluster; users alternate between the two clusters.
const CLUSTER_ITEMS: u64 = 40;
const USERS: u64 = 60;
/// Items each user rates in their own cluster (plus one outside it).
const OWN_ITEMS: usize = 10;

/// A generic CSV (columns in an unusual order, times in ms) of `USERS` users in two taste clusters.
fn clustered_ratings() -> String {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let mut csv = String::from("item,user,time,rating\n");
    let mut ts = 1_700_000_000_000_u64;
    for user in 0..USERS {
        let cluster = user % 2;
        let mut items = Vec::new();
        while items.len() < OWN_ITEMS {
            // Skewed within the cluster: some items are much more popular than others.
            let j = next(CLUSTER_ITEMS).min(next(CLUSTER_ITEMS));
            let item = cluster * CLUSTER_ITEMS + j;
            if !items.contains(&item) {
                items.push(item);
            }
        }
        for item in items {
            ts += 60_000;
            writeln!(csv, "m{item},u{user},{ts},5").unwrap();
        }
        let stray = (1 - cluster) * CLUSTER_ITEMS + next(CLUSTER_ITEMS);
        ts += 60_000;
        writeln!(csv, "m{stray},u{user},{ts},2").unwrap();
    }
    csv
}

fn eval(file: &Path, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cohort"))
        .args(["eval", "recs", "--ratings"])
        .arg(file)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cohort eval recs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn assert_keys(json: &serde_json::Value) {
    for key in ["recall@20", "ndcg@10", "hr@10", "coverage"] {
        assert!(json.get(key).is_some(), "no {key} in {json}");
        assert!(
            json["baseline_popularity"].get(key).is_some(),
            "no baseline {key} in {json}"
        );
    }
    for key in [
        "protocol",
        "seeds",
        "users",
        "items",
        "interactions",
        "seconds",
    ] {
        assert!(json.get(key).is_some(), "no {key} in {json}");
    }
}

#[test]
fn eval_recs_split_json_has_every_key_and_beats_popularity() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ratings.csv");
    std::fs::write(&file, clustered_ratings()).unwrap();
    let stdout = eval(&file, &["--json", "--seeds", "2"]);
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_keys(&json);
    assert_eq!(json["protocol"], "split");
    assert_eq!(json["users"], USERS);
    assert_eq!(json["interactions"], USERS * (OWN_ITEMS as u64 + 1));
    let ours = json["recall@20"].as_f64().unwrap();
    let popularity = json["baseline_popularity"]["recall@20"].as_f64().unwrap();
    assert!(
        ours > popularity,
        "cohort {ours} <= popularity {popularity}: {json}"
    );
}

#[test]
fn eval_recs_prequential_json_and_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ratings.csv");
    std::fs::write(&file, clustered_ratings()).unwrap();
    let stdout = eval(&file, &["--json", "--protocol", "prequential"]);
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_keys(&json);
    assert_eq!(json["protocol"], "prequential");
    assert_eq!(json["step_seconds"], 3600);
    assert!(json["recall@20"].is_null());
    let hr = json["hr@10"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&hr), "{json}");
    let table = eval(&file, &["--seeds", "1"]);
    for metric in ["recall@20", "ndcg@10", "hr@10", "coverage"] {
        assert!(table.lines().any(|l| l.starts_with(metric)), "{table}");
    }
}
