//! The forecaster of one series: the model the job keeps per (community, channel, metric) and the
//! eval command scores. It
//!
//! 1. with enough history, fits every candidate method (Holt-Winters daily, daily + weekly with
//!    and without trend, seasonal naive and seasonal means of days and weeks; see [`MemberKind`]),
//!    on the series' own scale and, for non-negative series, on a log scale ([`Transform`]),
//!    scores each on the last `origins` windows of `validation` hours ([`score_candidates`]),
//!    refits the best `combine` of them on the whole history and averages their forecasts and
//!    interval bounds with equal weights (combinations of a few good methods were the most
//!    reliable gain in the M4 competition);
//! 2. with less history, falls back to the richest single method the history supports:
//!    Holt-Winters (two days or more), seasonal naive (one day), then the mean.
//!
//! Each member updates in O(1) per closed hour ([`Forecaster::step`]); refitting (choosing members
//! and parameters again) is the caller's schedule.

use serde::Serialize;

use super::intervals::Forecast;
use super::member::{DAY, Member, MemberKind};
use super::select::{Scored, score_candidates};
use super::transform::Transform;

/// Which scales the selection tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scales {
    /// The series' own values only.
    Identity,
    /// A log scale for non-negative series.
    Log,
    /// Both, each candidate on each (the default: log suits series whose swings grow with their
    /// level, the own scale suits those with near-constant swings).
    Both,
}

/// How a forecaster is built.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastConfig {
    /// Methods the selection may choose from.
    pub candidates: Vec<MemberKind>,
    /// Hours at the end of the history held out to choose members (also the horizon they are
    /// scored on).
    pub validation: usize,
    /// How many validation windows of `validation` hours each, back to back at the end of the
    /// history, the candidates are scored on (more windows: a steadier choice).
    pub origins: usize,
    /// How many of the best-scoring members are averaged.
    pub combine: usize,
    /// Scales the candidates are tried on.
    pub scales: Scales,
}

impl Default for ForecastConfig {
    fn default() -> Self {
        ForecastConfig {
            // the mean is the fallback of short series, not a member worth choosing
            candidates: MemberKind::ALL
                .into_iter()
                .filter(|kind| *kind != MemberKind::Mean)
                .collect(),
            validation: 48,
            origins: 3,
            combine: 3,
            scales: Scales::Both,
        }
    }
}

/// The scales `config` allows for `history` (log only when the series is non-negative).
pub fn transforms(history: &[f64], config: &ForecastConfig) -> Vec<Transform> {
    let log = Transform::choose(history);
    let log = (log != Transform::Identity).then_some(log);
    match (config.scales, log) {
        (Scales::Identity, _) | (_, None) => vec![Transform::Identity],
        (Scales::Log, Some(log)) => vec![log],
        (Scales::Both, Some(log)) => vec![Transform::Identity, log],
    }
}

/// One fitted member: its method, its scale and its state.
#[derive(Debug, Clone, PartialEq)]
struct Fitted {
    kind: MemberKind,
    transform: Transform,
    member: Member,
}

impl Fitted {
    fn fit(kind: MemberKind, transform: Transform, history: &[f64]) -> Option<Self> {
        let z: Vec<f64> = history.iter().map(|&y| transform.forward(y)).collect();
        Member::fit(kind, &z).map(|member| Fitted {
            kind,
            transform,
            member,
        })
    }

    fn name(&self) -> String {
        match self.transform {
            Transform::Identity => self.kind.name().to_string(),
            Transform::Log { .. } => format!("{}_log", self.kind.name()),
        }
    }
}

/// A fitted forecaster: the members whose forecasts are averaged.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecaster {
    members: Vec<Fitted>,
}

impl Forecaster {
    /// Fits a forecaster to `history` (oldest first, one value per hour, no gaps). `None` only for
    /// an empty history.
    pub fn fit(history: &[f64], config: &ForecastConfig) -> Option<Self> {
        let scored = score_candidates(history, config);
        let mut members: Vec<Fitted> = best(&scored, config.combine.max(1))
            .into_iter()
            .filter_map(|s| Fitted::fit(s.kind, s.transform, history))
            .collect();
        if members.is_empty() {
            let kind = fallback(history.len())?;
            let transform = if kind.is_holt_winters() {
                transforms(history, config)
                    .pop()
                    .unwrap_or(Transform::Identity)
            } else {
                Transform::Identity
            };
            members.push(Fitted::fit(kind, transform, history)?);
        }
        members.sort_by_key(Fitted::name);
        Some(Forecaster { members })
    }

