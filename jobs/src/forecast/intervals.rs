//! A forecast as the job stores it: per hour ahead the expected value and the 80% and 95%
//! prediction intervals, in the series' units.

use super::transform::Transform;

/// Standard normal quantile for a central 80% interval.
pub const Z80: f64 = 1.281_551_565_544_600_4;
/// Standard normal quantile for a central 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Forecasts for hours 1..=horizon after the last closed hour (index 0 is one hour ahead).
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Expected value (the median on a log scale).
    pub yhat: Vec<f64>,
    /// Lower bound of the 80% interval.
    pub lo80: Vec<f64>,
    /// Upper bound of the 80% interval.
    pub hi80: Vec<f64>,
    /// Lower bound of the 95% interval.
    pub lo95: Vec<f64>,
    /// Upper bound of the 95% interval.
    pub hi95: Vec<f64>,
    /// The methods behind it, e.g. `hw_weekly+snaive_week`.
    pub model: String,
}

impl Forecast {
    /// Builds the forecast from means and error standard deviations on the modelling scale:
    /// bounds are `mean ± z·sd` there, mapped back through `transform` (monotone, so quantiles
    /// stay quantiles).
    pub fn from_scale(mean: &[f64], sd: &[f64], transform: Transform, model: String) -> Self {
        let map = |z: f64| -> Vec<f64> {
            mean.iter()
                .zip(sd)
                .map(|(m, s)| transform.inverse(m + z * s))
                .collect()
        };
        Forecast {
            yhat: map(0.0),
            lo80: map(-Z80),
            hi80: map(Z80),
            lo95: map(-Z95),
            hi95: map(Z95),
            model,
        }
    }

    /// The mean of several forecasts of the same horizon, bound by bound (quantile averaging keeps
    /// the bounds ordered). An empty slice gives an empty forecast.
    pub fn average(parts: &[Forecast], model: String) -> Self {
        let horizon = parts.iter().map(Forecast::horizon).min().unwrap_or(0);
        let n = parts.len().max(1) as f64;
        let mean = |get: fn(&Forecast) -> &Vec<f64>| -> Vec<f64> {
            (0..horizon)
                .map(|h| parts.iter().map(|p| get(p)[h]).sum::<f64>() / n)
                .collect()
        };
        Forecast {
            yhat: mean(|f| &f.yhat),
            lo80: mean(|f| &f.lo80),
            hi80: mean(|f| &f.hi80),
            lo95: mean(|f| &f.lo95),
            hi95: mean(|f| &f.hi95),
            model,
        }
    }

    /// Hours forecast.
    pub fn horizon(&self) -> usize {
        self.yhat.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_nested_around_the_point() {
        let f = Forecast::from_scale(
            &[1.0, 2.0],
            &[0.5, 1.0],
            Transform::Identity,
            "x".to_string(),
        );
        assert_eq!(f.horizon(), 2);
        for h in 0..2 {
            assert!(f.lo95[h] < f.lo80[h] && f.lo80[h] < f.yhat[h]);
            assert!(f.yhat[h] < f.hi80[h] && f.hi80[h] < f.hi95[h]);
        }
        assert!((f.hi95[0] - (1.0 + 0.5 * Z95)).abs() < 1e-12);
    }
}
