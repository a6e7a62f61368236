//! Fitting the linear model: an L2-regularised, squared-hinge-loss linear SVM solved by dual
//! coordinate descent (Hsieh et al. 2008, LIBLINEAR's default solver).
//!
//! Chosen over SGD logistic regression because it has no learning rate to tune, converges in a few
//! passes on sparse text vectors, and is deterministic for a seed (the only randomness is the order
//! in which examples are visited). The score it gives is the margin `w·x + b`: 0 is the boundary,
//! and a threshold on it trades precision for recall.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::features::Feature;

/// The solver's settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Inverse regularisation strength: larger fits the training data more closely.
    pub c: f64,
    /// Extra cost factor of errors on positive examples (1: none); above 1 helps a rare class.
    pub positive_weight: f64,
    /// Upper bound on passes over the data.
    pub max_epochs: u32,
    /// Stop when the projected gradient's spread falls below this.
    pub tolerance: f64,
    /// Seed of the visiting order.
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            c: 0.5,
            positive_weight: 1.0,
            max_epochs: 50,
            tolerance: 0.01,
            seed: 7,
        }
    }
}

/// Weights (dense, one per hash bucket) and bias of a fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    /// One weight per bucket.
    pub weights: Vec<f32>,
    /// The intercept.
    pub bias: f32,
}

impl LinearModel {
    /// The margin of a feature vector: `w·x + b`.
    pub fn margin(&self, x: &[Feature]) -> f32 {
        x.iter()
            .map(|&(i, v)| self.weights.get(i as usize).copied().unwrap_or(0.0) * v)
            .sum::<f32>()
            + self.bias
    }
}

/// The bias is learned as the weight of a constant feature of this value (regularised like the
/// others, as LIBLINEAR does).
const BIAS_FEATURE: f64 = 1.0;

/// Fits the model on `examples` (feature vectors with their labels) in a space of `dimension`
/// buckets. An empty set gives the zero model.
pub fn fit(
    examples: &[(&[Feature], bool)],
    dimension: usize,
    options: &TrainOptions,
) -> LinearModel {
    let mut w = vec![0f64; dimension];
    let mut b = 0f64;
    let n = examples.len();
    let mut alpha = vec![0f64; n];
    // diagonal of the dual's Hessian: |x|² + 1/(2C) per example (C per class)
    let cost = |positive: bool| {
        if positive {
            options.c * options.positive_weight
        } else {
            options.c
        }
    };
    let qd: Vec<f64> = examples
        .iter()
        .map(|(x, y)| {
            let sq: f64 = x.iter().map(|&(_, v)| f64::from(v) * f64::from(v)).sum();
            sq + BIAS_FEATURE * BIAS_FEATURE + 0.5 / cost(*y)
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    for _ in 0..options.max_epochs {
        order.shuffle(&mut rng);
        let (mut pg_max, mut pg_min) = (f64::NEG_INFINITY, f64::INFINITY);
        for &i in &order {
            let (x, positive) = examples[i];
            let y = if positive { 1.0 } else { -1.0 };
            let d = 0.5 / cost(positive);
            let wx: f64 = x
                .iter()
                .map(|&(j, v)| w[j as usize] * f64::from(v))
                .sum::<f64>()
                + b * BIAS_FEATURE;
            let g = y * wx - 1.0 + d * alpha[i];
            let pg = if alpha[i] == 0.0 { g.min(0.0) } else { g };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0);
                let step = (alpha[i] - old) * y;
                for &(j, v) in x {
                    w[j as usize] += step * f64::from(v);
                }
                b += step * BIAS_FEATURE;
            }
        }
        if pg_max - pg_min < options.tolerance {
            break;
        }
    }
    LinearModel {
        weights: w.into_iter().map(|v| v as f32).collect(),
        bias: (b * BIAS_FEATURE) as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_a_separable_set() {
        let pos: Vec<Vec<Feature>> = (0..20).map(|i| vec![(0, 1.0), (2 + i % 3, 0.5)]).collect();
        let neg: Vec<Vec<Feature>> = (0..20).map(|i| vec![(1, 1.0), (2 + i % 3, 0.5)]).collect();
        let examples: Vec<(&[Feature], bool)> = pos
            .iter()
            .map(|x| (x.as_slice(), true))
            .chain(neg.iter().map(|x| (x.as_slice(), false)))
            .collect();
        let model = fit(&examples, 8, &TrainOptions::default());
        assert!(examples.iter().all(|(x, y)| (model.margin(x) > 0.0) == *y));
        assert!(model.weights[0] > 0.0 && model.weights[1] < 0.0);
    }

    #[test]
    fn same_seed_same_model_and_empty_set_is_zero() {
        let x: Vec<Feature> = vec![(3, 1.0)];
        let examples = [(x.as_slice(), true), (x.as_slice(), false)];
        let a = fit(&examples, 4, &TrainOptions::default());
        assert_eq!(a, fit(&examples, 4, &TrainOptions::default()));
        let zero = fit(&[], 4, &TrainOptions::default());
        assert_eq!(zero.margin(&x), 0.0);
    }
}
