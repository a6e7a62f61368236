//! The moderation classifier: a linear model over hashed character and word n-grams of normalised
//! text ([`features`]), fitted as a linear SVM ([`train`]), with a decision threshold chosen on
//! held-out scores ([`threshold`]) and saved in a versioned file ([`file`]).
//!
//! [`fit`] is what both `cohort train moderation` and `cohort eval moderation` call: it picks the
//! threshold by inner cross-validation on the training examples alone, then fits the final model on
//! all of them, so an evaluation never lets the test fold choose anything.

mod counter;
pub mod features;
pub mod file;
pub mod threshold;
pub mod train;

use serde::{Deserialize, Serialize};

use crate::moderation::folds;
use features::{Feature, FeatureConfig};
use threshold::ThresholdPolicy;
use train::{LinearModel, TrainOptions};

/// Everything about a model except its weights: stored as the model file's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelHeader {
    /// How texts become vectors (must match at scoring time).
    pub features: FeatureConfig,
    /// The solver's settings it was fitted with.
    pub train: TrainOptions,
    /// How the threshold was chosen.
    pub policy: ThresholdPolicy,
    /// Messages with a margin strictly above this are flagged.
    pub threshold: f32,
    /// The intercept.
    pub bias: f32,
    /// Training examples.
    pub examples: usize,
    /// Positive training examples.
    pub positives: usize,
}

/// A fitted model, ready to score messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    header: ModelHeader,
    weights: Vec<f32>,
}

impl Classifier {
    /// The margin of a raw message (normalised here): higher is more likely positive.
    pub fn margin(&self, text: &str) -> f32 {
        self.margin_of(&self.header.features.vectorize(text))
    }

    /// The margin of an already normalised message, with reusable buffers: the moderation path
    /// normalises once for PII detection and scoring, and allocates nothing per message here.
    pub fn margin_normalized(&self, norm: &str, scratch: &mut features::Scratch) -> f32 {
        let (dot, squares) = self
            .header
            .features
            .weighted_sum(norm, scratch, &self.weights);
        // the same as `margin_of` the unit-length vector, up to the order of float additions
        if squares > 0.0 {
            dot / squares.sqrt() + self.header.bias
        } else {
            self.header.bias
        }
    }

    /// The margin of an already vectorised message.
    pub fn margin_of(&self, x: &[Feature]) -> f32 {
        x.iter()
            .map(|&(i, v)| self.weights.get(i as usize).copied().unwrap_or(0.0) * v)
            .sum::<f32>()
            + self.header.bias
    }

    /// Whether a message is flagged: margin above the model's threshold.
    pub fn flags(&self, text: &str) -> bool {
        self.margin(text) > self.header.threshold
    }

    /// The model's settings, threshold and training summary.
    pub fn header(&self) -> &ModelHeader {
        &self.header
    }

    /// Weights that are not zero (the model file's size is proportional to them).
    pub fn nonzero_weights(&self) -> usize {
        self.weights.iter().filter(|w| **w != 0.0).count()
    }
}

/// How to fit a classifier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    /// Feature extraction.
    pub features: FeatureConfig,
    /// The solver.
    pub train: TrainOptions,
    /// How the threshold is chosen.
    pub policy: ThresholdPolicy,
    /// Folds of the inner cross-validation that produces held-out scores for the threshold.
    pub inner_folds: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            features: FeatureConfig::default(),
            train: TrainOptions::default(),
            policy: ThresholdPolicy::MaxAccuracy,
            inner_folds: 3,
        }
    }
}

/// Fits a classifier on labelled texts.
pub fn fit_texts<'a>(
    examples: impl IntoIterator<Item = (&'a str, bool)>,
    options: &FitOptions,
) -> Classifier {
    let vectors: Vec<(Vec<Feature>, bool)> = examples
        .into_iter()
        .map(|(text, y)| (options.features.vectorize(text), y))
        .collect();
    let borrowed: Vec<(&[Feature], bool)> =
        vectors.iter().map(|(x, y)| (x.as_slice(), *y)).collect();
    fit(&borrowed, options)
}

/// Fits a classifier on vectors made with `options.features`: threshold from inner
/// cross-validation (unless the policy is [`ThresholdPolicy::Zero`]), weights from all examples.
pub fn fit(examples: &[(&[Feature], bool)], options: &FitOptions) -> Classifier {
    let dimension = options.features.dimension();
    let threshold = match options.policy {
        ThresholdPolicy::Zero => 0.0,
        policy => {
            let scored = held_out_scores(examples, options);
            threshold::choose(policy, &scored)
        }
    };
    let LinearModel { weights, bias } = train::fit(examples, dimension, &options.train);
    Classifier {
        header: ModelHeader {
            features: options.features,
            train: options.train,
            policy: options.policy,
            threshold,
            bias,
            examples: examples.len(),
            positives: examples.iter().filter(|e| e.1).count(),
        },
        weights,
    }
}

/// Margins of every example from a model that did not see it (inner stratified k-fold).
fn held_out_scores(examples: &[(&[Feature], bool)], options: &FitOptions) -> Vec<(f32, bool)> {
    let k = options.inner_folds.max(2);
    let labels: Vec<bool> = examples.iter().map(|e| e.1).collect();
    let fold = folds::stratified(&labels, k, options.train.seed ^ 0x5eed);
    let mut scored = Vec::with_capacity(examples.len());
    for f in 0..k {
        let train: Vec<(&[Feature], bool)> = (0..examples.len())
            .filter(|&i| fold[i] != f)
            .map(|i| examples[i])
            .collect();
        let model = train::fit(&train, options.features.dimension(), &options.train);
        scored.extend(
            (0..examples.len())
                .filter(|&i| fold[i] == f)
                .map(|i| (model.margin(examples[i].0), examples[i].1)),
        );
    }
    scored
}

#[cfg(test)]
mod tests;
