//! Restarts lose and duplicate nothing: a run killed with SIGKILL, or stopped with SIGTERM, at random
//! points and started again on the same data directory ends with exactly the lake (and serving
//! tables) an undisturbed run writes.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn spawn_run(input: &std::path::Path, data: &std::path::Path) -> Child {
    cohort()
        .args([
            "run",
            "--source",
            "file",
            "--workers",
            "2",
            "--checkpoint-interval-ms",
            "20",
            "--input",
        ])
        .arg(input)
        .arg("--data-dir")
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn committed_files(data: &std::path::Path) -> usize {
    if !data.join("lake").exists() {
        return 0;
    }
    lake_files(data).0.len()
}

/// How a run is interrupted.
#[derive(Clone, Copy, Debug)]
enum Interrupt {
    /// A crash: nothing runs after it.
    Kill,
    /// A clean stop: the run commits what it read and exits 0.
    Term,
}

impl Interrupt {
    /// Interrupts `child`; returns whether it was still running.
    fn send(self, mut child: Child) -> bool {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        match self {
            Interrupt::Kill => {
                child.kill().unwrap();
                child.wait().unwrap();
            }
            Interrupt::Term => stop_with_sigterm(child),
        }
        true
    }
}

#[test]
fn sigkill_at_random_points_then_restart_writes_every_event_exactly_once() {
    interrupted_runs_end_as_an_undisturbed_run(Interrupt::Kill);
}

/// A stop by signal commits the run's final state; the next run must stamp what it reads at real
/// times again (it once stamped everything at the last time there is, and lost it).
#[test]
fn sigterm_at_random_points_then_restart_writes_every_event_exactly_once() {
    interrupted_runs_end_as_an_undisturbed_run(Interrupt::Term);
}

fn interrupted_runs_end_as_an_undisturbed_run(interrupt: Interrupt) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    generate(400_000, 5, &input);
    let reference = dir.path().join("reference");
    run_file(&input, &reference, &["--workers", "2"]);

    let data = dir.path().join("killed");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    let mut kills = 0;
    for round in 0..5u64 {
        let before = committed_files(&data);
        let mut child = spawn_run(&input, &data);
        // Wait for this run's first commit, then a pseudo-random extra delay.
        let started = Instant::now();
        while committed_files(&data) == before && started.elapsed() < Duration::from_secs(60) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let extra = (seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(round * 1442695040888963407)
            >> 33)
            % 150;
        std::thread::sleep(Duration::from_millis(extra));
        if interrupt.send(child) {
            kills += 1;
        }
        eprintln!("round {round}: {interrupt:?} after first commit + {extra} ms (seed {seed})");
    }
    assert!(
        kills >= 3,
        "only {kills} runs were still going when interrupted; the input is too small for this test"
    );
    let summary = run_file(&input, &data, &["--workers", "2"]);
    assert!(summary.contains("cohort run finished"), "{summary}");

    assert_eq!(lake_fingerprint(&data), lake_fingerprint(&reference));
    assert_eq!(
        activity_fingerprint(&data),
        activity_fingerprint(&reference)
    );
    // The forecast job's serving tables end as the undisturbed run's.
    let serving = |dir: &std::path::Path| {
        let store = cohort_sinks::SqliteStore::open(&dir.join("serving.db"), "ingest").unwrap();
        (
            format!("{:?}", store.forecasts().unwrap()),
            store.activity_alerts().unwrap(),
        )
    };
    let (forecasts, alerts) = serving(&data);
    assert!(forecasts.len() > 1000, "no forecasts");
    assert_eq!((forecasts, alerts), serving(&reference));
    // So do the moderation job's alerts, rebuilt from the lake after every kill.
    let moderation = |dir: &std::path::Path| {
        let store = cohort_sinks::SqliteStore::open(&dir.join("serving.db"), "ingest").unwrap();
        store.moderation_alerts().unwrap()
    };
    let moderation_alerts = moderation(&data);
    assert!(moderation_alerts.len() > 10, "{moderation_alerts:?}");
    assert_eq!(moderation_alerts, moderation(&reference));
    let total = query_u64(&data, "SELECT count(*) FROM events_view");
    let distinct = query_u64(&data, "SELECT count(DISTINCT event_id) FROM events_view");
    assert_eq!(total, distinct, "duplicated views");
    assert!(
        !data.join("staging").exists()
            || std::fs::read_dir(data.join("staging"))
                .unwrap()
                .next()
                .is_none()
    );
    let (_, other) = lake_files(&data);
    let manifest = data.join("lake/_manifest/ingest.json");
    assert_eq!(
        other,
        vec![manifest],
        "the lake holds Parquet files and the checkpoint manifest, nothing else"
    );
}
