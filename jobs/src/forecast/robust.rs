//! Robust state updates: an observation far outside what a member expected moves its state by a
//! clipped error, not by the raw one.
//!
//! Without this, one anomalous hour teaches the model: an injected spike of 300 messages enters the
//! daily seasonal slot (and the seasonal naive ring), and the same hour of the next day is forecast
//! at half the spike, so an ordinary hour there raises a second, false alert (an "echo"). This is
//! Huber's ψ applied to the one-step error, with a recursively updated robust scale, as in Gelper,
//! Fried & Croux, "Robust forecasting with exponential and Holt-Winters smoothing" (J. of
//! Forecasting, 2010):
//!
//! ```text
//! ψ(e) = clamp(e, −k·σ, k·σ)          σ² ← (1 − λ)·σ² + λ·min(e², k²·σ²)
//! ```
//!
//! The scale follows the clipped errors, so one spike barely moves it, while errors that stay
//! large (a real level shift) grow it by a factor `√(1 − λ + λ·k²)`, about 8% per hour, until they
//! are let through, and meanwhile the state moves by `k·σ` per hour towards the new level: a
//! shift of 10σ is taken whole within a day. Most series are forecast on a log scale, where even a
//! doubling of activity is a few σ and is not clipped at all.
//!
//! Only the state update is robust. Interval widths still come from each member's raw in-sample
//! errors, so an unusual history still widens its bands.

/// Errors beyond this many robust standard deviations are clipped (Huber's usual 2–3; 3 clips
/// only what a Gaussian would see a few times a week of hours).
const K: f64 = 3.0;
/// Weight of the newest squared error in the scale (memory of about 50 hours: two days, so a
/// quiet night does not shrink the scale enough to clip the morning).
const LAMBDA: f64 = 0.02;
/// One-step errors averaged plainly before clipping starts: a week, so that the scale has seen
/// every day of the week once. With only a day, a clean series' first weekday change was clipped
/// against the tiny errors of its first day, and a short history adapted too slowly
/// (`model::tests::short_series_still_get_a_forecast` caught it).
const WARMUP: usize = 168;

/// The robust scale of one member's one-step errors, and the clipping it implies.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorClip {
    /// The robust variance σ².
    variance: f64,
    /// Errors seen so far.
    seen: usize,
}

impl ErrorClip {
    /// Takes the raw one-step error `e` and returns the error the state should move by: `e` itself
    /// during the warm-up and within `k·σ`, else `±k·σ`. Updates the scale.
    pub fn psi(&mut self, e: f64) -> f64 {
        if !e.is_finite() {
            return e;
        }
        self.seen += 1;
        if self.seen <= WARMUP {
            self.variance += (e * e - self.variance) / self.seen as f64;
            return e;
        }
        let bound = K * self.variance.sqrt();
        let psi = e.clamp(-bound, bound);
        self.variance = (1.0 - LAMBDA) * self.variance + LAMBDA * psi * psi;
        psi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic errors in [-1, 1].
    fn noise(t: usize) -> f64 {
        ((t * 7919 % 201) as f64 / 100.0) - 1.0
    }

    #[test]
    fn ordinary_errors_pass_and_a_spike_is_clipped_to_a_few_deviations() {
        let mut clip = ErrorClip::default();
        for t in 0..200 {
            let e = noise(t);
            assert_eq!(clip.psi(e), e, "hour {t}");
        }
        let sd = clip.variance.sqrt();
        let spike = clip.psi(300.0);
        assert!(spike > 0.0 && spike <= K * sd + 1e-12, "{spike} vs σ {sd}");
        // One spike hardly moves the scale.
        let after = clip.variance.sqrt();
        assert!(after < 1.1 * sd, "σ {sd} → {after}");
        assert!((clip.psi(-300.0) + K * after).abs() < 1e-12);
    }

    #[test]
    fn errors_that_stay_large_are_let_through_within_a_day() {
        let mut clip = ErrorClip::default();
        for t in 0..200 {
            clip.psi(noise(t));
        }
        // A level shift of 10σ: every error is that large from now on.
        let shift = 10.0 * clip.variance.sqrt();
        let hours = (1..=48).find(|_| clip.psi(shift) == shift);
        assert!(matches!(hours, Some(h) if h <= 24), "{hours:?}");
    }

    #[test]
    fn the_warm_up_passes_everything() {
        let mut clip = ErrorClip::default();
        for t in 0..WARMUP {
            let e = if t == 5 { 1e6 } else { noise(t) };
            assert_eq!(clip.psi(e), e);
        }
        assert!(clip.psi(f64::NAN).is_nan());
    }
}
