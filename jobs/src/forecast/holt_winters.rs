//! Additive Holt-Winters with a damped trend and one or two seasonal cycles (Taylor's double
//! seasonal variant for day and week), in error-correction form so that one closed hour costs
//! O(1): a level, a trend and one slot of each seasonal ring change per [`HoltWinters::step`].
//!
//! ```text
//! ŷ_t = l + φ·b + Σ_s season_s[t mod m_s]            e = y_t − ŷ_t
//! l ← l + φ·b + α·e     b ← φ·b + β·e     season_s[t mod m_s] ← season_s[t mod m_s] + γ_s·e
//! ```
//!
//! The state moves by a clipped error ψ(e) instead of e ([`ErrorClip`]), so one anomalous hour
//! does not teach the model; the error variance below uses the raw e.
//!
//! The h-step error variance follows Hyndman et al. (2008, class 1):
//! `σ²·(1 + Σ_{j<h} c_j²)`, `c_j = α + β·(φ + … + φ^j) + Σ_s γ_s·[m_s divides j]`.

use super::robust::ErrorClip;

/// Smoothing parameters. All lie in [0, 1]; [`crate::forecast::fit`] keeps them in range.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Level smoothing.
    pub alpha: f64,
    /// Trend smoothing (0: the initial trend is kept, damped).
    pub beta: f64,
    /// Trend damping: each hour ahead adds φ^h of the trend, so long horizons do not run away.
    pub phi: f64,
    /// Smoothing of each seasonal cycle, in the order of the periods.
    pub gammas: Vec<f64>,
}

/// One seasonal cycle: `values[t mod period]` is the effect of that slot.
#[derive(Debug, Clone, PartialEq)]
struct Season {
    period: usize,
    values: Vec<f64>,
}

/// The model's state after the observations seen so far.
#[derive(Debug, Clone, PartialEq)]
pub struct HoltWinters {
    params: Params,
    level: f64,
    trend: f64,
    seasons: Vec<Season>,
    /// Index of the next observation (selects the seasonal slots).
    t: usize,
    /// One-step errors seen so far and their sum of squares, for σ².
    errors: usize,
    sse: f64,
    /// The robust scale that clips the error the state moves by.
    clip: ErrorClip,
}

impl HoltWinters {
    /// The least history [`HoltWinters::initialise`] needs for `periods`: two full cycles of the
    /// longest one, so every slot has been seen twice.
    pub fn min_history(periods: &[usize]) -> usize {
        2 * periods.iter().copied().max().unwrap_or(1)
    }

    /// Initial state from the start of `history` (classical heuristic: the level is the mean of
    /// the first cycle of the longest period, the trend the change between its first two cycles,
    /// each season the mean deviation per slot, shorter periods first). `None` when the history is
    /// shorter than [`HoltWinters::min_history`] or the periods are not ordered shortest first.
    pub fn initialise(history: &[f64], periods: &[usize], params: Params) -> Option<Self> {
        let longest = periods.iter().copied().max().unwrap_or(1).max(1);
        if history.len() < Self::min_history(periods)
            || periods.contains(&0)
            || periods.windows(2).any(|w| w[0] > w[1])
            || params.gammas.len() != periods.len()
        {
            return None;
        }
        let cycles = (history.len() / longest).clamp(2, 4);
        let window = &history[..cycles * longest];
        let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
        let first = mean(&window[..longest]);
        let second = mean(&window[longest..2 * longest]);
        let trend = (second - first) / longest as f64;
        // Deviations from a straight line through the window's cycle means.
        let centre = (longest as f64 - 1.0) / 2.0;
        let mut residual: Vec<f64> = window
            .iter()
            .enumerate()
            .map(|(i, y)| y - first - trend * (i as f64 - centre))
            .collect();
        let mut seasons = Vec::with_capacity(periods.len());
        for &period in periods {
            let mut values = vec![0.0; period];
            let mut counts = vec![0usize; period];
            for (i, r) in residual.iter().enumerate() {
                values[i % period] += r;
                counts[i % period] += 1;
            }
            for (v, c) in values.iter_mut().zip(&counts) {
                *v /= (*c).max(1) as f64;
            }
            let m = mean(&values);
            values.iter_mut().for_each(|v| *v -= m);
            for (i, r) in residual.iter_mut().enumerate() {
                *r -= values[i % period];
            }
            seasons.push(Season { period, values });
        }
        Some(HoltWinters {
            params,
            // The level one step before the first observation.
            level: first - trend * (centre + 1.0),
            trend,
            seasons,
            t: 0,
            errors: 0,
            sse: 0.0,
            clip: ErrorClip::default(),
        })
    }

    /// The parameters the model runs with.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The forecast for the next observation.
    fn one_step(&self) -> f64 {
        let seasonal: f64 = self
            .seasons
            .iter()
            .map(|s| s.values[self.t % s.period])
            .sum();
        self.level + self.params.phi * self.trend + seasonal
    }

    /// Takes one observation (one closed hour) in O(number of seasons) and returns its raw
    /// one-step error; the state moves by the clipped one.
    pub fn step(&mut self, y: f64) -> f64 {
        let e = y - self.one_step();
        let moved = self.clip.psi(e);
        let p = &self.params;
        self.level += p.phi * self.trend + p.alpha * moved;
        self.trend = p.phi * self.trend + p.beta * moved;
        for (season, gamma) in self.seasons.iter_mut().zip(&p.gammas) {
            let slot = self.t % season.period;
            season.values[slot] += gamma * moved;
        }
        self.t += 1;
        self.errors += 1;
        self.sse += e * e;
        e
    }

