//! The text `cohort eval forecast` prints without `--json`: the three methods side by side.

use std::fmt::Write;

use super::eval::{ForecastEvalReport, Scores};

/// The report as a small aligned table, with a line saying what was measured and how often the
/// forecaster chose each method.
pub fn render(report: &ForecastEvalReport) -> String {
    let mut out = String::new();
    let how = match report.holdout {
        Some(h) => format!("last {h} values held out"),
        None => "scored on the test file".to_string(),
    };
    let _ = writeln!(
        out,
        "{} series, {how}, horizon {}, {:.1} s",
        report.series, report.horizon, report.seconds
    );
    let _ = writeln!(
        out,
        "{:<14} {:>8} {:>8} {:>8} {:>10}",
        "method", "sMAPE", "MASE", "OWA", "ms/series"
    );
    let rows: [(&str, &Scores); 3] = [
        ("cohort", &report.cohort),
        ("seasonal naive", &report.baseline_snaive),
        ("Naive2", &report.baseline_naive2),
    ];
    for (name, s) in rows {
        let _ = writeln!(
            out,
            "{name:<14} {:>8.3} {:>8.3} {:>8.3} {:>10.3}",
            s.smape, s.mase, s.owa, s.ms_per_series
        );
    }
    if report.flat_series > 0 {
        let _ = writeln!(
            out,
            "{} flat series left out of MASE (zero scale)",
            report.flat_series
        );
    }
    let members: Vec<String> = report
        .members
        .iter()
        .map(|(m, n)| format!("{m} {n}"))
        .collect();
    let _ = writeln!(out, "members (series): {}", members.join(", "));
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn three_rows_and_the_members() {
        let scores = |smape, mase, owa| Scores {
            smape,
            mase,
            owa,
            ms_per_series: 0.5,
        };
        let report = ForecastEvalReport {
            cohort: scores(10.0, 0.9, 0.45),
            baseline_snaive: scores(14.0, 1.2, 0.63),
            baseline_naive2: scores(19.0, 2.4, 1.0),
            series: 2,
            flat_series: 0,
            horizon: 48,
            holdout: Some(48),
            members: BTreeMap::from([("hw_daily".to_string(), 2), ("snaive_day".to_string(), 1)]),
            seconds: 1.25,
        };
        assert_eq!(
            render(&report),
            "2 series, last 48 values held out, horizon 48, 1.2 s\n\
             method            sMAPE     MASE      OWA  ms/series\n\
             cohort           10.000    0.900    0.450      0.500\n\
             seasonal naive   14.000    1.200    0.630      0.500\n\
             Naive2           19.000    2.400    1.000      0.500\n\
             members (series): hw_daily 2, snaive_day 1\n"
        );
    }
}
