//! One series inside the job: its recent history, its [`Forecaster`] (refitted on a schedule,
//! stepped in O(1) in between), the forecast it issues after every closed hour, and the anomaly
//! alert that hour may open, extend or close.
//!
//! Everything here is a deterministic function of the series' closed hours, so a restarted job
//! rebuilds the same state from the lake's `activity_hourly` ([`SeriesMonitor::resume`]) instead of
//! storing model state: refits happen at hours fixed by the series alone, and a resumed monitor
//! fits at the last such hour and steps through the rest, exactly as the live one did.

use std::collections::VecDeque;

use cohort_schemas::activity::{
    ActivityAlert, ActivityHour, ActivityOutput, AlertStatus, ForecastIssue, ForecastPoint,
    SeriesId, Severity,
};

pub use super::alert_rule::{
    AlertRule, anomaly_score, count_unit, hour_tail_probability, severity,
};
use super::series::HOUR_MS;
use super::{Forecast, ForecastConfig, Forecaster};

/// How the job models its series.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorConfig {
    /// Hours forecast after each closed hour.
    pub horizon: usize,
    /// Closed hours kept per series, the history a refit sees.
    pub history_hours: usize,
    /// Hours between scheduled refits of one series (spread over the day by series).
    pub refit_every_hours: i64,
    /// The model.
    pub model: ForecastConfig,
    /// Anomaly alerts.
    pub alerts: AlertRule,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            horizon: 48,
            history_hours: 5 * 7 * 24,
            refit_every_hours: 24,
            model: ForecastConfig::default(),
            alerts: AlertRule::default(),
        }
    }
}

/// The job's state of one series.
#[derive(Debug, Clone)]
pub struct SeriesMonitor {
    series: SeriesId,
    /// The last `history_hours` closed values, oldest first.
    history: VecDeque<f64>,
    /// Closed hours so far (also those no longer in `history`).
    closed: u64,
    /// Start of the last closed hour.
    last_hour_ms: Option<i64>,
    /// The model and the start of the last closed hour when it was fitted.
    model: Option<(Forecaster, i64)>,
    /// What the latest forecast expects of the next hour.
    next: Option<ForecastPoint>,
    /// The alert the last closed hour belongs to, if it was anomalous.
    open: Option<ActivityAlert>,
    /// Consecutive closed hours with value 0 up to now (for eviction).
    zero_run: u64,
}

impl SeriesMonitor {
    /// A series with nothing closed yet.
    pub fn new(series: SeriesId) -> Self {
        SeriesMonitor {
            series,
            history: VecDeque::new(),
            closed: 0,
            last_hour_ms: None,
            model: None,
            next: None,
            open: None,
            zero_run: 0,
        }
    }

    /// The series.
    pub fn series(&self) -> &SeriesId {
        &self.series
    }

    /// Consecutive hours without activity up to the last closed one.
    pub fn idle_hours(&self) -> u64 {
        self.zero_run
    }

    /// The open alert, if the last closed hour was anomalous.
    pub fn open_alert(&self) -> Option<&ActivityAlert> {
        self.open.as_ref()
    }

    /// Closes the open alert, if any, as of `hour_ms` (the series is being dropped as idle: an
    /// alert must not stay open for a series that no longer closes hours).
    pub fn retire(&mut self, hour_ms: i64) -> Option<ActivityAlert> {
        let mut alert = self.open.take()?;
        alert.status = AlertStatus::Closed;
        alert.closed_hour_ms = Some(hour_ms);
        Some(alert)
    }

    /// Takes the value of the next hour (`hour_ms`, right after the last closed one) and returns
    /// what the job outputs for it: the closed hour, the alert it opened, extended or closed (if
    /// any), and the new forecast.
    pub fn close(
        &mut self,
        hour_ms: i64,
        value: i64,
        config: &MonitorConfig,
    ) -> Vec<ActivityOutput> {
        let mut out = vec![ActivityOutput::Hour(ActivityHour {
            series: self.series.clone(),
            hour_ms,
            value,
        })];
        if let Some(alert) = self.judge(hour_ms, value as f64, config) {
            out.push(ActivityOutput::Alert(alert));
        }
        self.take(hour_ms, value as f64, config);
        if let Some(forecast) = self.forecast(hour_ms, config) {
            out.push(ActivityOutput::Forecast(forecast));
        }
        out
    }

