//! `cohort eval moderation`: how well the classifier separates spam or abuse from ordinary messages
//! on a public labelled file, either by stratified k-fold cross-validation on one file or by
//! training on one file and scoring another.
//!
//! Every fold fits exactly what `cohort train moderation` would fit on its training part, threshold
//! included ([`crate::moderation::classifier::fit`] chooses it by inner cross-validation on that
//! part), so the test part influences nothing. Figures are pooled over folds (one confusion matrix
//! over all held-out messages). This measures the classifier alone; the lexicon rules of the
//! moderation job will be evaluated with it once they exist.

pub mod metrics;
pub mod table;

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use super::classifier::features::Feature;
use super::classifier::threshold::ThresholdPolicy;
use super::classifier::{self, FitOptions};
use super::data::{self, DataError, DataFormat, LabelledText};
use super::folds;
use metrics::Confusion;

/// Where the examples come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Protocol {
    /// Stratified k-fold cross-validation on one file.
    CrossValidation {
        /// The file.
        data: PathBuf,
        /// Number of folds (at least 2).
        folds: usize,
        /// Seed of the fold assignment.
        seed: u64,
    },
    /// Fit on one file, score another.
    TrainTest {
        /// The training file.
        train: PathBuf,
        /// The test file.
        test: PathBuf,
    },
}

/// The result of `cohort eval moderation`; `--json` prints it as one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// What is measured: `classifier` (alone; rules + classifier comes with the lexicon rules).
    pub scope: &'static str,
    /// `cross_validation` or `train_test`.
    pub protocol: &'static str,
    /// The layout of the files.
    pub format: DataFormat,
    /// Cross-validation: folds. Train/test: `null`.
    pub folds: Option<usize>,
    /// Precision of the positive class.
    pub precision: f64,
    /// Recall of the positive class.
    pub recall: f64,
    /// F1 of the positive class.
    pub f1: f64,
    /// Accuracy over all scored messages.
    pub accuracy: f64,
    /// Share of negative messages flagged.
    pub negatives_flagged: f64,
    /// The pooled counts behind the figures.
    pub confusion: Confusion,
    /// F1 of each fold (one value for train/test).
    pub fold_f1: Vec<f64>,
    /// The threshold of each fold's model.
    pub thresholds: Vec<f32>,
    /// How thresholds were chosen.
    pub policy: ThresholdPolicy,
    /// Messages scored.
    pub scored: usize,
    /// Positive messages scored.
    pub positives: usize,
    /// Wall time, reading included.
    pub seconds: f64,
}

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A data file could not be read.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Cross-validation needs two folds or more.
    #[error("--folds must be at least 2, not {0}")]
    Folds(usize),
    /// Fewer examples of a class than folds: some fold could not be trained or scored.
    #[error("{path}: {count} {class} examples, fewer than the {folds} folds")]
    TooFew {
        /// The file.
        path: PathBuf,
        /// `positive` or `negative`.
        class: &'static str,
        /// How many there are.
        count: usize,
        /// How many folds were asked for.
        folds: usize,
    },
    /// The feature settings cannot work.
    #[error("invalid feature settings: {0}")]
    Features(String),
    /// Neither one file nor a train/test pair was given.
    #[error("give either --data FILE (cross-validation) or --train FILE --test FILE")]
    Usage,
}

/// Runs the evaluation.
pub fn evaluate(
    protocol: &Protocol,
    format: DataFormat,
    options: &FitOptions,
) -> Result<EvalReport, EvalError> {
    let started = Instant::now();
    if let Some(message) = options.features.invalid() {
        return Err(EvalError::Features(message));
    }
    let (folds, runs) = match protocol {
        Protocol::CrossValidation { data, folds, seed } => {
            if *folds < 2 {
                return Err(EvalError::Folds(*folds));
            }
            let examples = data::read(data, format)?;
            check_classes(data, &examples, *folds)?;
            (
                Some(*folds),
                cross_validate(&examples, *folds, *seed, options),
            )
        }
        Protocol::TrainTest { train, test } => {
            let train_set = data::read(train, format)?;
            check_classes(train, &train_set, 2)?;
            let test_set = data::read(test, format)?;
            (None, vec![train_test(&train_set, &test_set, options)])
        }
    };
    let mut pooled = Confusion::default();
    for (c, _) in &runs {
        pooled.merge(c);
    }
    Ok(EvalReport {
        scope: "classifier",
        protocol: if folds.is_some() {
            "cross_validation"
        } else {
            "train_test"
        },
        format,
        folds,
        precision: pooled.precision(),
        recall: pooled.recall(),
        f1: pooled.f1(),
        accuracy: pooled.accuracy(),
        negatives_flagged: pooled.negatives_flagged(),
        confusion: pooled,
        fold_f1: runs.iter().map(|(c, _)| c.f1()).collect(),
        thresholds: runs.iter().map(|(_, t)| *t).collect(),
        policy: options.policy,
        scored: pooled.total(),
        positives: pooled.true_positives + pooled.false_negatives,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn check_classes(
    path: &std::path::Path,
    examples: &[LabelledText],
    folds: usize,
) -> Result<(), EvalError> {
    let positives = examples.iter().filter(|e| e.positive).count();
    for (class, count) in [
        ("positive", positives),
        ("negative", examples.len() - positives),
    ] {
        if count < folds {
            return Err(EvalError::TooFew {
                path: path.to_path_buf(),
                class,
                count,
                folds,
            });
        }
    }
    Ok(())
}

fn vectorize(examples: &[LabelledText], options: &FitOptions) -> Vec<(Vec<Feature>, bool)> {
    examples
        .iter()
        .map(|e| (options.features.vectorize(&e.text), e.positive))
        .collect()
}

/// Each fold's confusion matrix and threshold.
pub fn cross_validate(
    examples: &[LabelledText],
    k: usize,
    seed: u64,
    options: &FitOptions,
) -> Vec<(Confusion, f32)> {
    let vectors = vectorize(examples, options);
    let labels: Vec<bool> = examples.iter().map(|e| e.positive).collect();
    let fold = folds::stratified(&labels, k, seed);
    (0..k)
        .map(|f| {
            let train: Vec<(&[Feature], bool)> = (0..vectors.len())
                .filter(|&i| fold[i] != f)
                .map(|i| (vectors[i].0.as_slice(), vectors[i].1))
                .collect();
            let model = classifier::fit(&train, options);
            let mut confusion = Confusion::default();
            for i in (0..vectors.len()).filter(|&i| fold[i] == f) {
                let margin = model.margin_of(&vectors[i].0);
                confusion.add(margin > model.header().threshold, vectors[i].1);
            }
            (confusion, model.header().threshold)
        })
        .collect()
}

/// The confusion matrix and threshold of a model fitted on `train` and scored on `test`.
pub fn train_test(
    train: &[LabelledText],
    test: &[LabelledText],
    options: &FitOptions,
) -> (Confusion, f32) {
    let model = classifier::fit_texts(train.iter().map(|e| (e.text.as_str(), e.positive)), options);
    let mut confusion = Confusion::default();
    for e in test {
        confusion.add(model.flags(&e.text), e.positive);
    }
    (confusion, model.header().threshold)
}

#[cfg(test)]
mod tests;