    /// Runs over `history` and returns the sum of squared one-step errors (the fitting criterion).
    /// Stops early, returning infinity, when the state diverges.
    pub fn run(&mut self, history: &[f64]) -> f64 {
        let mut sse = 0.0;
        for &y in history {
            let e = self.step(y);
            sse += e * e;
            if !sse.is_finite() {
                return f64::INFINITY;
            }
        }
        sse
    }

    /// Runs over `history` and returns the mean squared error of forecasts 1..=`horizon` steps
    /// ahead, issued every `every` observations (the criterion for models judged on whole
    /// horizons: one-step errors reward chasing noise). Infinity when the state diverges.
    pub fn run_multi_step(&mut self, history: &[f64], horizon: usize, every: usize) -> f64 {
        let mut sum = 0.0;
        let mut count = 0usize;
        for (i, &y) in history.iter().enumerate() {
            if every > 0 && i % every == 0 && i + horizon <= history.len() {
                for (f, actual) in self.forecast(horizon).iter().zip(&history[i..]) {
                    sum += (actual - f).powi(2);
                }
                count += horizon;
            }
            self.step(y);
            if !sum.is_finite() || !self.level.is_finite() {
                return f64::INFINITY;
            }
        }
        if count == 0 {
            self.sse
        } else {
            sum / count as f64
        }
    }

    /// Point forecasts for the next `horizon` observations.
    pub fn forecast(&self, horizon: usize) -> Vec<f64> {
        let mut damped = 0.0;
        let mut phi_h = 1.0;
        (0..horizon)
            .map(|h| {
                phi_h *= self.params.phi;
                damped += phi_h;
                let seasonal: f64 = self
                    .seasons
                    .iter()
                    .map(|s| s.values[(self.t + h) % s.period])
                    .sum();
                self.level + damped * self.trend + seasonal
            })
            .collect()
    }

    /// Standard deviation of the h-step errors, h = 1..=horizon, from the in-sample one-step errors.
    pub fn error_sd(&self, horizon: usize) -> Vec<f64> {
        let sigma2 = if self.errors == 0 {
            0.0
        } else {
            self.sse / self.errors as f64
        };
        let p = &self.params;
        let mut acc = 1.0;
        let mut damped = 0.0;
        let mut phi_j = 1.0;
        let mut out = Vec::with_capacity(horizon);
        for h in 1..=horizon {
            out.push((sigma2 * acc).sqrt());
            // c_j for j = h, used from the next horizon on.
            phi_j *= p.phi;
            damped += phi_j;
            let seasonal: f64 = self
                .seasons
                .iter()
                .zip(&p.gammas)
                .filter(|(s, _)| h % s.period == 0)
                .map(|(_, g)| g)
                .sum();
            let c = p.alpha + p.beta * damped + seasonal;
            acc += c * c;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(gammas: Vec<f64>) -> Params {
        Params {
            alpha: 0.1,
            beta: 0.0,
            phi: 0.98,
            gammas,
        }
    }

    #[test]
    fn a_pure_seasonal_series_is_forecast_exactly() {
        let y: Vec<f64> = (0..24 * 21)
            .map(|t| 10.0 + (t % 24) as f64 - (t % 168 / 24) as f64)
            .collect();
        let mut hw = HoltWinters::initialise(&y, &[24, 168], params(vec![0.1, 0.1])).unwrap();
        let sse = hw.run(&y);
        assert!(sse < 1e-12, "sse {sse}");
        let f = hw.forecast(48);
        for (h, f) in f.iter().enumerate() {
            let t = y.len() + h;
            let want = 10.0 + (t % 24) as f64 - (t % 168 / 24) as f64;
            assert!((f - want).abs() < 1e-9, "h {h}: {f} vs {want}");
        }
    }

    #[test]
    fn multi_step_criterion_is_zero_on_a_clean_cycle_and_positive_on_noise() {
        let clean: Vec<f64> = (0..24 * 6).map(|t| (t % 24) as f64).collect();
        let mut hw = HoltWinters::initialise(&clean, &[24], params(vec![0.1])).unwrap();
        assert!(hw.run_multi_step(&clean, 48, 24) < 1e-18);
        let noisy: Vec<f64> = clean
            .iter()
            .enumerate()
            .map(|(t, y)| y + if t % 5 == 0 { 3.0 } else { 0.0 })
            .collect();
        let mut hw = HoltWinters::initialise(&noisy, &[24], params(vec![0.1])).unwrap();
        let mse = hw.run_multi_step(&noisy, 48, 24);
        assert!(mse > 0.1 && mse.is_finite(), "{mse}");
    }

    #[test]
    fn error_sd_grows_with_the_horizon() {
        let y: Vec<f64> = (0..100).map(|t| (t % 24) as f64 + (t % 7) as f64).collect();
        let mut hw = HoltWinters::initialise(&y, &[24], params(vec![0.2])).unwrap();
        hw.run(&y);
        let sd = hw.error_sd(48);
        assert!(sd[0] > 0.0);
        assert!(sd.windows(2).all(|w| w[1] >= w[0]));
        assert!(sd[47] > sd[0]);
    }

    #[test]
    fn too_short_history_is_refused() {
        assert!(HoltWinters::initialise(&[1.0; 47], &[24], params(vec![0.1])).is_none());
        assert!(HoltWinters::initialise(&[1.0; 48], &[24], params(vec![0.1])).is_some());
    }
}
