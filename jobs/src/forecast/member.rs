//! The candidate methods a series' forecast is built from, behind one type so that the combination
//! can fit, update and query them alike. All work on the transformed scale.

use serde::Serialize;

use super::fit::HwSpec;
use super::holt_winters::HoltWinters;
use super::running_mean::RunningMean;
use super::seasonal_mean::SeasonalMean;
use super::seasonal_naive::SeasonalNaive;

/// Hours in a day and in a week: the two cycles of community activity.
pub const DAY: usize = 24;
/// Hours in a week.
pub const WEEK: usize = 168;
/// Days averaged by [`MemberKind::DayMean`] (chosen on an inner validation split of M4 hourly:
/// 2, 3, 5 and 7 scored within 0.005 OWA of each other; 5 was best).
pub const DAY_MEAN_CYCLES: usize = 5;
/// Weeks averaged by [`MemberKind::WeekMean`] (2 beat 3 on the same split; M4's shortest hourly
/// series has four weeks).
pub const WEEK_MEAN_CYCLES: usize = 2;

/// Which method; its name is what the `model` column of `forecasts` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberKind {
    /// Holt-Winters, daily cycle, damped trend.
    HwDaily,
    /// Holt-Winters, daily and weekly cycles, damped trend.
    HwWeekly,
    /// Holt-Winters, daily and weekly cycles, no trend.
    HwWeeklyFlat,
    /// Same hour yesterday.
    SnaiveDay,
    /// Same hour last week.
    SnaiveWeek,
    /// Same hour, mean of the last [`DAY_MEAN_CYCLES`] days.
    DayMean,
    /// Same hour of the week, mean of the last [`WEEK_MEAN_CYCLES`] weeks.
    WeekMean,
    /// The mean of the history.
    Mean,
}

impl MemberKind {
    /// Every kind, in a fixed order.
    pub const ALL: [MemberKind; 8] = [
        MemberKind::HwDaily,
        MemberKind::HwWeekly,
        MemberKind::HwWeeklyFlat,
        MemberKind::SnaiveDay,
        MemberKind::SnaiveWeek,
        MemberKind::DayMean,
        MemberKind::WeekMean,
        MemberKind::Mean,
    ];

    /// The short name used in reports and the serving table.
    pub fn name(self) -> &'static str {
        match self {
            MemberKind::HwDaily => "hw_daily",
            MemberKind::HwWeekly => "hw_weekly",
            MemberKind::HwWeeklyFlat => "hw_weekly_flat",
            MemberKind::SnaiveDay => "snaive_day",
            MemberKind::SnaiveWeek => "snaive_week",
            MemberKind::DayMean => "day_mean",
            MemberKind::WeekMean => "week_mean",
            MemberKind::Mean => "mean",
        }
    }

    /// Whether the scale matters to the method (seasonal naive gives the same forecast on any).
    pub fn scale_matters(self) -> bool {
        !matches!(self, MemberKind::SnaiveDay | MemberKind::SnaiveWeek)
    }

    /// Whether the method is one of the Holt-Winters kinds.
    pub fn is_holt_winters(self) -> bool {
        matches!(
            self,
            MemberKind::HwDaily | MemberKind::HwWeekly | MemberKind::HwWeeklyFlat
        )
    }

    /// The least history the method can be fitted on.
    pub fn min_history(self) -> usize {
        match self {
            MemberKind::HwDaily => HoltWinters::min_history(&[DAY]),
            MemberKind::HwWeekly | MemberKind::HwWeeklyFlat => {
                HoltWinters::min_history(&[DAY, WEEK])
            }
            MemberKind::SnaiveDay => DAY,
            MemberKind::SnaiveWeek => WEEK,
            MemberKind::DayMean => SeasonalMean::min_history(DAY, DAY_MEAN_CYCLES),
            MemberKind::WeekMean => SeasonalMean::min_history(WEEK, WEEK_MEAN_CYCLES),
            MemberKind::Mean => 1,
        }
    }
}

/// A fitted method.
#[derive(Debug, Clone, PartialEq)]
pub enum Member {
    /// One of the Holt-Winters kinds.
    HoltWinters(HoltWinters),
    /// One of the seasonal naive kinds.
    SeasonalNaive(SeasonalNaive),
    /// One of the seasonal mean kinds.
    SeasonalMean(SeasonalMean),
    /// The mean.
    Mean(RunningMean),
}

impl Member {
    /// Fits `kind` to `history`; `None` when the history is too short for it.
    pub fn fit(kind: MemberKind, history: &[f64]) -> Option<Self> {
        let hw = |periods: Vec<usize>, trend: bool| {
            HwSpec { periods, trend }
                .fit(history)
                .map(Member::HoltWinters)
        };
        match kind {
            MemberKind::HwDaily => hw(vec![DAY], true),
            MemberKind::HwWeekly => hw(vec![DAY, WEEK], true),
            MemberKind::HwWeeklyFlat => hw(vec![DAY, WEEK], false),
            MemberKind::SnaiveDay => SeasonalNaive::fit(history, DAY).map(Member::SeasonalNaive),
            MemberKind::SnaiveWeek => SeasonalNaive::fit(history, WEEK).map(Member::SeasonalNaive),
            MemberKind::DayMean => {
                SeasonalMean::fit(history, DAY, DAY_MEAN_CYCLES).map(Member::SeasonalMean)
            }
            MemberKind::WeekMean => {
                SeasonalMean::fit(history, WEEK, WEEK_MEAN_CYCLES).map(Member::SeasonalMean)
            }
            MemberKind::Mean => RunningMean::fit(history).map(Member::Mean),
        }
    }

    /// Takes one observation in O(1).
    pub fn step(&mut self, y: f64) {
        match self {
            Member::HoltWinters(m) => {
                m.step(y);
            }
            Member::SeasonalNaive(m) => m.step(y),
            Member::SeasonalMean(m) => m.step(y),
            Member::Mean(m) => m.step(y),
        }
    }

    /// Point forecasts for the next `horizon` hours.
    pub fn forecast(&self, horizon: usize) -> Vec<f64> {
        match self {
            Member::HoltWinters(m) => m.forecast(horizon),
            Member::SeasonalNaive(m) => m.forecast(horizon),
            Member::SeasonalMean(m) => m.forecast(horizon),
            Member::Mean(m) => m.forecast(horizon),
        }
    }

    /// Standard deviations of the h-step errors.
    pub fn error_sd(&self, horizon: usize) -> Vec<f64> {
        match self {
            Member::HoltWinters(m) => m.error_sd(horizon),
            Member::SeasonalNaive(m) => m.error_sd(horizon),
            Member::SeasonalMean(m) => m.error_sd(horizon),
            Member::Mean(m) => m.error_sd(horizon),
        }
    }
}
