//! `[forecast]`: the forecast job's settings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::monitor::{AlertRule, MonitorConfig};

/// `[forecast]` of the configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ForecastJobConfig {
    /// Whether `cohort run` keeps hourly series, forecasts and activity alerts.
    pub enabled: bool,
    /// Hours forecast after each closed hour.
    pub horizon: usize,
    /// Closed hours kept per series: the history each refit sees.
    pub history_hours: usize,
    /// Hours between refits of one series (spread over the day by series; young series also refit
    /// whenever their length doubles).
    pub refit_every_hours: i64,
    /// A series whose last `evict_after_hours` closed hours were all 0 is dropped (no more rows,
    /// no memory); its next event starts it again.
    pub evict_after_hours: u64,
    /// Smallest |observed − expected| that can raise an alert.
    pub alert_floor: f64,
    /// Per-metric floors; a key ending in `:` covers every metric it prefixes (`revenue:` floors
    /// revenue in minor units of every currency).
    pub alert_floors: BTreeMap<String, f64>,
    /// Closed hours a series needs before it can raise alerts.
    pub alert_warmup_hours: usize,
    /// Smallest distance from the expectation, in half-widths of the 95% interval, that alerts
    /// (1: every hour outside the interval).
    pub alert_min_score: f64,
    /// Largest chance of an hour at least this far out, counted as events (a negative binomial with
    /// the forecast's expectation and the interval's spread), that alerts.
    pub alert_max_tail_probability: f64,
}

impl Default for ForecastJobConfig {
    fn default() -> Self {
        let monitor = MonitorConfig::default();
        ForecastJobConfig {
            enabled: true,
            horizon: monitor.horizon,
            history_hours: monitor.history_hours,
            refit_every_hours: monitor.refit_every_hours,
            evict_after_hours: 14 * 24,
            alert_floor: monitor.alerts.floor,
            alert_floors: monitor.alerts.floors.into_iter().collect(),
            alert_warmup_hours: monitor.alerts.warmup_hours,
            alert_min_score: monitor.alerts.min_score,
            alert_max_tail_probability: monitor.alerts.max_tail_probability,
        }
    }
}

impl ForecastJobConfig {
    /// The model and alert settings of the series monitors.
    pub fn monitor(&self) -> MonitorConfig {
        MonitorConfig {
            horizon: self.horizon,
            history_hours: self.history_hours,
            refit_every_hours: self.refit_every_hours,
            model: Default::default(),
            alerts: AlertRule {
                floor: self.alert_floor,
                floors: self
                    .alert_floors
                    .iter()
                    .map(|(k, v)| (k.clone(), *v))
                    .collect(),
                warmup_hours: self.alert_warmup_hours,
                min_score: self.alert_min_score,
                max_tail_probability: self.alert_max_tail_probability,
            },
        }
    }

    /// The first unusable key and why, if any.
    pub fn invalid(&self) -> Option<(&'static str, &'static str)> {
        if self.horizon == 0 {
            return Some(("forecast.horizon", "must be at least 1"));
        }
        if self.history_hours < 2 {
            return Some(("forecast.history_hours", "must be at least 2"));
        }
        if self.refit_every_hours < 1 {
            return Some(("forecast.refit_every_hours", "must be at least 1"));
        }
        if self.evict_after_hours == 0 {
            return Some(("forecast.evict_after_hours", "must be at least 1"));
        }
        let finite = |x: f64| x.is_finite() && x >= 0.0;
        if !finite(self.alert_floor) {
            return Some(("forecast.alert_floor", "must be a finite number >= 0"));
        }
        if !(self.alert_min_score.is_finite() && self.alert_min_score >= 1.0) {
            return Some(("forecast.alert_min_score", "must be a finite number >= 1"));
        }
        if !(self.alert_max_tail_probability > 0.0 && self.alert_max_tail_probability <= 1.0) {
            return Some((
                "forecast.alert_max_tail_probability",
                "must be a probability in (0, 1] (1 leaves the decision to alert_min_score)",
            ));
        }
        if !self.alert_floors.values().all(|&x| finite(x)) {
            return Some((
                "forecast.alert_floors",
                "floors must be finite numbers >= 0",
            ));
        }
        None
    }
}
