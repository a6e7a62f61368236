//! Moderation: finding spam, abuse and leaked personal data in community chat (issue 6).
//!
//! The pieces, each usable on its own:
//! - [`normalize`]: one canonical form of a message (width, case, invisible characters, separator
//!   and homoglyph tricks, digit words) with offsets back to the original, for evidence redaction;
//! - [`classifier`]: the linear spam/abuse model, its training and its versioned model file;
//! - [`lexicon`]: phrase lists of abuse, ads and scams (shipped files with their source and
//!   licence, plus per-community block and allow lists), matched with one Aho-Corasick automaton
//!   over normalised text and reloadable without a restart;
//! - [`data`], [`folds`] and [`eval`]: reading public labelled data and measuring the classifier
//!   (`cohort train moderation`, `cohort eval moderation`, which reports the classifier alone and
//!   together with the lexicon rules);
//! - [`flood`]: flood, copied-text campaign and new-member link-burst rules over chat, on event
//!   time with bounded state;
//! - [`payments`]: refund bursts, card testing, unusual amounts and join-pay-refund over payments;
//! - [`finding`]: what the rules report, one [`finding::ModerationFinding`] per rule firing;
//! - [`job`]: all of it inside `cohort run`, turning findings into de-duplicated alerts.

pub mod classifier;
pub mod cli;
pub mod data;
pub mod eval;
pub mod finding;
pub mod flood;
pub mod folds;
pub mod job;
pub mod lexicon;
pub mod normalize;
pub mod payments;
pub mod pii;
pub mod stable_hash;

use std::path::Path;

use classifier::file::{self, ModelFileError};
use classifier::{Classifier, FitOptions};
use data::{DataError, DataFormat};

/// Why `cohort train moderation` failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The training file could not be read.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The model could not be written.
    #[error(transparent)]
    Model(#[from] ModelFileError),
    /// The file has examples of one class only: nothing to learn.
    #[error("{path}: all {count} examples are {class}; a classifier needs both classes")]
    OneClass {
        /// The file.
        path: std::path::PathBuf,
        /// How many examples.
        count: usize,
        /// `positive` or `negative`.
        class: &'static str,
    },
    /// The feature settings cannot work.
    #[error("invalid feature settings: {0}")]
    Features(String),
}

/// Fits a classifier on the labelled file `data` and writes it to `out`.
pub fn train_file(
    data: &Path,
    format: DataFormat,
    options: &FitOptions,
    out: &Path,
) -> Result<Classifier, TrainError> {
    if let Some(message) = options.features.invalid() {
        return Err(TrainError::Features(message));
    }
    let examples = data::read(data, format)?;
    let positives = examples.iter().filter(|e| e.positive).count();
    if positives == 0 || positives == examples.len() {
        return Err(TrainError::OneClass {
            path: data.to_path_buf(),
            count: examples.len(),
            class: if positives == 0 {
                "negative"
            } else {
                "positive"
            },
        });
    }
    let model = classifier::fit_texts(
        examples.iter().map(|e| (e.text.as_str(), e.positive)),
        options,
    );
    file::save(&model, out)?;
    Ok(model)
}
