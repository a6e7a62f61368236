//! Counters shared by all workers of a process: what the progress bar, the summary and the
//! Prometheus endpoint (`cohort run --http`) read. Plain atomics on the per-record path, so it pays
//! one relaxed add per record; maps behind a lock only for what changes per batch, per commit or
//! per alert.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::prometheus::Histogram;

use cohort_schemas::{Kind, Reason};

/// Process-wide ingest counters.
#[derive(Debug, Default)]
pub struct Metrics {
    records_read: AtomicU64,
    replayed_skipped: AtomicU64,
    events: [AtomicU64; Kind::ALL.len()],
    dead: [AtomicU64; Reason::ALL.len()],
    files_committed: AtomicU64,
    rows_committed: AtomicU64,
    commits: AtomicU64,
    committed_epoch: AtomicU64,
    activity_too_late: AtomicU64,
    moderation_verdicts_unmatched: AtomicU64,
    drained_workers: AtomicU64,
    commit_latency: Mutex<Histogram>,
    /// Each worker's input frontier (event-time seconds): where its capability stands.
    frontiers: Mutex<BTreeMap<usize, u64>>,
    /// Records each split is behind the end of its source (Kafka partitions), by split label.
    split_lags: Mutex<BTreeMap<String, u64>>,
    alerts_raised: Mutex<BTreeMap<&'static str, u64>>,
}

/// Takes a lock whose holder panicked too: the counters stay readable.
fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Metrics {
    /// Counts a record read from a source.
    pub fn record_read(&self) {
        self.records_read.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a replayed record dropped because an earlier run already committed it.
    pub fn replay_skipped(&self) {
        self.replayed_skipped.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a valid event.
    pub fn event(&self, kind: Kind) {
        self.events[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a dead letter.
    pub fn dead_letter(&self, reason: Reason) {
        let i = Reason::ALL.iter().position(|r| *r == reason).unwrap_or(0);
        self.dead[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a commit.
    pub fn committed(&self, epoch: u64, files: u64, rows: u64) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.files_committed.fetch_add(files, Ordering::Relaxed);
        self.rows_committed.fetch_add(rows, Ordering::Relaxed);
        self.committed_epoch.store(epoch, Ordering::Relaxed);
    }

    /// Counts an event whose activity hour had already closed when it reached the forecast job (it
    /// was stamped later than its own time after an idle partition woke up, or its hour was
    /// committed before a restart and the event replayed).
    pub fn activity_too_late(&self) {
        self.activity_too_late.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a `moderation_verdict` naming no alert the moderation job holds (a typo, or an alert
    /// closed longer ago than `moderation.verdict_window_secs`); the verdict is still in the lake.
    pub fn moderation_verdict_unmatched(&self) {
        self.moderation_verdicts_unmatched
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Verdicts that named no alert so far.
    pub fn moderation_verdicts_unmatched(&self) -> u64 {
        self.moderation_verdicts_unmatched.load(Ordering::Relaxed)
    }

    /// Events the forecast job found too late so far.
    pub fn activity_too_late_count(&self) -> u64 {
        self.activity_too_late.load(Ordering::Relaxed)
    }

    /// Records read so far.
    pub fn records_read(&self) -> u64 {
        self.records_read.load(Ordering::Relaxed)
    }

    /// Replayed records skipped so far.
    pub fn replayed_skipped(&self) -> u64 {
        self.replayed_skipped.load(Ordering::Relaxed)
    }

    /// Valid events of `kind` so far.
    pub fn events(&self, kind: Kind) -> u64 {
        self.events[kind.index()].load(Ordering::Relaxed)
    }

    /// Dead letters with `reason` so far.
    pub fn dead_letters(&self, reason: Reason) -> u64 {
        let i = Reason::ALL.iter().position(|r| *r == reason).unwrap_or(0);
        self.dead[i].load(Ordering::Relaxed)
    }

    /// Files, rows and commits so far.
    pub fn commit_totals(&self) -> (u64, u64, u64) {
        (
            self.files_committed.load(Ordering::Relaxed),
            self.rows_committed.load(Ordering::Relaxed),
            self.commits.load(Ordering::Relaxed),
        )
    }

    /// The last committed epoch.
    pub fn committed_epoch(&self) -> u64 {
        self.committed_epoch.load(Ordering::Relaxed)
    }

    /// Counts a worker whose sources had nothing more to read for the first time: everything
    /// they held when the run started (or resumed) has been read. Called once per worker.
    pub fn worker_drained(&self) {
        self.drained_workers.fetch_add(1, Ordering::Relaxed);
    }

    /// Workers that have read everything their sources held at least once.
    pub fn drained_workers(&self) -> u64 {
        self.drained_workers.load(Ordering::Relaxed)
    }

    /// Records how long a commit took (the serving transaction, its mirror and the lake's
    /// renames).
    pub fn commit_took(&self, secs: f64) {
        locked(&self.commit_latency).observe(secs);
    }

    /// Commit durations so far.
    pub fn commit_latency(&self) -> Histogram {
        locked(&self.commit_latency).clone()
    }

    /// Records that `worker`'s input frontier moved to `time` (event-time seconds).
    pub fn frontier(&self, worker: usize, time: u64) {
        locked(&self.frontiers).insert(worker, time);
    }

    /// The process's input frontier: the lowest of its workers' (`None` before any moved).
    pub fn input_frontier(&self) -> Option<u64> {
        locked(&self.frontiers).values().min().copied()
    }

    /// Records that split `label` is `lag` records behind the end of its source.
    pub fn split_lag(&self, label: &str, lag: u64) {
        let mut lags = locked(&self.split_lags);
        match lags.get_mut(label) {
            Some(slot) => *slot = lag,
            None => {
                lags.insert(label.to_string(), lag);
            }
        }
    }

    /// The last lag of every split that reports one, by label.
    pub fn split_lags(&self) -> BTreeMap<String, u64> {
        locked(&self.split_lags).clone()
    }

    /// Counts an alert raised (opened) by a job: `activity`, or a moderation kind.
    pub fn alert_raised(&self, kind: &'static str) {
        *locked(&self.alerts_raised).entry(kind).or_default() += 1;
    }

    /// Alerts raised so far, by kind.
    pub fn alerts_raised(&self) -> BTreeMap<&'static str, u64> {
        locked(&self.alerts_raised).clone()
    }
}
