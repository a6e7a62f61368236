//! What the forecast job outputs: closed hours of activity series (lake `activity_hourly`), issued
//! forecasts (serving and lake `forecasts`) and anomaly alerts (serving and lake `alerts`).
//!
//! Unlike the ranked lists of [`crate::serving`], these are not maintained as +1/-1 changes: a
//! series' forecast is replaced whole each time one of its hours closes, and an alert is one row
//! updated in place (by its id) while it is open. Each carries its version (a forecast's first hour,
//! an alert's hours and status), so a sink keeps the newest whatever order they arrive in.

use serde::{Deserialize, Serialize};

/// One activity series: a community, a channel (empty for community-wide series) and a metric name
/// (`messages`, `revenue:CNY`, ...).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SeriesId {
    /// The community.
    pub community_id: String,
    /// The chat channel, or empty for the whole community.
    pub channel_id: String,
    /// The metric's name.
    pub metric: String,
}

/// The final value of one series for one closed hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityHour {
    /// The series.
    pub series: SeriesId,
    /// Start of the hour, ms since the epoch (UTC).
    pub hour_ms: i64,
    /// The value: a count, a net sum, or a number of distinct members.
    pub value: i64,
}

/// One hour ahead of a forecast.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ForecastPoint {
    /// Expected value.
    pub yhat: f64,
    /// Lower bound of the 80% prediction interval.
    pub lo80: f64,
    /// Upper bound of the 80% prediction interval.
    pub hi80: f64,
    /// Lower bound of the 95% prediction interval.
    pub lo95: f64,
    /// Upper bound of the 95% prediction interval.
    pub hi95: f64,
}

/// A series' forecast as issued when one of its hours closed: `points[h - 1]` is for the hour
/// starting at `first_hour_ms + (h - 1) hours` (horizon `h`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastIssue {
    /// The series.
    pub series: SeriesId,
    /// Start of the first forecast hour (the hour after the last closed one).
    pub first_hour_ms: i64,
    /// The methods behind it, e.g. `hw_weekly_log+snaive_week`.
    pub model: String,
    /// Start of the last closed hour when the model was last fitted (it is stepped between fits).
    pub fitted_at_ms: i64,
    /// One point per hour ahead.
    pub points: Vec<ForecastPoint>,
}

/// How far outside its interval an anomalous hour fell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Less than twice the interval's half-width from the expectation.
    Minor,
    /// Two to four half-widths away.
    Major,
    /// Four or more half-widths away.
    Critical,
}

impl Severity {
    /// The name stored in tables.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        }
    }

    /// The severity with this name.
    pub fn from_name(name: &str) -> Option<Severity> {
        [Severity::Minor, Severity::Major, Severity::Critical]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// Whether an alert is still going on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// The last closed hour of the series was anomalous.
    Open,
    /// A normal hour followed.
    Closed,
}

impl AlertStatus {
    /// The name stored in tables.
    pub fn name(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Closed => "closed",
        }
    }
}

/// An activity anomaly: consecutive closed hours of one series outside the 95% interval forecast
/// for them one hour ahead. The figures are those of the most anomalous hour so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityAlert {
    /// The series.
    pub series: SeriesId,
    /// Start of the first anomalous hour: with the series, it identifies the alert.
    pub first_hour_ms: i64,
    /// Start of the last anomalous hour.
    pub last_hour_ms: i64,
    /// Anomalous hours so far.
    pub hours: u32,
    /// The observed value of the most anomalous hour.
    pub observed: f64,
    /// What was expected for that hour.
    pub expected: f64,
    /// Lower bound of its 95% interval.
    pub lo95: f64,
    /// Upper bound of its 95% interval.
    pub hi95: f64,
    /// Distance from the expectation in interval half-widths (on the side of the deviation).
    pub score: f64,
    /// From the score: minor, major or critical.
    pub severity: Severity,
    /// Open while the anomaly lasts; closed by the first normal hour.
    pub status: AlertStatus,
    /// When the alert was closed (start of the first normal hour), if it was.
    pub closed_hour_ms: Option<i64>,
}

impl ActivityAlert {
    /// The alert's stable id: `activity:<community>:<channel>:<metric>:<first hour ms>`.
    pub fn alert_id(&self) -> String {
        format!(
            "activity:{}:{}:{}:{}",
            self.series.community_id,
            self.series.channel_id,
            self.series.metric,
            self.first_hour_ms
        )
    }
}

/// One output of the forecast job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ActivityOutput {
    /// A closed hour (lake `activity_hourly`).
    Hour(ActivityHour),
    /// A new forecast of a series (serving `forecasts`, replacing the series' rows; lake `forecasts`).
    Forecast(ForecastIssue),
    /// An alert opened, updated or closed (serving `alerts`, by id; lake `alerts`).
    Alert(ActivityAlert),
}

impl ActivityOutput {
    /// The time (ms) the output is filed under in the lake's hour partitions: the closed hour, the
    /// first forecast hour, or the alert's last anomalous hour.
    pub fn ts_ms(&self) -> i64 {
        match self {
            ActivityOutput::Hour(h) => h.hour_ms,
            ActivityOutput::Forecast(f) => f.first_hour_ms,
            ActivityOutput::Alert(a) => a.last_hour_ms,
        }
    }

    /// Whether the serving tables hold it (closed hours are only in the lake).
    pub fn is_served(&self) -> bool {
        !matches!(self, ActivityOutput::Hour(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_names_round_trip() {
        for s in [Severity::Minor, Severity::Major, Severity::Critical] {
            assert_eq!(Severity::from_name(s.name()), Some(s));
        }
        assert_eq!(Severity::from_name("huge"), None);
    }

    #[test]
    fn an_alert_id_names_its_series_and_first_hour() {
        let alert = ActivityAlert {
            series: SeriesId {
                community_id: "c1".into(),
                channel_id: String::new(),
                metric: "messages".into(),
            },
            first_hour_ms: 3_600_000,
            last_hour_ms: 7_200_000,
            hours: 2,
            observed: 90.0,
            expected: 10.0,
            lo95: 4.0,
            hi95: 20.0,
            score: 8.0,
            severity: Severity::Critical,
            status: AlertStatus::Open,
            closed_hour_ms: None,
        };
        assert_eq!(alert.alert_id(), "activity:c1::messages:3600000");
    }
}
