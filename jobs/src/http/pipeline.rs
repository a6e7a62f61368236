//! The pipeline a server runs inside (`cohort run --http`): whether it has caught up, which is
//! what `/readyz` waits for, and its counters, which `/metrics` adds to the API's own.
//!
//! Caught up means: every worker has, at least once, read everything its sources held when they
//! were opened and found nothing more, and a commit has followed. (That commit may not cover the
//! records within the allowed lateness of the newest event time yet.) It stays true afterwards: a
//! server that answered ready does not drop out of a load balancer because traffic picked up.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use cohort_pipeline::{Metrics, prometheus};
use cohort_schemas::moderation::ModerationKind;
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

    /// Appends its counters as Prometheus text to `out`, each family's samples right after its
    /// `HELP` and `TYPE` lines.
    pub fn render(&self, out: &mut String) {
        let m = &self.metrics;
        let (_, rows, commits) = m.commit_totals();
        let committed = m.committed_epoch();
        let frontier = m.input_frontier();
        let kinds = Kind::ALL.map(|k| (format!("kind=\"{}\"", k.name()), m.events(k)));
        let reasons = Reason::ALL.map(|r| (format!("reason=\"{}\"", r.code()), m.dead_letters(r)));
        let lags = m.split_lags().into_iter();
        let raised = m.alerts_raised();
        let alert_kinds =
            std::iter::once("activity").chain(ModerationKind::ALL.map(ModerationKind::name));
        let alerts =
            alert_kinds.map(|k| (format!("kind=\"{k}\""), raised.get(k).copied().unwrap_or(0)));
        // (name, type, help, samples as (labels, value)); a family without samples is left out (the
        // frontier gauges before the input moved, consumer lag without Kafka).
        let families: Vec<Family> = vec![
            (
                "cohort_records_read_total",
                "counter",
                "Records read from the sources by this run.",
                one(m.records_read()),
            ),
            (
                "cohort_events_in_total",
                "counter",
                "Valid events read by this run, by kind.",
                kinds.to_vec(),
            ),
            (
                "cohort_dead_letters_total",
                "counter",
                "Records dead-lettered by this run, by reason.",
                reasons.to_vec(),
            ),
            (
                "cohort_commits_total",
                "counter",
                "Checkpoints committed by this run.",
                one(commits),
            ),
            (
                "cohort_rows_committed_total",
                "counter",
                "Lake rows committed by this run.",
                one(rows),
            ),
            (
                "cohort_committed_epoch",
                "gauge",
                "The epoch (event-time second) of the last commit.",
                one(committed),
            ),
            (
                "cohort_input_frontier_seconds",
                "gauge",
                "Event time (Unix seconds) below which every worker has read its input.",
                frontier.map(one).unwrap_or_default(),
            ),
            (
                "cohort_epoch_lag_seconds",
                "gauge",
                "Event-time seconds read but not yet committed: the input frontier minus the committed epoch.",
                frontier
                    .map(|f| one(f.saturating_sub(committed)))
                    .unwrap_or_default(),
            ),
            (
                "cohort_watermark_delay_seconds",
                "gauge",
                "How far the input frontier (the watermark) is behind the wall clock, in seconds.",
                frontier
                    .map(|f| one(now_secs().saturating_sub(f)))
                    .unwrap_or_default(),
            ),
            (
                "cohort_consumer_lag_records",
                "gauge",
                "Records each Kafka partition holds beyond what this run has read, by split.",
                lags.map(|(split, lag)| (format!("split=\"{split}\""), lag))
                    .collect(),
            ),
            (
                "cohort_alerts_raised_total",
                "counter",
                "Alerts raised by this run, by kind.",
                alerts.collect(),
            ),
            (
                "cohort_caught_up",
                "gauge",
                "1 once the run has read what its sources held and committed it.",
                one(u64::from(self.caught_up())),
            ),
        ];
        for (name, kind, help, samples) in families {
            if samples.is_empty() {
                continue;
            }
            prometheus::family(out, name, kind, help);
            for (labels, value) in samples {
                prometheus::sample(out, name, &labels, value);
            }
        }
        let latency = "cohort_commit_duration_seconds";
        prometheus::family(
            out,
            latency,
            "histogram",
            "Time each commit took: the serving transaction (and its PostgreSQL copy) and the lake's renames.",
        );
        m.commit_latency().render(latency, "", out);
    }
}

/// A metric family to render: name, type, help, and its samples as (labels, value).
type Family = (&'static str, &'static str, &'static str, Vec<(String, u64)>);

/// One unlabelled sample.
fn one(value: u64) -> Vec<(String, u64)> {
    vec![(String::new(), value)]
}

/// The wall clock, Unix seconds.
fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
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
        assert!(
            !text.contains("cohort_epoch_lag_seconds"),
            "no frontier yet: {text}"
        );
        metrics.frontier(0, 20);
        metrics.frontier(1, 12);
        metrics.commit_took(0.003);
        metrics.split_lag("events/0", 7);
        metrics.alert_raised("spam");
        let mut text = String::new();
        pipeline.render(&mut text);
        for line in [
            "cohort_input_frontier_seconds 12",
            "cohort_epoch_lag_seconds 6",
            "cohort_commit_duration_seconds_count 1",
            "cohort_consumer_lag_records{split=\"events/0\"} 7",
            "cohort_alerts_raised_total{kind=\"spam\"} 1",
            "cohort_alerts_raised_total{kind=\"activity\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }
}
