//! Cluster mode (issue 8), with the real binary on loopback: a 2-process × 1-worker cluster writes
//! exactly what a 1-process × 2-worker run writes, and a cluster that loses a process mid-run stops
//! with a clear message and, restarted, ends with every event exactly once.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::cluster::*;
use common::*;

#[test]
fn a_two_process_cluster_writes_what_one_process_with_two_workers_writes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    generate(30_000, 3, &input);
    // The recommendation job too: its differential dataflow exchanges between the processes.
    let reference = dir.path().join("reference");
    run_file_with_recs(&input, &reference, &["--workers", "2"]);

    let data = dir.path().join("cluster");
    let run = || file_run(cohort_with_recs(), &input, &data);
    let [zero, one] = run_cluster(run, dir.path(), "run");
    assert!(zero.contains("cohort run finished"), "{zero}");
    assert!(one.contains("process 1 of 2"), "{one}");
    let serving = serving_contents(&data);
    let recommendations = serving.iter().find(|(t, _)| t == "recommendations");
    assert!(
        recommendations.is_some_and(|(_, rows)| rows.len() > 100),
        "no recommendations"
    );
    assert_same_outputs(&data, &reference);
    // Process 0 published everything; nothing is left staged.
    let staging = data.join("staging");
    assert!(!staging.exists() || std::fs::read_dir(&staging).unwrap().next().is_none());
}

/// Kills process `victim` of a running cluster after its first commit, and checks the survivor
/// stops by itself, with the message that says what to do.
fn kill_one_after_a_commit(dir: &Path, round: usize, victim: usize, input: &Path, data: &Path) {
    let committed = |data: &Path| data.join("lake").exists() && !lake_files(data).0.is_empty();
    let before = if committed(data) {
        lake_files(data).0.len()
    } else {
        0
    };
    let hosts = hostfile(dir, &format!("kill{round}"));
    let mut processes = [0, 1]
        .map(|i| Process::spawn(file_run(cohort(), input, data), i, &hosts))
        .into_iter();
    let (first, second) = (processes.next().unwrap(), processes.next().unwrap());
    let (mut victim_process, survivor) = match victim {
        0 => (first, second),
        _ => (second, first),
    };
    let started = Instant::now();
    while (!committed(data) || lake_files(data).0.len() == before) && started.elapsed() < PATIENCE {
        assert!(
            victim_process.child.try_wait().unwrap().is_none(),
            "process {victim} ended before its cluster committed; the input is too small for this test"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        victim_process.child.try_wait().unwrap().is_none(),
        "process {victim} finished before it could be killed; the input is too small for this test"
    );
    victim_process.child.kill().unwrap();
    victim_process.child.wait().unwrap();
    let (status, _, stderr) = survivor.wait();
    let other = 1 - victim;
    assert!(
        !status.success(),
        "process {other} exited 0 after losing its peer:\n{stderr}"
    );
    let expected = format!("process {other} lost its peer process {victim}");
    assert!(
        stderr.contains(&expected) && stderr.contains("Restart the whole cluster"),
        "process {other} did not say what happened ({expected}):\n{stderr}"
    );
    // One clear message, not a wall of panics.
    assert!(!stderr.contains("MergeQueue poisoned"), "{stderr}");
}

#[test]
fn killing_a_process_mid_run_then_restarting_the_cluster_writes_every_event_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    generate(300_000, 5, &input);
    let reference = dir.path().join("reference");
    run_file(&input, &reference, &["--workers", "2"]);

    let data = dir.path().join("cluster");
    // The committer's peer first, then the committer itself.
    kill_one_after_a_commit(dir.path(), 0, 1, &input, &data);
    kill_one_after_a_commit(dir.path(), 1, 0, &input, &data);
    let [zero, _] = run_cluster(|| file_run(cohort(), &input, &data), dir.path(), "restart");
    assert!(zero.contains("cohort run finished"), "{zero}");

    // Every event exactly once: as many rows as distinct event ids, as many as the reference has.
    for table in EVENT_TABLES {
        let counts = |data: &Path| {
            query(
                data,
                &format!("SELECT count(*), count(DISTINCT event_id) FROM {table}"),
            )
        };
        let rows = counts(&data);
        assert_eq!(rows[0][0], rows[0][1], "{table} holds an event twice");
        assert_eq!(rows, counts(&reference), "{table}");
    }
    assert_eq!(lake_fingerprint(&data), lake_fingerprint(&reference));
    assert_same_outputs(&data, &reference);
}
