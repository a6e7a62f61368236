//! Prometheus' text exposition, written one way for every `/metrics` family: the `HELP`/`TYPE`
//! header, a sample line with or without labels, and a latency histogram (cumulative buckets, a
//! sum and a count) shared by the pipeline's commit latency and the HTTP API's request latency.

use std::fmt::{Display, Write};

/// Appends the `HELP` and `TYPE` lines of family `name` (`kind`: counter, gauge, histogram).
pub fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Appends one sample: `name{labels} value`, or `name value` when `labels` is empty.
pub fn sample(out: &mut String, name: &str, labels: &str, value: impl Display) {
    if labels.is_empty() {
        let _ = writeln!(out, "{name} {value}");
    } else {
        let _ = writeln!(out, "{name}{{{labels}}} {value}");
    }
}

/// Upper bounds of the buckets, seconds: half a millisecond to ten seconds, which spans a point
/// read of the serving table and a commit that waits out an unavailable database.
pub const BOUNDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Observations of one series.
#[derive(Debug, Default, Clone)]
pub struct Histogram {
    /// Observations at or under each bound of [`BOUNDS`] and over the one before (summed when
    /// rendered, so observing touches one slot).
    buckets: [u64; BOUNDS.len()],
    count: u64,
    sum_secs: f64,
}

impl Histogram {
    /// Counts one observation of `secs`.
    pub fn observe(&mut self, secs: f64) {
        if let Some(i) = BOUNDS.iter().position(|&bound| secs <= bound) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum_secs += secs;
    }

    /// Appends the series `name` with `labels` (`route="/healthz"`, or empty) to `out`: a
    /// `_bucket` line per bound and `+Inf`, then `_sum` and `_count`.
    pub fn render(&self, name: &str, labels: &str, out: &mut String) {
        let sep = if labels.is_empty() { "" } else { "," };
        let bucket = format!("{name}_bucket");
        let mut cumulative = 0;
        for (bound, n) in BOUNDS.iter().zip(self.buckets) {
            cumulative += n;
            sample(
                out,
                &bucket,
                &format!("{labels}{sep}le=\"{bound}\""),
                cumulative,
            );
        }
        sample(
            out,
            &bucket,
            &format!("{labels}{sep}le=\"+Inf\""),
            self.count,
        );
        sample(out, &format!("{name}_sum"), labels, self.sum_secs);
        sample(out, &format!("{name}_count"), labels, self.count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_accumulate_and_labels_are_optional() {
        let mut h = Histogram::default();
        h.observe(0.0002);
        h.observe(0.003);
        h.observe(99.0);
        let mut text = String::new();
        h.render("t_seconds", "", &mut text);
        h.render("t_seconds", "route=\"/x\"", &mut text);
        for line in [
            "t_seconds_bucket{le=\"0.0005\"} 1",
            "t_seconds_bucket{le=\"0.005\"} 2",
            "t_seconds_bucket{le=\"10\"} 2",
            "t_seconds_bucket{le=\"+Inf\"} 3",
            "t_seconds_sum 99.0032",
            "t_seconds_count 3",
            "t_seconds_bucket{route=\"/x\",le=\"0.001\"} 1",
            "t_seconds_count{route=\"/x\"} 3",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }
}
