//! One worker's share of the series: the open hours being filled and a monitor per live series.

use std::collections::BTreeMap;

use cohort_schemas::activity::{ActivityOutput, SeriesId};

use crate::forecast::monitor::{MonitorConfig, SeriesMonitor};
use crate::forecast::series::{Contribution, HOUR_MS, SeriesBuilder, SeriesKey};

/// The series one worker owns.
pub struct WorkerSeries {
    builder: SeriesBuilder,
    monitors: BTreeMap<SeriesKey, SeriesMonitor>,
    config: MonitorConfig,
    evict_after_hours: u64,
    /// Latest event time of the input seen by any worker (what closes hours at the end of a
    /// bounded input).
    max_ts_ms: Option<i64>,
    lateness_ms: i64,
}

impl WorkerSeries {
    /// The state of a worker resumed from `builder` (open hours) and `monitors` (live series).
    pub fn new(
        builder: SeriesBuilder,
        monitors: BTreeMap<SeriesKey, SeriesMonitor>,
        config: MonitorConfig,
        evict_after_hours: u64,
        lateness_ms: i64,
    ) -> Self {
        WorkerSeries {
            builder,
            monitors,
            config,
            evict_after_hours,
            max_ts_ms: None,
            lateness_ms,
        }
    }

    /// Adds an event's contribution to its hour; `false` when the hour had closed already.
    pub fn add(&mut self, hour_ms: i64, c: Contribution) -> bool {
        self.builder.add(hour_ms, c)
    }

    /// Notes the time of an event of the input (any worker's): the latest one decides which hours
    /// close when a bounded input ends.
    pub fn saw(&mut self, ts_ms: i64) {
        self.max_ts_ms = Some(self.max_ts_ms.map_or(ts_ms, |m| m.max(ts_ms)));
    }

    /// Closes every hour that ends at or before `end_ms` and returns the outputs, hour by hour.
    pub fn close_before(&mut self, end_ms: i64) -> Vec<ActivityOutput> {
        let mut out = Vec::new();
        for closed in self.builder.close_before(end_ms) {
            let monitor = self
                .monitors
                .entry(closed.key.clone())
                .or_insert_with(|| SeriesMonitor::new(series_id(&closed.key)));
            out.extend(monitor.close(closed.hour_ms, closed.value, &self.config));
            if monitor.idle_hours() >= self.evict_after_hours {
                if let Some(alert) = monitor.retire(closed.hour_ms + HOUR_MS) {
                    out.push(ActivityOutput::Alert(alert));
                }
                self.monitors.remove(&closed.key);
                self.builder.forget(&closed.key);
            }
        }
        out
    }

    /// At the end of a bounded input: closes the hours the last event's watermark has passed.
    pub fn close_at_end(&mut self) -> Vec<ActivityOutput> {
        match self.max_ts_ms {
            Some(max) => self.close_before(max.saturating_sub(self.lateness_ms)),
            None => Vec::new(),
        }
    }

    /// Series currently kept.
    pub fn live_series(&self) -> usize {
        self.monitors.len()
    }
}

/// The table form of a series key.
pub fn series_id(key: &SeriesKey) -> SeriesId {
    SeriesId {
        community_id: key.community_id.clone(),
        channel_id: key.channel_id.clone(),
        metric: key.metric.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::series::{Amount, Metric};

    #[test]
    fn an_idle_series_is_dropped_and_its_open_alert_closed() {
        let config = MonitorConfig {
            alerts: crate::forecast::monitor::AlertRule {
                floor: 0.0,
                floors: Vec::new(),
                warmup_hours: 2,
                min_score: 1.0,
                max_tail_probability: 1.0,
            },
            ..MonitorConfig::default()
        };
        let mut state = WorkerSeries::new(SeriesBuilder::new(0), BTreeMap::new(), config, 3, 0);
        let key = SeriesKey::new("c", "", Metric::Messages);
        for hour in 0..4 {
            for _ in 0..10 {
                state.add(
                    hour * HOUR_MS,
                    Contribution {
                        key: key.clone(),
                        amount: Amount::Add(1),
                    },
                );
            }
        }
        let out = state.close_before(4 * HOUR_MS);
        assert_eq!(
            out.iter()
                .filter(|o| matches!(o, ActivityOutput::Hour(_)))
                .count(),
            4
        );
        assert_eq!(state.live_series(), 1);
        // Silence: the first empty hour alerts, the third drops the series; its alert ends closed
        // (by a normal hour or by the eviction itself).
        let out = state.close_before(7 * HOUR_MS);
        let alerts: Vec<_> = out
            .iter()
            .filter_map(|o| match o {
                ActivityOutput::Alert(a) => Some(a),
                _ => None,
            })
            .collect();
        let last = alerts.last().expect("the outage alerted");
        assert_eq!(last.status, cohort_schemas::activity::AlertStatus::Closed);
        assert!(last.closed_hour_ms.is_some_and(|h| h <= 7 * HOUR_MS));
        assert_eq!(state.live_series(), 0);
        // No more rows for it.
        assert!(state.close_before(9 * HOUR_MS).is_empty());
    }
}