    /// Rebuilds the state after `hours` (consecutive closed hours, oldest first, `(hour_ms,
    /// value)`), with the alert that was open after the last of them.
    pub fn resume(
        series: SeriesId,
        hours: &[(i64, i64)],
        open: Option<ActivityAlert>,
        config: &MonitorConfig,
    ) -> Self {
        let mut monitor = SeriesMonitor::new(series);
        // The last hour at which the live monitor refitted: from there on it only stepped.
        let refit_at = (0..hours.len())
            .rev()
            .find(|&i| monitor.refit_due(hours[i].0, i as u64 + 1, i == 0, config))
            .unwrap_or(0);
        for (i, &(hour_ms, value)) in hours.iter().enumerate() {
            monitor.record(hour_ms, value as f64, config);
            if i == refit_at {
                monitor.refit(hour_ms, config);
            } else if i > refit_at
                && let Some((model, _)) = monitor.model.as_mut()
            {
                model.step(value as f64);
            }
        }
        if let Some(&(hour_ms, _)) = hours.last() {
            monitor.next = monitor
                .forecast(hour_ms, config)
                .and_then(|f| f.points.first().copied());
        }
        monitor.open = open.filter(|a| a.status == AlertStatus::Open);
        monitor
    }

    /// The alert change of an hour with `value`, judged against what was expected of it.
    fn judge(&mut self, hour_ms: i64, value: f64, config: &MonitorConfig) -> Option<ActivityAlert> {
        let rule = &config.alerts;
        let anomaly = self
            .next
            .filter(|_| self.closed >= rule.warmup_hours as u64)
            .and_then(|p| {
                anomaly_score(value, &p, rule.floor_of(&self.series.metric))
                    .filter(|s| *s >= rule.min_score)
                    .filter(|_| {
                        let unit = count_unit(&self.series.metric, &self.history);
                        hour_tail_probability(value, &p, unit) <= rule.max_tail_probability
                    })
                    .map(|s| (p, s))
            });
        match (anomaly, self.open.take()) {
            (Some((p, score)), open) => {
                let figures = |a: &mut ActivityAlert| {
                    a.observed = value;
                    a.expected = p.yhat;
                    a.lo95 = p.lo95;
                    a.hi95 = p.hi95;
                    a.score = score;
                    a.severity = severity(score);
                };
                let alert = match open {
                    Some(mut a) => {
                        a.last_hour_ms = hour_ms;
                        a.hours += 1;
                        if score > a.score {
                            figures(&mut a);
                        }
                        a
                    }
                    None => {
                        let mut a = ActivityAlert {
                            series: self.series.clone(),
                            first_hour_ms: hour_ms,
                            last_hour_ms: hour_ms,
                            hours: 1,
                            observed: 0.0,
                            expected: 0.0,
                            lo95: 0.0,
                            hi95: 0.0,
                            score: 0.0,
                            severity: Severity::Minor,
                            status: AlertStatus::Open,
                            closed_hour_ms: None,
                        };
                        figures(&mut a);
                        a
                    }
                };
                self.open = Some(alert.clone());
                Some(alert)
            }
            (None, Some(mut a)) => {
                a.status = AlertStatus::Closed;
                a.closed_hour_ms = Some(hour_ms);
                Some(a)
            }
            (None, None) => None,
        }
    }

    /// Appends a closed value to the history.
    fn record(&mut self, hour_ms: i64, value: f64, config: &MonitorConfig) {
        self.history.push_back(value);
        while self.history.len() > config.history_hours.max(1) {
            self.history.pop_front();
        }
        self.closed += 1;
        self.last_hour_ms = Some(hour_ms);
        self.zero_run = if value == 0.0 { self.zero_run + 1 } else { 0 };
    }

    /// Records the hour, then refits the model or steps it.
    fn take(&mut self, hour_ms: i64, value: f64, config: &MonitorConfig) {
        let first = self.closed == 0;
        self.record(hour_ms, value, config);
        if self.refit_due(hour_ms, self.closed, first, config) {
            self.refit(hour_ms, config);
        } else if let Some((model, _)) = self.model.as_mut() {
            model.step(value);
        }
    }

    /// Whether the model is refitted after closing `hour_ms`, the `closed`-th hour: after the
    /// first hour, while the series is young at every doubling of its length (cheap fits that follow
    /// the fallback rules up to full models), then once every `refit_every_hours` at an hour of the
    /// day that depends on the series, so refits of many series do not all land at once.
    fn refit_due(&self, hour_ms: i64, closed: u64, first: bool, config: &MonitorConfig) -> bool {
        let every = config.refit_every_hours.max(1);
        let slot =
            (hour_ms.div_euclid(HOUR_MS) + stable_hash(&self.series) as i64).rem_euclid(every);
        first || closed.is_power_of_two() || slot == 0
    }

