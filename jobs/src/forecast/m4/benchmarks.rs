//! The M4 benchmarks cohort is compared with, as the competition's R code defines them
//! (`M4-methods/Benchmarks and Evaluation.R`): seasonal naive (the last cycle, repeated) and
//! Naive2 (naive on the series seasonally adjusted by classical multiplicative decomposition, when a
//! 90% autocorrelation test at the seasonal lag says the series is seasonal).

/// The t quantile of the 90% two-sided test (`tcrit` in M4's `SeasonalityTest`).
const TCRIT: f64 = 1.645;

/// Seasonal naive: the last `m` values, repeated over the horizon.
pub fn seasonal_naive(insample: &[f64], m: usize, horizon: usize) -> Vec<f64> {
    if insample.is_empty() {
        return vec![f64::NAN; horizon];
    }
    let m = m.clamp(1, insample.len());
    let last = &insample[insample.len() - m..];
    (0..horizon).map(|h| last[h % m]).collect()
}

/// Sample autocorrelations at lags 1..=max_lag as R's `acf` computes them (overall mean,
/// denominator n at every lag).
pub fn acf(x: &[f64], max_lag: usize) -> Vec<f64> {
    let n = x.len();
    let mean = x.iter().sum::<f64>() / n.max(1) as f64;
    let c0: f64 = x.iter().map(|v| (v - mean).powi(2)).sum();
    (1..=max_lag)
        .map(|k| {
            if k >= n || c0 == 0.0 {
                return 0.0;
            }
            let ck: f64 = (0..n - k).map(|t| (x[t] - mean) * (x[t + k] - mean)).sum();
            ck / c0
        })
        .collect()
}

/// M4's `SeasonalityTest`: seasonal when the series has at least three cycles and
/// `|acf_m| > 1.645·sqrt((1 + 2·Σ_{k<m} acf_k²) / n)`. Like the R code, which calls `acf` with its
/// default `lag.max = floor(10·log10(n))` and treats the missing lag as "not seasonal", a series
/// too short for lag m in that default (under 252 values for m = 24) is not seasonal.
pub fn is_seasonal(x: &[f64], m: usize) -> bool {
    let n = x.len();
    if m < 2 || n < 3 * m {
        return false;
    }
    let r_lag_max = ((10.0 * (n as f64).log10()).floor() as usize).min(n - 1);
    if r_lag_max < m {
        return false;
    }
    let r = acf(x, m);
    let sum_sq: f64 = r[..m - 1].iter().map(|v| v * v).sum();
    let limit = TCRIT / (x.len() as f64).sqrt() * (1.0 + 2.0 * sum_sq).sqrt();
    r[m - 1].abs() > limit
}

/// Seasonal indices of R's `decompose(type = "multiplicative")`: a centred moving average of
/// order m (weights ½, 1, …, 1, ½ over m + 1 points for even m) as the trend, per-slot means of
/// x / trend (slots counted from the first observation), normalised to mean 1. `None` when the
/// series is too short or an index is not finite (e.g. a zero trend).
pub fn multiplicative_indices(x: &[f64], m: usize) -> Option<Vec<f64>> {
    let n = x.len();
    if m < 2 || n < 2 * m {
        return None;
    }
    let weights: Vec<f64> = if m.is_multiple_of(2) {
        let mut w = vec![1.0 / m as f64; m + 1];
        w[0] = 0.5 / m as f64;
        w[m] = 0.5 / m as f64;
        w
    } else {
        vec![1.0 / m as f64; m]
    };
    let half = weights.len() / 2;
    let mut sums = vec![0.0; m];
    let mut counts = vec![0usize; m];
    for i in half..n.saturating_sub(weights.len() - 1 - half) {
        let trend: f64 = weights
            .iter()
            .enumerate()
            .map(|(j, w)| w * x[i + j - half])
            .sum();
        let ratio = x[i] / trend;
        if !ratio.is_nan() {
            sums[i % m] += ratio;
            counts[i % m] += 1;
        }
    }
    let figure: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, c)| s / *c as f64)
        .collect();
    let mean = figure.iter().sum::<f64>() / m as f64;
    let indices: Vec<f64> = figure.iter().map(|f| f / mean).collect();
    indices
        .iter()
        .all(|v| v.is_finite() && *v != 0.0)
        .then_some(indices)
}

/// Naive2: the last seasonally adjusted value times the seasonal index of each hour ahead, or
/// plain naive when the series is not seasonal at lag `m`.
pub fn naive2(insample: &[f64], m: usize, horizon: usize) -> Vec<f64> {
    let Some(&last) = insample.last() else {
        return vec![f64::NAN; horizon];
    };
    let n = insample.len();
    let indices = is_seasonal(insample, m)
        .then(|| multiplicative_indices(insample, m))
        .flatten();
    match indices {
        Some(si) => {
            let adjusted = last / si[(n - 1) % m];
            (0..horizon).map(|h| adjusted * si[(n + h) % m]).collect()
        }
        None => vec![last; horizon],
    }
}