    /// Takes the value of the hour that just closed, in O(1) per member.
    pub fn step(&mut self, y: f64) {
        for m in &mut self.members {
            m.member.step(m.transform.forward(y));
        }
    }

    /// The methods averaged, e.g. `hw_weekly_log+snaive_week` (`_log`: fitted on a log scale).
    pub fn model_name(&self) -> String {
        let names: Vec<String> = self.members.iter().map(Fitted::name).collect();
        names.join("+")
    }

    /// The members' methods.
    pub fn kinds(&self) -> Vec<MemberKind> {
        self.members.iter().map(|m| m.kind).collect()
    }

    /// The next `horizon` hours with 80% and 95% intervals: each member's forecast is built on its
    /// own scale (normal errors there, bounds mapped back, so log-scale intervals are asymmetric),
    /// then points and bounds are averaged over members (quantile averaging).
    pub fn forecast(&self, horizon: usize) -> Forecast {
        let parts: Vec<Forecast> = self
            .members
            .iter()
            .map(|m| {
                Forecast::from_scale(
                    &m.member.forecast(horizon),
                    &m.member.error_sd(horizon),
                    m.transform,
                    m.name(),
                )
            })
            .collect();
        Forecast::average(&parts, self.model_name())
    }
}

/// The method for a history too short to validate: Holt-Winters from two days, seasonal naive
/// from one, the mean below that; `None` for no history.
pub fn fallback(len: usize) -> Option<MemberKind> {
    [MemberKind::HwDaily, MemberKind::SnaiveDay, MemberKind::Mean]
        .into_iter()
        .find(|k| len >= k.min_history().max(1))
        .filter(|_| len > 0)
}

/// The `k` best-scoring candidates, best first.
fn best(scored: &[Scored], k: usize) -> Vec<Scored> {
    let mut sorted = scored.to_vec();
    sorted.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.kind.cmp(&b.kind)));
    sorted.truncate(k);
    sorted
}

