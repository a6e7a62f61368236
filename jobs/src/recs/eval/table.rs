//! The text `cohort eval recs` prints without `--json`: the two models side by side, so the gap to
//! the baseline is read at a glance.

use std::fmt::Write;

use super::{EvalReport, Protocol, Scores};

/// Reads one metric from a set of scores (None: not measured by this protocol).
type Metric = fn(&Scores) -> Option<f64>;
/// The report as a small aligned table, with a line saying what was measured.
pub fn render(report: &EvalReport) -> String {
    let mut out = String::new();
    let how = match (report.protocol, report.seeds, report.step_seconds) {
        (Protocol::Split, Some(1), _) => "split 80/20, one seed".to_string(),
        (Protocol::Split, Some(seeds), _) => format!("split 80/20, mean of {seeds} seeds"),
        (Protocol::Prequential, _, Some(0)) => "prequential, per-event steps".to_string(),
        (Protocol::Prequential, _, Some(s)) => format!("prequential, {s} s steps"),
        (protocol, ..) => format!("{protocol:?}"),
    };
    let _ = writeln!(
        out,
        "{how}: {} users, {} items, {} interactions, {} evaluated, {:.1} s",
        report.users, report.items, report.interactions, report.evaluated, report.seconds
    );
    let _ = writeln!(out, "{:<10} {:>8} {:>11}", "metric", "cohort", "popularity");
    let rows: [(&str, Metric); 4] = [
        ("recall@20", |s| s.recall_at_20),
        ("ndcg@10", |s| s.ndcg_at_10),
        ("hr@10", |s| Some(s.hr_at_10)),
        ("coverage", |s| s.coverage),
    ];
    let cell = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.4}"));
    for (name, get) in rows {
        let (ours, theirs) = (get(&report.cohort), get(&report.baseline_popularity));
        if ours.is_none() && theirs.is_none() {
            continue;
        }
        let _ = writeln!(out, "{name:<10} {:>8} {:>11}", cell(ours), cell(theirs));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prequential_table_shows_only_measured_rows() {
        let report = EvalReport {
            protocol: Protocol::Prequential,
            cohort: Scores::hit_rate(0.15),
            baseline_popularity: Scores::hit_rate(0.08),
            seeds: None,
            step_seconds: Some(3600),
            users: 3,
            items: 4,
            interactions: 10,
            evaluated: 5,
            seconds: 1.5,
        };
        assert_eq!(
            render(&report),
            "prequential, 3600 s steps: 3 users, 4 items, 10 interactions, 5 evaluated, 1.5 s\n\
             metric       cohort  popularity\n\
             hr@10        0.1500      0.0800\n"
        );
    }
}
