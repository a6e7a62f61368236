//! Seasonal naive: every hour is forecast as the same hour one cycle earlier. It needs a single
//! cycle of history, has nothing to fit, and is the benchmark a forecast must beat, so it is both a
//! fallback for short series and a member of the combination.

use super::seasonal_mean::SeasonalMean;

/// The last cycle of observations: a seasonal mean over one cycle, whose errors compound over
/// the horizon (the forecast of an hour two cycles ahead repeats a value that is itself a guess).
#[derive(Debug, Clone, PartialEq)]
pub struct SeasonalNaive(SeasonalMean);

impl SeasonalNaive {
    /// Builds the method from `history`; `None` when it is shorter than one cycle.
    pub fn fit(history: &[f64], period: usize) -> Option<Self> {
        SeasonalMean::fit(history, period, 1).map(SeasonalNaive)
    }

    /// Takes one observation in O(1).
    pub fn step(&mut self, y: f64) {
        self.0.step(y);
    }

    /// Point forecasts: the last cycle, repeated.
    pub fn forecast(&self, horizon: usize) -> Vec<f64> {
        self.0.forecast(horizon)
    }

    /// h-step error standard deviation, `σ·sqrt(⌊(h−1)/m⌋ + 1)` (Hyndman & Athanasopoulos, 5.5).
    pub fn error_sd(&self, horizon: usize) -> Vec<f64> {
        let (sigma, period) = (self.0.one_step_sd(), self.0.period());
        (0..horizon)
            .map(|h| sigma * ((h / period + 1) as f64).sqrt())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_the_last_cycle_and_updates_in_place() {
        let mut m = SeasonalNaive::fit(&[1.0, 2.0, 3.0, 4.0, 5.0], 3).unwrap();
        assert_eq!(m.forecast(4), vec![3.0, 4.0, 5.0, 3.0]);
        m.step(6.0);
        assert_eq!(m.forecast(3), vec![4.0, 5.0, 6.0]);
        // Errors 3, 3, 3 (4-1, 5-2, 6-3): σ = 3.
        let sd = m.error_sd(4);
        assert!((sd[0] - 3.0).abs() < 1e-12);
        assert!((sd[3] - 3.0 * 2f64.sqrt()).abs() < 1e-12);
        assert!(SeasonalNaive::fit(&[1.0], 3).is_none());
    }
}
