//! `cohort eval moderation`: how well the classifier separates spam or abuse from ordinary messages
//! on a public labelled file, either by stratified k-fold cross-validation on one file or by
//! training on one file and scoring another.
//!
//! Every fold fits exactly what `cohort train moderation` would fit on its training part, threshold
//! included ([`crate::moderation::classifier::fit`] chooses it by inner cross-validation on that
//! part), so the test part influences nothing. Figures are pooled over folds (one confusion matrix
//! over all held-out messages). The classifier is measured alone and together with the shipped
//! lexicon rules ([`crate::moderation::lexicon`]): a message is flagged by the pair when either
//! flags it, the rules counting only lexicons of the kind the file is labelled for (spam for SMS,
//! abuse for COLD, both for generic CSV).

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
use super::lexicon::{LexiconError, LexiconKind, LexiconSet};
use super::normalize::normalize;
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
    /// What the top-level figures measure: `classifier` (alone).
    pub scope: &'static str,
    /// `cross_validation` or `train_test`.
    pub protocol: &'static str,
    /// The layout of the files.
    pub format: DataFormat,
    /// Cross-validation: folds. Train/test: `null`.
    pub folds: Option<usize>,
    /// The classifier alone, pooled over folds (its keys sit at the top level of the JSON).
    #[serde(flatten)]
    pub classifier: Figures,
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
    /// The same figures for the shipped lexicon rules together with the classifier (a message is
    /// flagged when either flags it).
    pub rules_and_classifier: Figures,
    /// The same figures for the lexicon rules alone, to show what they add.
    pub rules_alone: Figures,
    /// Wall time, reading included.
    pub seconds: f64,
}

/// The figures of one decision rule, from its pooled confusion matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
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
}

impl From<Confusion> for Figures {
    fn from(c: Confusion) -> Self {
        Figures {
            precision: c.precision(),
            recall: c.recall(),
            f1: c.f1(),
            accuracy: c.accuracy(),
            negatives_flagged: c.negatives_flagged(),
            confusion: c,
        }
    }
}

/// What one fold (or the one train/test run) measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FoldResult {
    /// The classifier alone.
    pub classifier: Confusion,
    /// The classifier or the rules.
    pub combined: Confusion,
    /// The rules alone.
    pub rules: Confusion,
    /// The threshold of the fold's model.
    pub threshold: f32,
}

impl FoldResult {
    fn new(threshold: f32) -> Self {
        FoldResult {
            classifier: Confusion::default(),
            combined: Confusion::default(),
            rules: Confusion::default(),
            threshold,
        }
    }

    fn add(&mut self, by_classifier: bool, by_rules: bool, positive: bool) {
        self.classifier.add(by_classifier, positive);
        self.rules.add(by_rules, positive);
        self.combined.add(by_classifier || by_rules, positive);
    }
}

/// Whether the shipped lexicons flag each example, counting the lexicon kinds `format` is
/// labelled for.
pub fn rule_flags(
    examples: &[LabelledText],
    format: DataFormat,
) -> Result<Vec<bool>, LexiconError> {
    let lexicons = LexiconSet::embedded()?;
    let counts = |kind: LexiconKind| match format {
        DataFormat::Sms => kind == LexiconKind::Spam,
        DataFormat::Cold => kind == LexiconKind::Abuse,
        DataFormat::Csv => kind != LexiconKind::Custom,
    };
    Ok(examples
        .iter()
        .map(|e| {
            lexicons
                .find("", &normalize(&e.text))
                .iter()
                .any(|hit| counts(hit.kind))
        })
        .collect())
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
    /// A shipped lexicon did not compile (a defect of the build, not of the input).
    #[error(transparent)]
    Lexicon(#[from] LexiconError),
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
            let rules = rule_flags(&examples, format)?;
            (
                Some(*folds),
                cross_validate(&examples, &rules, *folds, *seed, options),
            )
        }
        Protocol::TrainTest { train, test } => {
            let train_set = data::read(train, format)?;
            check_classes(train, &train_set, 2)?;
            let test_set = data::read(test, format)?;
            let rules = rule_flags(&test_set, format)?;
            (
                None,
                vec![train_test(&train_set, &test_set, &rules, options)],
            )
        }
    };
    let mut total = FoldResult::new(f32::NAN);
    for run in &runs {
        total.classifier.merge(&run.classifier);
        total.combined.merge(&run.combined);
        total.rules.merge(&run.rules);
    }
    let (pooled, combined, rules) = (total.classifier, total.combined, total.rules);
    Ok(EvalReport {
        scope: "classifier",
        protocol: if folds.is_some() {
            "cross_validation"
        } else {
            "train_test"
        },
        format,
        folds,
        classifier: Figures::from(pooled),
        fold_f1: runs.iter().map(|r| r.classifier.f1()).collect(),
        thresholds: runs.iter().map(|r| r.threshold).collect(),
        policy: options.policy,
        scored: pooled.total(),
        positives: pooled.true_positives + pooled.false_negatives,
        rules_and_classifier: Figures::from(combined),
        rules_alone: Figures::from(rules),
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

/// What each fold measured; `rules[i]` says whether the lexicon rules flag example `i`.
pub fn cross_validate(
    examples: &[LabelledText],
    rules: &[bool],
    k: usize,
    seed: u64,
    options: &FitOptions,
) -> Vec<FoldResult> {
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
            let mut result = FoldResult::new(model.header().threshold);
            for i in (0..vectors.len()).filter(|&i| fold[i] == f) {
                let margin = model.margin_of(&vectors[i].0);
                let by_rules = rules.get(i).copied().unwrap_or(false);
                result.add(margin > model.header().threshold, by_rules, vectors[i].1);
            }
            result
        })
        .collect()
}

/// What a model fitted on `train` measures on `test`; `rules[i]` says whether the lexicon rules
/// flag `test[i]`.
pub fn train_test(
    train: &[LabelledText],
    test: &[LabelledText],
    rules: &[bool],
    options: &FitOptions,
) -> FoldResult {
    let model = classifier::fit_texts(train.iter().map(|e| (e.text.as_str(), e.positive)), options);
    let mut result = FoldResult::new(model.header().threshold);
    for (i, e) in test.iter().enumerate() {
        let by_rules = rules.get(i).copied().unwrap_or(false);
        result.add(model.flags(&e.text), by_rules, e.positive);
    }
    result
}

#[cfg(test)]
mod tests;
