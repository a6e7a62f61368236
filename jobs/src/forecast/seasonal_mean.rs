//! Seasonal mean: every hour is forecast as the mean of the same hour over the last few cycles
//! (e.g. the last three days, or the last two weeks). Averaging cycles keeps seasonal naive's
//! robustness while halving or thirding its noise, which makes it a useful, cheap member of the
//! combination for series whose rhythm is stable.
//!
//! The ring keeps each observation clipped to within a few robust deviations of what the method
//! expected of it ([`ErrorClip`]), so an anomalous hour is not repeated a cycle later.

use super::robust::ErrorClip;

/// The last `cycles` cycles in a ring, with per-slot running sums: O(1) per hour.
#[derive(Debug, Clone, PartialEq)]
pub struct SeasonalMean {
    period: usize,
    cycles: usize,
    /// `ring[t mod (period·cycles)]`: the observations of the window.
    ring: Vec<f64>,
    /// Per slot (t mod period), the sum of its values in the window.
    sums: Vec<f64>,
    /// Index of the next observation.
    t: usize,
    /// One-step errors seen (once the window was full) and their sum of squares.
    errors: usize,
    sse: f64,
    /// The robust scale that clips what the ring keeps.
    clip: ErrorClip,
}

impl SeasonalMean {
    /// The least history: the whole window.
    pub fn min_history(period: usize, cycles: usize) -> usize {
        period * cycles
    }

    /// Builds the method from `history`; `None` when it is shorter than the window.
    pub fn fit(history: &[f64], period: usize, cycles: usize) -> Option<Self> {
        if period == 0 || cycles == 0 || history.len() < period * cycles {
            return None;
        }
        let mut model = SeasonalMean {
            period,
            cycles,
            ring: vec![0.0; period * cycles],
            sums: vec![0.0; period],
            t: 0,
            errors: 0,
            sse: 0.0,
            clip: ErrorClip::default(),
        };
        history.iter().for_each(|&y| model.step(y));
        Some(model)
    }

    /// Takes one observation in O(1). Once the window is full, the ring keeps the observation
    /// clipped to the expected value ± the robust bound; the error statistics use the raw one.
    pub fn step(&mut self, mut y: f64) {
        let window = self.ring.len();
        let slot = self.t % self.period;
        let at = self.t % window;
        if self.t >= window {
            let expected = self.sums[slot] / self.cycles as f64;
            let e = y - expected;
            self.errors += 1;
            self.sse += e * e;
            y = expected + self.clip.psi(e);
            self.sums[slot] -= self.ring[at];
        }
        self.ring[at] = y;
        self.sums[slot] += y;
        self.t += 1;
    }

    /// Point forecasts: the per-slot means, repeated.
    pub fn forecast(&self, horizon: usize) -> Vec<f64> {
        (0..horizon)
            .map(|h| self.sums[(self.t + h) % self.period] / self.cycles as f64)
            .collect()
    }

    /// The one-step error's standard deviation for every hour ahead: the forecast of an hour
    /// does not depend on the hours before it, so errors do not compound over the horizon.
    pub fn error_sd(&self, horizon: usize) -> Vec<f64> {
        vec![self.one_step_sd(); horizon]
    }

    /// The standard deviation of the one-step errors seen so far (0 before the first).
    pub fn one_step_sd(&self) -> f64 {
        if self.errors == 0 {
            0.0
        } else {
            (self.sse / self.errors as f64).sqrt()
        }
    }

    /// The cycle length.
    pub fn period(&self) -> usize {
        self.period
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_the_last_cycles_per_slot() {
        // Period 2, two cycles: slots see 1,3 then 5,7 → means over the last two cycles.
        let mut m = SeasonalMean::fit(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 2).unwrap();
        // Window holds 3,4,5,6: slot 0 → (3+5)/2 = 4, slot 1 → (4+6)/2 = 5.
        assert_eq!(m.forecast(3), vec![4.0, 5.0, 4.0]);
        m.step(7.0);
        // Slot 0 now 5,7 → 6.
        assert_eq!(m.forecast(2), vec![5.0, 6.0]);
        assert!(m.error_sd(2)[0] > 0.0);
        assert!(SeasonalMean::fit(&[1.0; 3], 2, 2).is_none());
    }
}
