//! The text `cohort eval moderation` prints without `--json`: the figures of the issue, one per
//! line, after a line saying what was measured.

use std::fmt::Write;

use super::EvalReport;

/// The report as a few aligned lines.
pub fn render(report: &EvalReport) -> String {
    let mut out = String::new();
    let how = match report.folds {
        Some(k) => format!("{k}-fold stratified cross-validation"),
        None => "train on one file, score another".to_string(),
    };
    let _ = writeln!(
        out,
        "{} alone, {how}: {} messages scored ({} positive), {:.1} s",
        report.scope, report.scored, report.positives, report.seconds
    );
    let rows = [
        ("precision", report.precision),
        ("recall", report.recall),
        ("f1", report.f1),
        ("accuracy", report.accuracy),
        ("negatives_flagged", report.negatives_flagged),
    ];
    for (name, value) in rows {
        let _ = writeln!(out, "{name:<18} {value:.4}");
    }
    let c = &report.confusion;
    let _ = writeln!(
        out,
        "confusion          tp {} fp {} fn {} tn {}",
        c.true_positives, c.false_positives, c.false_negatives, c.true_negatives
    );
    let thresholds: Vec<String> = report
        .thresholds
        .iter()
        .map(|t| format!("{t:.3}"))
        .collect();
    let _ = writeln!(out, "thresholds         {}", thresholds.join(" "));
    out
}