/// Hours of history below which no candidate is validated (two days to fit, the validation tail).
pub fn min_validated_history(config: &ForecastConfig) -> usize {
    2 * DAY + config.validation
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic noise, roughly uniform in [-1, 1].
    fn noise(t: usize) -> f64 {
        let x = (t as u64).wrapping_mul(6_364_136_223_846_793_005) ^ 0x9E37_79B9_7F4A_7C15;
        let x = x ^ (x >> 29);
        (x % 2001) as f64 / 1000.0 - 1.0
    }

    /// A daily sine of amplitude 30 plus a weekday effect of up to ±10 around 100.
    fn signal(t: usize) -> f64 {
        const WEEKDAY: [f64; 7] = [0.0, 5.0, 10.0, 5.0, 0.0, -10.0, -10.0];
        let daily = 30.0 * (std::f64::consts::TAU * (t % 24) as f64 / 24.0).sin();
        100.0 + daily + WEEKDAY[t / 24 % 7]
    }

    #[test]
    fn recovers_daily_and_weekly_seasonality_within_the_noise() {
        let history: Vec<f64> = (0..24 * 28).map(|t| signal(t) + 2.0 * noise(t)).collect();
        let forecaster = Forecaster::fit(&history, &ForecastConfig::default()).unwrap();
        let f = forecaster.forecast(48);
        let errors: Vec<f64> = (0..48)
            .map(|h| (f.yhat[h] - signal(history.len() + h)).abs())
            .collect();
        let mean = errors.iter().sum::<f64>() / 48.0;
        let worst = errors.iter().copied().fold(0.0, f64::max);
        // Noise is at most ±2, the seasonal swing ±40. Stated bound: mean error under 1, worst
        // under 3 (measured: 0.55 and 1.43).
        assert!(mean < 1.0 && worst < 3.0, "mean {mean}, worst {worst}");
        // The weekday effect is recovered: the history ends on a week boundary, so the first
        // day ahead has effect 0 and the second +5; their difference at the same hour is 5.
        assert_eq!(history.len() / 24 % 7, 0);
        let shift = (0..24).map(|h| f.yhat[h + 24] - f.yhat[h]).sum::<f64>() / 24.0;
        assert!((shift - 5.0).abs() < 1.0, "weekday shift {shift}");
        for h in 0..48 {
            assert!(f.lo95[h] <= f.lo80[h] && f.lo80[h] <= f.yhat[h]);
            assert!(f.yhat[h] <= f.hi80[h] && f.hi80[h] <= f.hi95[h]);
        }
    }

    #[test]
    fn intervals_cover_about_as_often_as_they_say() {
        let (mut inside80, mut inside95, mut total) = (0, 0, 0);
        for origin in 0..8 {
            let len = 24 * 21 + origin * 13;
            let series: Vec<f64> = (0..len + 48).map(|t| signal(t) + 6.0 * noise(t)).collect();
            let forecaster = Forecaster::fit(&series[..len], &ForecastConfig::default()).unwrap();
            let f = forecaster.forecast(48);
            for (h, y) in series[len..].iter().enumerate() {
                inside80 += usize::from(f.lo80[h] <= *y && *y <= f.hi80[h]);
                inside95 += usize::from(f.lo95[h] <= *y && *y <= f.hi95[h]);
                total += 1;
            }
        }
        let (c80, c95) = (
            inside80 as f64 / total as f64,
            inside95 as f64 / total as f64,
        );
        assert!((0.65..=0.97).contains(&c80), "80% interval covers {c80}");
        assert!((0.85..=1.0).contains(&c95), "95% interval covers {c95}");
        assert!(c95 >= c80);
    }

    #[test]
    fn short_series_still_get_a_forecast() {
        let config = ForecastConfig::default();
        for (len, model) in [(100, None), (40, Some("snaive_day")), (5, Some("mean"))] {
            let history: Vec<f64> = (0..len).map(|t| signal(t) + noise(t)).collect();
            let forecaster = Forecaster::fit(&history, &config).unwrap();
            let f = forecaster.forecast(48);
            assert_eq!(f.horizon(), 48, "len {len}");
            assert!(f.yhat.iter().chain(&f.hi95).all(|v| v.is_finite()));
            if let Some(model) = model {
                assert_eq!(f.model, model, "len {len}");
            }
            assert!(!forecaster.kinds().contains(&MemberKind::HwWeekly));
        }
        // Under a week: a forecast from the daily cycle (swing ±30), off by at most the weekday
        // effect it cannot know yet (up to 10) plus a little.
        let history: Vec<f64> = (0..100).map(signal).collect();
        let f = Forecaster::fit(&history, &config).unwrap().forecast(24);
        let worst = (0..24)
            .map(|h| (f.yhat[h] - signal(100 + h)).abs())
            .fold(0.0, f64::max);
        assert!(worst < 12.0, "worst {worst}");
        assert!(Forecaster::fit(&[], &config).is_none());
    }

    #[test]
    fn degenerate_series_get_finite_forecasts() {
        let config = ForecastConfig::default();
        let cases: [(&str, Vec<f64>); 4] = [
            ("constant", vec![7.0; 500]),
            ("zeros", vec![0.0; 500]),
            ("signed", (0..500).map(|t| signal(t) - 100.0).collect()),
            (
                "sparse",
                (0..500).map(|t| f64::from(t % 97 == 0) * 3.0).collect(),
            ),
        ];
        for (name, history) in cases {
            for len in [1, 23, 24, 47, 48, 95, 96, 200, 500] {
                let f = Forecaster::fit(&history[..len], &config)
                    .unwrap()
                    .forecast(48);
                assert!(
                    [&f.yhat, &f.lo80, &f.hi80, &f.lo95, &f.hi95]
                        .iter()
                        .all(|v| v.len() == 48 && v.iter().all(|x| x.is_finite())),
                    "{name} len {len}: {f:?}"
                );
            }
        }
        let f = Forecaster::fit(&[7.0; 500], &config).unwrap().forecast(3);
        assert!(f.yhat.iter().all(|v| (v - 7.0).abs() < 1e-6), "{f:?}");
    }

    #[test]
    fn step_moves_the_forecast_along_with_the_hours() {
        let series: Vec<f64> = (0..24 * 24).map(signal).collect();
        let cut = 24 * 21;
        let mut forecaster = Forecaster::fit(&series[..cut], &ForecastConfig::default()).unwrap();
        for &y in &series[cut..] {
            forecaster.step(y);
        }
        let f = forecaster.forecast(24);
        for h in 0..24 {
            let want = signal(series.len() + h);
            assert!(
                (f.yhat[h] - want).abs() < 0.5,
                "h {h}: {} vs {want}",
                f.yhat[h]
            );
        }
    }
}
