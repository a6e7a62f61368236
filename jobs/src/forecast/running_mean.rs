//! The last resort for a series with less than a day of history: its mean, with the spread of its
//! values as the interval width.

/// Count, sum and sum of squares of the observations: O(1) per hour.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunningMean {
    n: usize,
    sum: f64,
    sum_sq: f64,
}

impl RunningMean {
    /// The mean of `history`; `None` for an empty history.
    pub fn fit(history: &[f64]) -> Option<Self> {
        if history.is_empty() {
            return None;
        }
        let mut m = RunningMean::default();
        history.iter().for_each(|&y| m.step(y));
        Some(m)
    }

    /// Takes one observation.
    pub fn step(&mut self, y: f64) {
        self.n += 1;
        self.sum += y;
        self.sum_sq += y * y;
    }

    /// The mean, for every hour ahead.
    pub fn forecast(&self, horizon: usize) -> Vec<f64> {
        vec![self.sum / self.n.max(1) as f64; horizon]
    }

    /// `s·sqrt(1 + 1/n)` for every hour ahead (the mean method's prediction error).
    pub fn error_sd(&self, horizon: usize) -> Vec<f64> {
        let n = self.n as f64;
        let var = if self.n < 2 {
            0.0
        } else {
            ((self.sum_sq - self.sum * self.sum / n) / (n - 1.0)).max(0.0)
        };
        vec![(var * (1.0 + 1.0 / n)).sqrt(); horizon]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_spread() {
        let m = RunningMean::fit(&[1.0, 3.0]).unwrap();
        assert_eq!(m.forecast(2), vec![2.0, 2.0]);
        // s² = 2, times 1.5.
        assert!((m.error_sd(1)[0] - 3f64.sqrt()).abs() < 1e-12);
        assert!(RunningMean::fit(&[]).is_none());
    }
}
