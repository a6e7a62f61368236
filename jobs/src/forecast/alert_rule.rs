//! When a closed hour is anomalous: outside the forecast's 95% band, above the metric's floor, far
//! enough out in half-widths of the band, and improbable as a count (`count_tail` says why the band
//! alone is not enough for sparse series).

use std::collections::VecDeque;

use cohort_schemas::activity::{ForecastPoint, Severity};

use super::count_tail::CountDistribution;
use super::intervals::Z95;

/// When an hour counts as anomalous.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    /// Smallest |observed − expected| that can alert: a quiet series' 95% band can be a fraction of
    /// one event wide, and one message more is not news.
    pub floor: f64,
    /// Per-metric floors (`revenue:CNY` in minor units, ...) overriding `floor`; a key ending in
    /// `:` applies to every metric it prefixes (`revenue:`).
    pub floors: Vec<(String, f64)>,
    /// Closed hours a series needs before it can alert: forecasts from a day or two of history are
    /// too rough to call anything abnormal.
    pub warmup_hours: usize,
    /// Smallest score (distance from the expectation in half-widths of the 95% interval) that
    /// alerts. 1 alerts on every hour outside the interval, which a calibrated interval leaves
    /// 5% of the time: across a hundred series that is hundreds of alerts a week. 2 (the default)
    /// alerts from about four standard deviations out (`docs/forecast.md` has the rates).
    pub min_score: f64,
    /// Largest chance of a count at least this far out, under the count model of the hour
    /// ([`hour_tail_probability`]), that still alerts. The score alone reads a quiet series' burst
    /// of replies, or one sale in an hour that usually has none, as many standard deviations out;
    /// counted as events, such hours are ordinary.
    pub max_tail_probability: f64,
}

impl Default for AlertRule {
    fn default() -> Self {
        AlertRule {
            floor: 5.0,
            floors: vec![("revenue:".into(), 10_000.0)],
            warmup_hours: 72,
            min_score: 2.0,
            max_tail_probability: 1e-6,
        }
    }
}

impl AlertRule {
    /// The floor of `metric`.
    pub fn floor_of(&self, metric: &str) -> f64 {
        self.floors
            .iter()
            .find(|(key, _)| {
                key == metric || (key.ends_with(':') && metric.starts_with(key.as_str()))
            })
            .map_or(self.floor, |(_, floor)| *floor)
    }
}

/// How far `value` lies outside the 95% interval of `p`, in half-widths of the interval on the
/// side of the deviation; `None` when it is inside, or closer to the expectation than `floor`.
pub fn anomaly_score(value: f64, p: &ForecastPoint, floor: f64) -> Option<f64> {
    let outside = value < p.lo95 || value > p.hi95;
    let gap = value - p.yhat;
    if !outside || gap.abs() <= floor {
        return None;
    }
    let half = if gap > 0.0 {
        p.hi95 - p.yhat
    } else {
        p.yhat - p.lo95
    };
    Some(gap.abs() / half.max(1e-9))
}

/// The smallest expectation the count model works with: a series forecast at zero still sees an
/// event now and then, and one event is not news.
const MIN_EXPECTED_COUNT: f64 = 0.05;

/// How likely an hour at least as far from the forecast `p` as `value` is, on the side of the
/// deviation, with the hour counted in `unit`s: a negative binomial with the forecast's expectation
/// and the variance of its 95% band on that side (`count_tail` says why not the band itself).
pub fn hour_tail_probability(value: f64, p: &ForecastPoint, unit: f64) -> f64 {
    let unit = if unit.is_finite() && unit > 0.0 {
        unit
    } else {
        1.0
    };
    let upward = value > p.yhat;
    let half = if upward {
        p.hi95 - p.yhat
    } else {
        p.yhat - p.lo95
    };
    let sd = half.max(0.0) / Z95 / unit;
    let counts = CountDistribution::new(p.yhat / unit, sd * sd, MIN_EXPECTED_COUNT);
    // Values are counts, or amounts a whole number of typical units apart; both are >= 0.
    let k = (value.max(0.0) / unit).round() as u64;
    if upward {
        counts.upper_tail(k)
    } else {
        counts.lower_tail(k)
    }
}

/// What one event of `metric` typically weighs: 1 for counts; for amounts (`revenue:` in minor
/// units) the median of the series' non-zero hours in `history`, so that revenue is judged as a
/// number of typical sales. Without any such hour, 1.
pub fn count_unit(metric: &str, history: &VecDeque<f64>) -> f64 {
    if !metric.starts_with("revenue:") {
        return 1.0;
    }
    let mut paid: Vec<f64> = history.iter().copied().filter(|v| *v > 0.0).collect();
    if paid.is_empty() {
        return 1.0;
    }
    let mid = paid.len() / 2;
    *paid.select_nth_unstable_by(mid, f64::total_cmp).1
}

/// The severity of a score: minor under 2 half-widths, major under 4, critical beyond.
pub fn severity(score: f64) -> Severity {
    if score < 2.0 {
        Severity::Minor
    } else if score < 4.0 {
        Severity::Major
    } else {
        Severity::Critical
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revenue_is_judged_in_typical_sales() {
        let history: VecDeque<f64> = [0.0, 13_899.0, 0.0, 0.0, 9_900.0, 13_899.0, 0.0, 27_798.0]
            .into_iter()
            .collect();
        assert_eq!(count_unit("revenue:USD", &history), 13_899.0);
        assert_eq!(count_unit("messages", &history), 1.0);
        assert_eq!(count_unit("revenue:USD", &VecDeque::new()), 1.0);
        // An hour that usually takes nothing, with a band from the odd sale: one sale is ordinary,
        // twenty are not.
        let p = ForecastPoint {
            yhat: 1_000.0,
            lo80: 0.0,
            hi80: 6_000.0,
            lo95: 0.0,
            hi95: 9_000.0,
        };
        assert!(anomaly_score(13_899.0, &p, 0.0).is_some_and(|s| s > 1.0));
        assert!(hour_tail_probability(13_899.0, &p, 13_899.0) > 0.01);
        assert!(hour_tail_probability(20.0 * 13_899.0, &p, 13_899.0) < 1e-6);
    }

    #[test]
    fn a_silent_busy_hour_is_improbable_counted_as_events() {
        let p = ForecastPoint {
            yhat: 120.0,
            lo80: 95.0,
            hi80: 145.0,
            lo95: 80.0,
            hi95: 160.0,
        };
        assert!(hour_tail_probability(0.0, &p, 1.0) < 1e-10);
        assert!(hour_tail_probability(110.0, &p, 1.0) > 0.1);
    }

    #[test]
    fn small_gaps_do_not_alert_below_the_floor() {
        let p = ForecastPoint {
            yhat: 1.0,
            lo80: 0.8,
            hi80: 1.2,
            lo95: 0.5,
            hi95: 1.5,
        };
        assert_eq!(anomaly_score(4.0, &p, 5.0), None);
        assert_eq!(anomaly_score(11.0, &p, 5.0), Some(20.0));
        assert_eq!(anomaly_score(1.2, &p, 0.0), None);
        let rule = AlertRule::default();
        assert_eq!(rule.floor_of("revenue:CNY"), 10_000.0);
        assert_eq!(rule.floor_of("messages"), 5.0);
    }
}