    fn refit(&mut self, hour_ms: i64, config: &MonitorConfig) {
        let history: Vec<f64> = self.history.iter().copied().collect();
        self.model = Forecaster::fit(&history, &config.model).map(|m| (m, hour_ms));
    }

    /// The forecast issued after closing `hour_ms`; remembers its first hour for the next judgement.
    fn forecast(&mut self, hour_ms: i64, config: &MonitorConfig) -> Option<ForecastIssue> {
        let (model, fitted_at_ms) = self.model.as_ref()?;
        let f: Forecast = model.forecast(config.horizon);
        let points: Vec<ForecastPoint> = (0..f.horizon())
            .map(|h| ForecastPoint {
                yhat: f.yhat[h],
                lo80: f.lo80[h],
                hi80: f.hi80[h],
                lo95: f.lo95[h],
                hi95: f.hi95[h],
            })
            .collect();
        self.next = points.first().copied();
        Some(ForecastIssue {
            series: self.series.clone(),
            first_hour_ms: hour_ms + HOUR_MS,
            model: f.model,
            fitted_at_ms: *fitted_at_ms,
            points,
        })
    }
}

/// FNV-1a over the series' fields: stable across runs and builds (a refit schedule must not move
/// when the process restarts).
fn stable_hash(series: &SeriesId) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for part in [&series.community_id, &series.channel_id, &series.metric] {
        for b in part.bytes().chain([0u8]) {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h % (1 << 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series() -> SeriesId {
        SeriesId {
            community_id: "c".into(),
            channel_id: String::new(),
            metric: "messages".into(),
        }
    }

    /// A deterministic stream of 31-bit pseudo-random numbers (a linear congruential generator).
    fn draws(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed;
        move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        }
    }

    /// Twelve messages an hour by day, three by night, plus noise of 0 to 4.
    fn daily(hours: usize) -> Vec<i64> {
        let mut draw = draws(12345);
        (0..hours)
            .map(|h| {
                let noise = draw() % 5;
                let base = if (8..20).contains(&(h % 24)) { 12 } else { 3 };
                base + noise as i64
            })
            .collect()
    }

    fn feed(values: &[i64], config: &MonitorConfig) -> (SeriesMonitor, Vec<ActivityOutput>) {
        let mut m = SeriesMonitor::new(series());
        let mut out = Vec::new();
        for (i, &v) in values.iter().enumerate() {
            out.extend(m.close(i as i64 * HOUR_MS, v, config));
        }
        (m, out)
    }

    fn alerts(out: &[ActivityOutput]) -> Vec<ActivityAlert> {
        out.iter()
            .filter_map(|o| match o {
                ActivityOutput::Alert(a) => Some(a.clone()),
                _ => None,
            })
            .collect()
    }

    fn forecasts(out: &[ActivityOutput]) -> Vec<&ForecastIssue> {
        out.iter()
            .filter_map(|o| match o {
                ActivityOutput::Forecast(f) => Some(f),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_closed_hour_issues_a_forecast_of_the_horizon() {
        let config = MonitorConfig::default();
        let (_, out) = feed(&daily(30), &config);
        let forecasts = forecasts(&out);
        assert_eq!(forecasts.len(), 30);
        let last = forecasts[29];
        assert_eq!(last.points.len(), 48);
        assert_eq!(last.first_hour_ms, 30 * HOUR_MS);
        assert!(
            last.points
                .iter()
                .all(|p| p.lo95 <= p.lo80 && p.hi80 <= p.hi95)
        );
    }

    #[test]
    fn a_resumed_monitor_issues_what_the_live_one_issues() {
        let config = MonitorConfig {
            refit_every_hours: 24,
            ..MonitorConfig::default()
        };
        let values = daily(24 * 9 + 5);
        let (live, _) = feed(&values, &config);
        for cut in [1, 7, 64, 24 * 9 + 5] {
            let hours: Vec<(i64, i64)> = values[..cut]
                .iter()
                .enumerate()
                .map(|(i, &v)| (i as i64 * HOUR_MS, v))
                .collect();
            let mut resumed = SeriesMonitor::resume(series(), &hours, None, &config);
            let (mut reference, _) = feed(&values[..cut], &config);
            assert_eq!(resumed.next, reference.next, "after {cut} hours");
            let next = cut as i64 * HOUR_MS;
            assert_eq!(
                resumed.close(next, 12, &config),
                reference.close(next, 12, &config),
                "the hour after {cut}"
            );
        }
        assert_eq!(live.closed, values.len() as u64);
    }

    #[test]
    fn a_spike_opens_an_alert_that_the_next_normal_hour_closes() {
        let config = MonitorConfig::default();
        let mut values = daily(24 * 10);
        let spike = 24 * 9 + 13;
        values[spike] = 200;
        values[spike + 1] = 150;
        let (_, out) = feed(&values, &config);
        let alerts = alerts(&out);
        assert_eq!(alerts.len(), 3, "{alerts:?}");
        assert_eq!(alerts[0].status, AlertStatus::Open);
        assert_eq!(alerts[1].hours, 2);
        assert_eq!(alerts[2].status, AlertStatus::Closed);
        assert_eq!(alerts[2].first_hour_ms, spike as i64 * HOUR_MS);
        assert_eq!(alerts[2].closed_hour_ms, Some((spike as i64 + 2) * HOUR_MS));
        assert_eq!(alerts[2].observed, 200.0);
        assert_eq!(alerts[2].severity, Severity::Critical);
    }

    #[test]
    fn a_spike_is_not_forecast_again_a_day_later() {
        let config = MonitorConfig::default();
        let mut values = daily(24 * 12);
        let spike = 24 * 9 + 13;
        values[spike] = 300;
        let (_, out) = feed(&values, &config);
        let echo = (spike + 24) as i64 * HOUR_MS;
        let forecast_of_echo = forecasts(&out)
            .into_iter()
            .find(|f| f.first_hour_ms == echo)
            .map(|f| f.points[0].yhat);
        // The hour is 12 to 16 messages every day; learning the spike would forecast it far higher.
        assert!(
            matches!(forecast_of_echo, Some(y) if y < 25.0),
            "{forecast_of_echo:?}"
        );
        let alerts = alerts(&out);
        assert!(
            alerts
                .iter()
                .all(|a| a.first_hour_ms == spike as i64 * HOUR_MS),
            "only the spike alerts: {alerts:?}"
        );
    }

    #[test]
    fn an_outage_alerts_and_regular_traffic_does_not() {
        let config = MonitorConfig::default();
        let values = daily(24 * 10);
        let (_, out) = feed(&values, &config);
        assert!(alerts(&out).is_empty(), "{:?}", alerts(&out));
        let mut values = values;
        for v in &mut values[24 * 9 + 9..24 * 9 + 12] {
            *v = 0;
        }
        let (_, out) = feed(&values, &config);
        let alerts = alerts(&out);
        assert!(!alerts.is_empty());
        assert!(alerts.iter().all(|a| a.observed == 0.0 && a.expected > 5.0));
    }

    /// A quiet channel: no message or one in most hours, and every two days or so a thread of
    /// 5 to 8 replies.
    fn quiet_with_threads(hours: usize) -> Vec<i64> {
        let mut draw = draws(777);
        (0..hours)
            .map(|_| {
                let roll = draw() % 1000;
                match roll {
                    0..=19 => 5 + (roll % 4) as i64,
                    20..=299 => 1,
                    _ => 0,
                }
            })
            .collect()
    }

    #[test]
    fn a_thread_of_replies_in_a_quiet_channel_is_ordinary_counted_as_events() {
        let mut values = quiet_with_threads(24 * 21);
        let last = values.len() - 1;
        values[last] = 8;
        let score_only = MonitorConfig {
            alerts: AlertRule {
                max_tail_probability: 1.0,
                ..AlertRule::default()
            },
            ..MonitorConfig::default()
        };
        let (_, out) = feed(&values, &score_only);
        assert!(
            alerts(&out)
                .iter()
                .any(|a| a.first_hour_ms == last as i64 * HOUR_MS),
            "the band alone calls the thread an anomaly: {:?}",
            alerts(&out)
        );
        let (_, out) = feed(&values, &MonitorConfig::default());
        assert!(alerts(&out).is_empty(), "{:?}", alerts(&out));
        // Three hundred messages in that channel are news.
        values[last] = 300;
        let (_, out) = feed(&values, &MonitorConfig::default());
        assert!(
            alerts(&out)
                .iter()
                .any(|a| a.first_hour_ms == last as i64 * HOUR_MS),
            "{:?}",
            alerts(&out)
        );
    }
}
