//! The arguments of `cohort train moderation` and `cohort eval moderation`, and the calls behind
//! them, here rather than in `main.rs` so that the binary only parses and prints and tests drive the
//! same code.

use std::path::{Path, PathBuf};

use super::classifier::features::FeatureConfig;
use super::classifier::threshold::ThresholdPolicy;
use super::classifier::{Classifier, FitOptions};
use super::data::DataFormat;
use super::eval::{self, EvalError, EvalReport, Protocol};
use super::pii::eval::{self as pii_eval, MessageSource, PiiEvalError, RecallReport, ScanReport};
use super::{TrainError, train_file};

/// Model settings shared by training and evaluation.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// Choose the threshold so that at most this share of negatives is flagged (95% upper bound over
    /// held-out training scores), e.g. 0.005. Without it: the threshold of best held-out accuracy.
    #[arg(long, value_name = "SHARE")]
    pub max_negatives_flagged: Option<f64>,
    /// SVM cost C: larger fits the training data more closely.
    #[arg(long, value_name = "C", default_value_t = 0.5)]
    pub cost: f64,
    /// log2 of the number of feature hash buckets.
    #[arg(long, value_name = "N", default_value_t = FeatureConfig::default().bits)]
    pub bits: u8,
}

impl ModelArgs {
    /// The fit options these arguments stand for (everything else at its default).
    pub fn fit_options(&self) -> FitOptions {
        let mut options = FitOptions::default();
        options.features.bits = self.bits;
        options.train.c = self.cost;
        if let Some(share) = self.max_negatives_flagged {
            options.policy = ThresholdPolicy::NegativeBudget(share);
        }
        options
    }
}

/// `cohort train moderation`.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    /// The labelled file.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Its layout.
    #[arg(long, value_enum)]
    pub format: DataFormat,
    /// Where to write the model.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub model: ModelArgs,
}

/// `cohort eval moderation`.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// The layout of the files.
    #[arg(long, value_enum)]
    pub format: DataFormat,
    /// One labelled file: stratified k-fold cross-validation on it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["train", "test"])]
    pub data: Option<PathBuf>,
    /// Cross-validation folds.
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub folds: usize,
    /// Seed of the fold assignment.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Train on this file (with --test).
    #[arg(long, value_name = "FILE", requires = "test")]
    pub train: Option<PathBuf>,
    /// Score this file (with --train).
    #[arg(long, value_name = "FILE", requires = "train")]
    pub test: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub model: ModelArgs,
}

/// Fits and writes the model `args` describe.
pub fn train(args: &TrainArgs) -> Result<Classifier, TrainError> {
    train_file(
        &args.data,
        args.format,
        &args.model.fit_options(),
        &args.out,
    )
}

/// One line about a freshly written model.
pub fn describe(model: &Classifier, out: &Path) -> String {
    let h = model.header();
    format!(
        "wrote {}: {} examples ({} positive), {} non-zero weights of {}, threshold {:.4} ({})",
        out.display(),
        h.examples,
        h.positives,
        model.nonzero_weights(),
        h.features.dimension(),
        h.threshold,
        match h.policy {
            ThresholdPolicy::NegativeBudget(s) => format!("at most {s} of negatives flagged"),
            ThresholdPolicy::MaxAccuracy => "best held-out accuracy".to_string(),
            ThresholdPolicy::Zero => "margin 0".to_string(),
        }
    )
}

/// Runs the evaluation `args` describe.
pub fn evaluate(args: &EvalArgs) -> Result<EvalReport, EvalError> {
    let protocol = match (&args.data, &args.train, &args.test) {
        (Some(data), None, None) => Protocol::CrossValidation {
            data: data.clone(),
            folds: args.folds,
            seed: args.seed,
        },
        (None, Some(train), Some(test)) => Protocol::TrainTest {
            train: train.clone(),
            test: test.clone(),
        },
        _ => return Err(EvalError::Usage),
    };
    eval::evaluate(&protocol, args.format, &args.model.fit_options())
}

/// `cohort eval pii`.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalPiiArgs {
    /// Real messages that should hold no PII: report the share that raises a `pii` alert.
    #[arg(
        long,
        value_name = "FILE",
        requires = "format",
        conflicts_with = "generated"
    )]
    pub data: Option<PathBuf>,
    /// The layout of --data.
    #[arg(long, value_enum)]
    pub format: Option<MessageSource>,
    /// With --data on a labelled file: scan every message, not only the negatives (ham).
    #[arg(long)]
    pub all_labels: bool,
    /// Generate this many messages with planted, checksum-valid PII and report the recall.
    #[arg(long, value_name = "N")]
    pub generated: Option<usize>,
    /// Seed of the generator.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Also list this many alerted messages (--data) or misses (--generated).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub show: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What `cohort eval pii` measured.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum PiiOutcome {
    /// False alerts on real messages.
    Scan(ScanReport),
    /// Recall on generated messages.
    Recall(RecallReport),
}

/// Runs the measurement `args` describe.
pub fn evaluate_pii(args: &EvalPiiArgs) -> Result<PiiOutcome, PiiEvalError> {
    match (&args.data, args.format, args.generated) {
        (Some(path), Some(format), _) => {
            let messages = pii_eval::read_messages(path, format, args.all_labels)?;
            Ok(PiiOutcome::Scan(pii_eval::scan(&messages, args.show)))
        }
        (_, _, n) => Ok(PiiOutcome::Recall(pii_eval::recall(
            n.unwrap_or(10_000),
            args.seed,
            args.show,
        ))),
    }
}

/// The outcome as text.
pub fn render_pii(outcome: &PiiOutcome) -> String {
    let mut out = String::new();
    match outcome {
        PiiOutcome::Scan(s) => {
            out += &format!(
                "{} messages, {} with a pii alert: share {:.4}\nfindings: {:?}\n",
                s.messages, s.alerted, s.alert_share, s.findings
            );
            for e in &s.examples {
                out += &format!("  {e}\n");
            }
        }
        PiiOutcome::Recall(r) => {
            out += &format!(
                "{} generated, {} found: recall {:.4}\n",
                r.generated, r.found, r.recall
            );
            for (kind, (n, found)) in &r.by_kind {
                out += &format!("  {kind:<12} {found}/{n}\n");
            }
            for m in &r.misses {
                out += &format!("  miss: {m}\n");
            }
        }
    }
    out
}
