//! The pipeline a server runs inside (`cohort run --http`): whether it has caught up, which is
//! what `/readyz` waits for, and its counters, which `/metrics` adds to the API's own.
//!
//! Caught up means: every worker has, at least once, read everything its sources held when they
//! were opened and found nothing more, and a commit has followed. (That commit may not cover the
//! records within the allowed lateness of the newest event time yet.) It stays true afterwards: a
//! server that answered ready does not drop out of a load balancer because traffic picked up.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use cohort_pipeline::Metrics;
use cohort_schemas::{Kind, Reason};

/// What the API knows of the pipeline it runs in.
#[derive(Debug, Clone)]
pub struct Pipeline {
    caught_up: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
}

impl Pipeline {
    /// The pipeline whose counters are `metrics`, not yet caught up.
    pub fn new(metrics: Arc<Metrics>) -> Pipeline {
        Pipeline {
            caught_up: Arc::default(),
            metrics,
        }
    }

    /// Whether it has caught up.
    pub fn caught_up(&self) -> bool {
        self.caught_up.load(Ordering::Relaxed)
    }

    /// Appends its counters as Prometheus text to `out`.
    pub fn render(&self, out: &mut String) {
        let m = &self.metrics;
        let (_, rows, commits) = m.commit_totals();
        let mut family = |name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        family(
            "cohort_records_read_total",
            "counter",
            "Records read from the sources by this run.",
        );
        family(
            "cohort_events_in_total",
            "counter",
            "Valid events read by this run, by kind.",
        );
        family(
            "cohort_dead_letters_total",
            "counter",
            "Records dead-lettered by this run, by reason.",
        );
        family(
            "cohort_commits_total",
            "counter",
            "Checkpoints committed by this run.",
        );
        family(
            "cohort_rows_committed_total",
            "counter",
            "Lake rows committed by this run.",
        );
        family(
            "cohort_committed_epoch",
            "gauge",
            "The epoch (event-time second) of the last commit.",
        );
        family(
            "cohort_caught_up",
            "gauge",
            "1 once the run has read what its sources held and committed it.",
        );
        let _ = writeln!(out, "cohort_records_read_total {}", m.records_read());
        for kind in Kind::ALL {
            let _ = writeln!(
                out,
                "cohort_events_in_total{{kind=\"{}\"}} {}",
                kind.name(),
                m.events(kind)
            );
        }
        for reason in Reason::ALL {
            let _ = writeln!(
                out,
                "cohort_dead_letters_total{{reason=\"{}\"}} {}",
                reason.code(),
                m.dead_letters(reason)
            );
        }
        let _ = writeln!(out, "cohort_commits_total {commits}");
        let _ = writeln!(out, "cohort_rows_committed_total {rows}");
        let _ = writeln!(out, "cohort_committed_epoch {}", m.committed_epoch());
        let _ = writeln!(out, "cohort_caught_up {}", u8::from(self.caught_up()));
    }
}

/// Watches a running pipeline's counters and marks it caught up.
#[derive(Debug)]
pub struct CatchUp {
    pipeline: Pipeline,
    workers: u64,
    /// Commits when the last worker drained; caught up at the next one.
    commits_at_drain: Option<u64>,
}

impl CatchUp {
    /// A watcher of `pipeline`, run by `workers` workers.
    pub fn new(pipeline: Pipeline, workers: usize) -> CatchUp {
        CatchUp {
            pipeline,
            workers: workers as u64,
            commits_at_drain: None,
        }
    }

    /// Looks at the counters (call it on every tick of the run).
    pub fn observe(&mut self) {
        if self.pipeline.caught_up() {
            return;
        }
        let m = &self.pipeline.metrics;
        let (_, _, commits) = m.commit_totals();
        match self.commits_at_drain {
            None if m.drained_workers() >= self.workers => self.commits_at_drain = Some(commits),
            Some(at) if commits > at => self.pipeline.caught_up.store(true, Ordering::Relaxed),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caught_up_once_every_worker_drained_and_a_commit_followed() {
        let metrics = Arc::new(Metrics::default());
        let pipeline = Pipeline::new(Arc::clone(&metrics));
        let mut watch = CatchUp::new(pipeline.clone(), 2);
        metrics.committed(5, 1, 10);
        metrics.worker_drained();
        watch.observe();
        assert!(!pipeline.caught_up(), "one of two workers drained");
        metrics.worker_drained();
        watch.observe();
        assert!(!pipeline.caught_up(), "no commit since");
        metrics.committed(6, 1, 10);
        watch.observe();
        assert!(pipeline.caught_up());
        let mut text = String::new();
        pipeline.render(&mut text);
        assert!(text.contains("cohort_caught_up 1\n"), "{text}");
        assert!(text.contains("cohort_commits_total 2\n"), "{text}");
        assert!(
            text.contains("cohort_events_in_total{kind=\"view\"} 0\n"),
            "{text}"
        );
    }
}
