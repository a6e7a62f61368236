//! The M4 competition's accuracy measures, exactly as its published R code computes them:
//! sMAPE = mean of 200·|y − f| / (|y| + |f|); MASE = mean |y − f| divided by the in-sample mean
//! absolute seasonal difference (lag 24 for hourly data); OWA = the mean of a method's sMAPE and
//! MASE, each divided by Naive2's, over the whole set.

/// Symmetric mean absolute percentage error, in percent. Terms with `|y| + |f| = 0` count 0.
pub fn smape(actual: &[f64], forecast: &[f64]) -> f64 {
    let n = actual.len().min(forecast.len());
    if n == 0 {
        return f64::NAN;
    }
    let sum: f64 = actual
        .iter()
        .zip(forecast)
        .map(|(y, f)| {
            let d = y.abs() + f.abs();
            if d > 0.0 {
                200.0 * (y - f).abs() / d
            } else {
                0.0
            }
        })
        .sum();
    sum / n as f64
}

/// The MASE denominator: mean |x_t − x_{t−m}| over the in-sample part; `None` when the history
/// is not longer than `m` or the scale is 0 (a flat series, where MASE is undefined).
pub fn mase_scale(insample: &[f64], m: usize) -> Option<f64> {
    if m == 0 || insample.len() <= m {
        return None;
    }
    let diffs = insample.len() - m;
    let sum: f64 = insample.windows(m + 1).map(|w| (w[m] - w[0]).abs()).sum();
    let scale = sum / diffs as f64;
    (scale > 0.0).then_some(scale)
}

/// Mean absolute scaled error for a given scale (see [`mase_scale`]).
pub fn mase(actual: &[f64], forecast: &[f64], scale: f64) -> f64 {
    let n = actual.len().min(forecast.len());
    if n == 0 {
        return f64::NAN;
    }
    let mae: f64 = actual
        .iter()
        .zip(forecast)
        .map(|(y, f)| (y - f).abs())
        .sum::<f64>()
        / n as f64;
    mae / scale
}

/// Overall weighted average: `(sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2`, from set means.
pub fn owa(smape: f64, mase: f64, naive2_smape: f64, naive2_mase: f64) -> f64 {
    0.5 * (smape / naive2_smape + mase / naive2_mase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_values() {
        // |10-8|=2 → 200·2/18 = 22.2222; |0-0| counts 0; |5-10|=5 → 200·5/15 = 66.6667.
        let s = smape(&[10.0, 0.0, 5.0], &[8.0, 0.0, 10.0]);
        assert!((s - (400.0 / 18.0 + 1000.0 / 15.0) / 3.0).abs() < 1e-12);
        // Lag-2 differences of 1,2,4,8: |4-1|=3, |8-2|=6 → scale 4.5.
        assert_eq!(mase_scale(&[1.0, 2.0, 4.0, 8.0], 2), Some(4.5));
        assert_eq!(mase_scale(&[1.0, 1.0, 1.0], 1), None);
        assert_eq!(mase_scale(&[1.0, 2.0], 2), None);
        assert!((mase(&[1.0, 2.0], &[2.0, 4.0], 1.5) - 1.0).abs() < 1e-12);
        assert!((owa(10.0, 1.0, 20.0, 2.0) - 0.5).abs() < 1e-12);
    }
}
