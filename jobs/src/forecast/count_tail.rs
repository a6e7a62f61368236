//! How surprising an hourly count is: tail probabilities of a negative binomial distribution with a
//! given mean and variance.
//!
//! The forecast's intervals are Gaussian bands on the model's scale. For a busy series that is a fair
//! picture, but a quiet one counts whole events (0, 1, 2 ... messages, one sale at a time) and its
//! events come in bursts (a thread of replies, a meetup's check-ins): far heavier tails than a
//! Gaussian with the same spread. Judging such an hour by "this many standard deviations out" raises
//! alerts on ordinary lumps. The negative binomial is the standard model of overdispersed counts: with
//! the forecast's mean and the band's variance (never below the mean, the Poisson limit), a burst of 7
//! replies where 0.5 were expected and the in-sample errors are about 1.2 has probability about 1%,
//! while 300 extra messages in a busy channel or a silent peak hour have probabilities far below
//! 10⁻¹⁰.

/// A negative binomial distribution over counts 0, 1, 2, ... given by mean and variance (a Poisson
/// distribution when the variance is not above the mean).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountDistribution {
    mean: f64,
    /// `None` for the Poisson limit; else the shape `r` and success probability `p` with
    /// mean `r(1-p)/p`.
    shape: Option<(f64, f64)>,
}

/// Terms of a tail sum below the largest term by this factor (e⁻⁴⁰ ≈ 4·10⁻¹⁸) cannot change it.
const NEGLIGIBLE_LN: f64 = -40.0;

impl CountDistribution {
    /// The distribution with `mean` (at least `min_mean`, so an expectation of zero still leaves
    /// room for chance) and `variance` (raised to the mean when below it).
    pub fn new(mean: f64, variance: f64, min_mean: f64) -> Self {
        let mean = if mean.is_finite() {
            mean.max(min_mean)
        } else {
            min_mean
        }
        .max(f64::MIN_POSITIVE);
        let excess = if variance.is_finite() {
            variance - mean
        } else {
            0.0
        };
        // A variance within a relative 1e-9 of the mean is Poisson; the shape would overflow.
        let shape = (excess > mean * 1e-9).then(|| {
            let r = mean * mean / excess;
            (r, r / (r + mean))
        });
        CountDistribution { mean, shape }
    }

    /// The mean.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// ln P(X = k).
    fn ln_pmf(&self, k: f64) -> f64 {
        match self.shape {
            None => k * self.mean.ln() - self.mean - libm::lgamma(k + 1.0),
            Some((r, p)) => {
                libm::lgamma(k + r) - libm::lgamma(r) - libm::lgamma(k + 1.0)
                    + r * p.ln()
                    + k * (-p).ln_1p()
            }
        }
    }

    /// P(X ≥ k): the chance of a count at least this high.
    pub fn upper_tail(&self, k: u64) -> f64 {
        if k == 0 {
            return 1.0;
        }
        let mut sum = LnSum::default();
        let mut i = k as f64;
        // Terms fall from the mode on; sum until they no longer matter (or are all past the mode).
        loop {
            let term = self.ln_pmf(i);
            sum.add(term);
            // (A million terms past k is a tail so flat that its sum is already far from small.)
            if (i > self.mean && term < sum.max + NEGLIGIBLE_LN) || i - k as f64 > 1e6 {
                break;
            }
            i += 1.0;
        }
        sum.value().min(1.0)
    }

    /// P(X ≤ k): the chance of a count at most this low.
    pub fn lower_tail(&self, k: u64) -> f64 {
        let mut sum = LnSum::default();
        let mut i = k as f64;
        // Downwards from k: the terms may rise to the mode first, then fall to 0.
        loop {
            let term = self.ln_pmf(i);
            sum.add(term);
            if i == 0.0 || (i < self.mean && term < sum.max + NEGLIGIBLE_LN) {
                break;
            }
            i -= 1.0;
        }
        sum.value().min(1.0)
    }
}

/// A sum of exponentials kept on the log scale, so tails of 10⁻³⁰⁰ and below neither underflow nor
/// lose the terms that matter.
#[derive(Debug)]
struct LnSum {
    max: f64,
    /// Σ exp(term − max).
    scaled: f64,
}

impl Default for LnSum {
    fn default() -> Self {
        LnSum {
            max: f64::NEG_INFINITY,
            scaled: 0.0,
        }
    }
}

impl LnSum {
    fn add(&mut self, term: f64) {
        if term > self.max {
            self.scaled = self.scaled * (self.max - term).exp() + 1.0;
            self.max = term;
        } else {
            self.scaled += (term - self.max).exp();
        }
    }

    fn value(&self) -> f64 {
        if self.max == f64::NEG_INFINITY {
            0.0
        } else {
            (self.max + self.scaled.ln()).exp()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn poisson_tails_match_closed_forms() {
        let d = CountDistribution::new(2.0, 2.0, 0.0);
        // P(X = 0) = e^-2; P(X <= 1) = 3e^-2; P(X >= 1) = 1 - e^-2.
        assert!(close(d.lower_tail(0), (-2f64).exp(), 1e-12));
        assert!(close(d.lower_tail(1), 3.0 * (-2f64).exp(), 1e-12));
        assert!(close(d.upper_tail(1), 1.0 - (-2f64).exp(), 1e-12));
        assert_eq!(d.upper_tail(0), 1.0);
    }

    #[test]
    fn negative_binomial_tails_match_a_direct_sum() {
        // r = 2, p = 0.5: mean 2, variance 4; P(X = k) = (k + 1) / 2^(k + 2).
        let d = CountDistribution::new(2.0, 4.0, 0.0);
        let pmf = |k: u64| (k + 1) as f64 / 2f64.powi(k as i32 + 2);
        let below: f64 = (0..=3).map(pmf).sum();
        assert!(close(d.lower_tail(3), below, 1e-12));
        assert!(close(d.upper_tail(4), 1.0 - below, 1e-10));
    }

    #[test]
    fn tails_far_out_are_tiny_and_never_nan() {
        // A silent hour where a thousand events were expected, and a burst of ten thousand.
        let d = CountDistribution::new(1000.0, 1100.0, 0.0);
        let silent = d.lower_tail(0);
        assert!((0.0..1e-300).contains(&silent), "{silent}");
        assert!(d.upper_tail(10_000) < 1e-100);
        assert!(close(d.upper_tail(1000) + d.lower_tail(999), 1.0, 1e-9));
    }

    #[test]
    fn overdispersion_makes_a_burst_in_a_quiet_series_unremarkable() {
        // 0.5 messages expected, in-sample errors of about 1.2: seven replies happen.
        let bursty = CountDistribution::new(0.5, 1.2 * 1.2, 0.0);
        let poisson = CountDistribution::new(0.5, 0.5, 0.0);
        assert!(bursty.upper_tail(7) > 1e-3, "{}", bursty.upper_tail(7));
        assert!(poisson.upper_tail(7) < 1e-5);
    }

    #[test]
    fn a_zero_expectation_is_raised_to_the_minimum_mean() {
        let d = CountDistribution::new(0.0, 0.0, 0.05);
        assert_eq!(d.mean(), 0.05);
        assert!(close(d.upper_tail(1), 1.0 - (-0.05f64).exp(), 1e-12));
    }
}
