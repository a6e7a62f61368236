//! Event times: a seasonal intensity over the period, inverted so that the time of event `i` depends on
//! `i` alone.
//!
//! The intensity is piecewise constant per hour: a daily profile in Beijing time (quiet from 2 to 6 am,
//! peaking around 9 pm), a different profile on weekends, a weekly live session on Wednesday evenings,
//! slow growth over the period and a little per-hour noise. Event `i` sits at the `(i + ½) / events`
//! quantile of the cumulative intensity, so blocks can be generated independently and times still come
//! out non-decreasing in the event index.

use super::GeneratorConfig;
use super::json::MS_PER_DAY;
use super::rng::{hash3, unit_of};

/// One hour in milliseconds.
const HOUR_MS: i64 = 3_600_000;
/// Beijing is UTC+8 all year.
const BEIJING_OFFSET_MS: i64 = 8 * HOUR_MS;

/// Relative activity per local hour on working days: commutes, lunch and a strong evening peak.
const WEEKDAY: [f64; 24] = [
    0.40, 0.20, 0.10, 0.06, 0.05, 0.07, 0.15, 0.35, 0.60, 0.75, 0.80, 0.85, 0.95, 0.85, 0.78, 0.78,
    0.80, 0.85, 0.95, 1.10, 1.35, 1.50, 1.35, 0.85,
];
/// Relative activity per local hour on Saturday and Sunday: late mornings, busy afternoons.
const WEEKEND: [f64; 24] = [
    0.55, 0.32, 0.18, 0.10, 0.06, 0.06, 0.08, 0.15, 0.30, 0.50, 0.70, 0.85, 0.90, 0.95, 1.00, 1.05,
    1.05, 1.00, 1.00, 1.10, 1.25, 1.30, 1.15, 0.85,
];

/// The cumulative intensity of the period and the mapping from event index to event time.
#[derive(Debug, Clone)]
pub(crate) struct Timeline {
    start_ms: i64,
    end_ms: i64,
    events: u64,
    /// `cum[h]` is the intensity of hours `0..h`; one more entry than there are hours.
    cum: Vec<f64>,
}

impl Timeline {
    /// The timeline of `config`: `days * 24` hourly buckets from `start_ms`.
    pub(crate) fn new(config: &GeneratorConfig) -> Self {
        let hours = u64::from(config.days) * 24;
        let mut cum = Vec::with_capacity(hours as usize + 1);
        cum.push(0.0);
        let mut total = 0.0;
        for h in 0..hours {
            total += intensity(config.seed, config.start_ms, h);
            cum.push(total);
        }
        Self {
            start_ms: config.start_ms,
            end_ms: config.start_ms + i64::from(config.days) * MS_PER_DAY,
            events: config.events,
            cum,
        }
    }

    /// The first instant of the period.
    #[cfg(test)]
    pub(crate) fn start_ms(&self) -> i64 {
        self.start_ms
    }

    /// The end of the period (exclusive).
    #[cfg(test)]
    pub(crate) fn end_ms(&self) -> i64 {
        self.end_ms
    }

    /// The undisturbed time of event `i`: non-decreasing in `i`, inside `[start, end)`.
    pub(crate) fn base_ms(&self, i: u64) -> i64 {
        let hours = self.cum.len() - 1;
        if hours == 0 || self.events == 0 {
            return self.start_ms;
        }
        let total = self.cum[hours];
        let q = (i as f64 + 0.5) / self.events as f64 * total;
        let h = self.cum.partition_point(|&c| c <= q).clamp(1, hours) - 1;
        let width = self.cum[h + 1] - self.cum[h];
        let frac = if width > 0.0 {
            ((q - self.cum[h]) / width).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let t = self.start_ms + ((h as f64 + frac) * HOUR_MS as f64) as i64;
        t.min(self.end_ms - 1)
    }

    /// `ms` kept inside the period (jitter must not push events out of it).
    pub(crate) fn clamp(&self, ms: i64) -> i64 {
        ms.clamp(self.start_ms, (self.end_ms - 1).max(self.start_ms))
    }
}

/// The relative intensity of hour `h` of the period.
fn intensity(seed: u64, start_ms: i64, h: u64) -> f64 {
    let mid = start_ms + h as i64 * HOUR_MS + HOUR_MS / 2 + BEIJING_OFFSET_MS;
    let local_day = mid.div_euclid(MS_PER_DAY);
    let local_hour = (mid.rem_euclid(MS_PER_DAY) / HOUR_MS) as usize;
    // 1970-01-01 was a Thursday: with Monday = 0 it is day 3 of its week.
    let weekday = (local_day + 3).rem_euclid(7);
    let base = if weekday >= 5 {
        WEEKEND[local_hour] * 0.92
    } else {
        WEEKDAY[local_hour]
    };
    let live = if weekday == 2 && local_hour == 20 {
        1.6
    } else {
        1.0
    };
    let growth = 1.0 + 0.01 * (h / 24) as f64;
    let noise = 0.92 + 0.16 * unit_of(hash3(seed, 0x7469_6d65, h));
    base * live * growth * noise
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_monotone_inside_the_period_and_seasonal() {
        let config = GeneratorConfig {
            events: 100_000,
            ..GeneratorConfig::default()
        };
        let t = Timeline::new(&config);
        let mut last = t.start_ms();
        let mut by_local_hour = [0u32; 24];
        for i in 0..config.events {
            let ms = t.base_ms(i);
            assert!(ms >= last && ms < t.end_ms());
            last = ms;
            by_local_hour[((ms + BEIJING_OFFSET_MS).rem_euclid(MS_PER_DAY) / HOUR_MS) as usize] +=
                1;
        }
        assert!(
            by_local_hour[21] > 8 * by_local_hour[4],
            "{by_local_hour:?}"
        );
    }

    #[test]
    fn degenerate_periods() {
        let config = GeneratorConfig {
            days: 0,
            ..GeneratorConfig::default()
        };
        let t = Timeline::new(&config);
        assert_eq!(t.base_ms(5), config.start_ms);
        assert_eq!(t.clamp(config.start_ms + 10), config.start_ms);
    }
}
