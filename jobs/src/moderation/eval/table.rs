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
        "{how}: {} messages scored ({} positive), {:.1} s; the classifier alone, the shipped \
         lexicons alone, and either flagging",
        report.scored, report.positives, report.seconds
    );
    let _ = writeln!(
        out,
        "{:<18} {:>10} {:>10} {:>10}",
        "", "classifier", "rules", "rules+clf"
    );
    let (alone, rules, both) = (
        &report.classifier,
        &report.rules_alone,
        &report.rules_and_classifier,
    );
    let rows = [
        (
            "precision",
            alone.precision,
            rules.precision,
            both.precision,
        ),
        ("recall", alone.recall, rules.recall, both.recall),
        ("f1", alone.f1, rules.f1, both.f1),
        ("accuracy", alone.accuracy, rules.accuracy, both.accuracy),
        (
            "negatives_flagged",
            alone.negatives_flagged,
            rules.negatives_flagged,
            both.negatives_flagged,
        ),
    ];
    for (name, by_classifier, by_rules, combined) in rows {
        let _ = writeln!(
            out,
            "{name:<18} {by_classifier:>10.4} {by_rules:>10.4} {combined:>10.4}"
        );
    }
    let c = &alone.confusion;
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
