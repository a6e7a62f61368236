//! `cohort-benches reference` against a plain computation written here, on events generated here (the
//! peers' kit and Python are not needed): J1 must equal a HashMap count per (community, item, kind),
//! and J2 the pairs a < b (string order) of each user's distinct items, counted per community, with
//! one and two workers (the input is over 1 MiB, so two workers read one byte range each).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Output};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A result: key fields → count.
type Table = HashMap<[String; 3], i64>;

/// One generated view or like.
struct Touch {
    kind: &'static str,
    community: String,
    user: String,
    item: String,
}

/// Events like the kit's generator writes (view 70%, like 30%, a home community per user, skewed
/// item popularity, padding fields), plus what it does not: event times up to 30 s out of order
/// (within cohort's lateness), a community id that needs CSV quoting, item ids whose string order
/// is not their numeric order, and erasure events (another kind, which the jobs skip). Returns the
/// JSON Lines text and the views and likes in it.
fn generate(n: usize, seed: u64) -> (String, Vec<Touch>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let communities = ["c0", "c1", "c2", "c3", "c,4\"quoted\""];
    let mut next = |bound: u64| rng.next_u64() % bound;
    let mut text = String::new();
    let mut touches = Vec::new();
    for i in 0..n {
        let user = next(400);
        let community = if next(10) < 9 {
            communities[(user % 5) as usize]
        } else {
            communities[next(5) as usize]
        };
        // The product of two uniform draws: low item numbers are much more popular.
        let item = next(40) * next(40) / 39;
        let jitter = if next(10) == 0 {
            next(30_000) as i64
        } else {
            0
        };
        let ts = 1_700_000_000_000 + 3 * i as i64 - jitter;
        let roll = next(100);
        let mut event = serde_json::json!({
            "event_id": format!("e{i:08}"),
            "ts": ts,
            "community_id": community,
            "user_id": format!("u{user}"),
            "session_id": format!("s{:010}", next(10_000_000_000)),
            "client": "android-5.2.1",
        });
        if roll < 2 {
            event["kind"] = "erasure".into();
        } else {
            let kind = if roll < 70 { "view" } else { "like" };
            event["kind"] = kind.into();
            event["item_id"] = format!("i{item}").into();
            touches.push(Touch {
                kind,
                community: community.to_string(),
                user: format!("u{user}"),
                item: format!("i{item}"),
            });
        }
        text.push_str(&event.to_string());
        text.push('\n');
    }
    (text, touches)
}

/// J1 computed plainly.
fn plain_count(touches: &[Touch]) -> Table {
    let mut counts = Table::new();
    for t in touches {
        let key = [t.community.clone(), t.item.clone(), t.kind.to_string()];
        *counts.entry(key).or_default() += 1;
    }
    counts
}

/// J2 computed plainly.
fn plain_cooc(touches: &[Touch]) -> Table {
    let mut items: HashMap<(&str, &str), BTreeSet<&str>> = HashMap::new();
    for t in touches {
        items
            .entry((t.community.as_str(), t.user.as_str()))
            .or_default()
            .insert(t.item.as_str());
    }
    let mut counts = Table::new();
    for ((community, _user), items) in &items {
        let items: Vec<&str> = items.iter().copied().collect();
        for (i, a) in items.iter().enumerate() {
            for b in &items[i + 1..] {
                let key = [community.to_string(), a.to_string(), b.to_string()];
                *counts.entry(key).or_default() += 1;
            }
        }
    }
    counts
}

/// Runs `cohort-benches reference`.
fn reference(job: &str, input: &Path, out: &Path, workers: usize) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cohort-benches"))
        .args(["reference", "--job", job, "--workers", &workers.to_string()])
        .arg("--input")
        .arg(input)
        .arg("--out")
        .arg(out)
        .output()
        .expect("cohort-benches runs")
}

/// Reads a headerless `key…,count` CSV, failing on a repeated key.
fn read_table(path: &Path) -> Table {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .expect("result file opens");
    let mut table = Table::new();
    for record in reader.records() {
        let record = record.expect("a CSV record");
        assert_eq!(record.len(), 4, "four fields: {record:?}");
        let key = [0, 1, 2].map(|i| record[i].to_string());
        let count: i64 = record[3].parse().expect("an integer count");
        assert!(
            table.insert(key, count).is_none(),
            "repeated key in {record:?}"
        );
    }
    table
}

/// Runs `job` with 1 and 2 workers and checks each result equals `expected`.
fn check(job: &str, expected: &Table) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (text, _) = generate(12_000, 11);
    let input = dir.path().join("events.jsonl");
    std::fs::write(&input, &text).expect("input written");
    assert!(
        text.len() > 1 << 20,
        "two workers must get a byte range each"
    );
    for workers in [1, 2] {
        let out = dir.path().join(format!("{job}-{workers}.csv"));
        let run = reference(job, &input, &out, workers);
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "{job} with {workers} workers failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(
            stdout.contains("12000 events") && stdout.contains("events/s"),
            "figures printed: {stdout}"
        );
        let got = read_table(&out);
        let missing: Vec<_> = expected.keys().filter(|k| !got.contains_key(*k)).collect();
        let extra: Vec<_> = got.keys().filter(|k| !expected.contains_key(*k)).collect();
        let wrong: Vec<_> = got
            .iter()
            .filter(|(k, v)| expected.get(*k).is_some_and(|e| e != *v))
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty() && wrong.is_empty(),
            "{job}, {workers} workers: {} missing (e.g. {:?}), {} extra (e.g. {:?}), {} wrong (e.g. {:?})",
            missing.len(),
            missing.first(),
            extra.len(),
            extra.first(),
            wrong.len(),
            wrong.first()
        );
    }
}

#[test]
fn count_equals_a_plain_count_per_community_item_and_kind() {
    let (_, touches) = generate(12_000, 11);
    let expected = plain_count(&touches);
    // The check means something only if keys repeat and the quoted community is there.
    assert!(expected.values().any(|&n| n > 50));
    assert!(expected.keys().any(|k| k[0].contains(',')));
    assert!(expected.keys().any(|k| k[2] == "like"));
    check("count", &expected);
}

#[test]
fn cooc_equals_pairs_of_each_users_distinct_items() {
    let (_, touches) = generate(12_000, 11);
    let expected = plain_cooc(&touches);
    assert!(expected.values().any(|&n| n > 20));
    // String order, not numeric: i10 sorts before i9.
    assert!(expected.keys().any(|k| k[1] == "i10" && k[2] == "i9"));
    check("cooc", &expected);
}

#[test]
fn a_rejected_record_fails_the_run_without_a_result() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut text, _) = generate(100, 5);
    text.push_str("{\"kind\":\"view\",\"event_id\":\"broken\"\n");
    let input = dir.path().join("events.jsonl");
    std::fs::write(&input, &text).expect("input written");
    let out = dir.path().join("count.csv");
    let run = reference("count", &input, &out, 1);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "a run with a dead letter must fail");
    assert!(stderr.contains("1 of 101 records"), "{stderr}");
    assert!(!out.exists(), "no result is written");
}
