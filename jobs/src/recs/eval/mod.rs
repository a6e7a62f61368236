//! `cohort eval recs`: how good cohort's recommendations are on a public ratings file, next to the
//! popularity baseline, under the protocols of `../shared/data/README.md` so that figures compare
//! with published ones.
//!
//! The ratings are replayed as interaction facts ([`interactions`]) through the same dataflow the
//! job runs, in batch for [`split`] and step by step for [`prequential`]. The report
//! ([`EvalReport`]) serialises to one JSON object; metrics a protocol does not measure (prequential
//! measures only `hr@10`) are `null`, so every report has the same keys.

pub mod interactions;
pub mod metrics;
pub mod popularity;
pub mod prequential;
pub mod ratings;
pub mod split;
pub mod table;

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::RecsConfig;
use metrics::{COVERAGE_AT, RECALL_AT};
use ratings::{RatingsError, read_ratings};

/// Which protocol to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Per-user random 80/20 split, full ranking, mean over seeds.
    Split,
    /// Time-ordered replay, recommend-then-update over the second half.
    Prequential,
}

/// What to evaluate, and how.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The protocol.
    pub protocol: Protocol,
    /// Split: how many seeds (0, 1, ...) to average over.
    pub seeds: u32,
    /// Prequential: step of the second half, seconds of event time (0: one event per step).
    pub step_seconds: u64,
    /// The model's settings (`top_k` and `exclude_viewed` are adjusted, see [`model_config`]).
    pub config: RecsConfig,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            protocol: Protocol::Split,
            seeds: 3,
            step_seconds: prequential::DEFAULT_STEP_SECONDS,
            config: RecsConfig::default(),
        }
    }
}

/// One model's figures. `None` (JSON `null`): not measured by the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    /// Mean Recall@20.
    #[serde(rename = "recall@20")]
    pub recall_at_20: Option<f64>,
    /// Mean NDCG@10, binary relevance.
    #[serde(rename = "ndcg@10")]
    pub ndcg_at_10: Option<f64>,
    /// Split: share of users with a held-out item in their top 10. Prequential: share of events
    /// whose item was in the user's top 10.
    #[serde(rename = "hr@10")]
    pub hr_at_10: f64,
    /// Distinct items in all users' top 20 over the items of the training data.
    pub coverage: Option<f64>,
}

impl Scores {
    /// Figures of a protocol that measures only the hit rate.
    pub fn hit_rate(hr_at_10: f64) -> Self {
        Scores {
            recall_at_20: None,
            ndcg_at_10: None,
            hr_at_10,
            coverage: None,
        }
    }

    /// The mean of each figure over `runs` (a figure is measured when every run measured it).
    fn mean(runs: &[Scores]) -> Scores {
        let n = runs.len().max(1) as f64;
        let mean = |get: fn(&Scores) -> Option<f64>| {
            runs.iter().map(get).sum::<Option<f64>>().map(|sum| sum / n)
        };
        Scores {
            recall_at_20: mean(|s| s.recall_at_20),
            ndcg_at_10: mean(|s| s.ndcg_at_10),
            hr_at_10: runs.iter().map(|s| s.hr_at_10).sum::<f64>() / n,
            coverage: mean(|s| s.coverage),
        }
    }
}

/// What one protocol run measured for both models.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// cohort's figures.
    pub cohort: Scores,
    /// The popularity baseline's figures.
    pub popularity: Scores,
    /// Users (split) or events (prequential) scored.
    pub evaluated: usize,
}

/// The result of `cohort eval recs`; `--json` prints it as one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// The protocol run.
    pub protocol: Protocol,
    /// cohort's figures, at the top level of the object.
    #[serde(flatten)]
    pub cohort: Scores,
    /// The popularity baseline's figures, same keys.
    pub baseline_popularity: Scores,
    /// Split: seeds averaged over. Prequential: `null`.
    pub seeds: Option<u32>,
    /// Prequential: step of the second half in seconds (0: per event). Split: `null`.
    pub step_seconds: Option<u64>,
    /// Distinct users in the file.
    pub users: usize,
    /// Distinct items in the file.
    pub items: usize,
    /// Ratings in the file.
    pub interactions: usize,
    /// Split: users scored (those with held-out items). Prequential: events scored.
    pub evaluated: usize,
    /// Wall time of the whole evaluation, reading included.
    pub seconds: f64,
}

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The ratings file could not be read.
    #[error(transparent)]
    Ratings(#[from] RatingsError),
    /// A model setting cannot work.
    #[error("invalid config key `{key}`: {message}")]
    Config {
        /// Dotted key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The split protocol was asked for no seeds.
    #[error("--seeds must be at least 1")]
    NoSeeds,
}

/// The settings the model is evaluated with: `config`, with lists long enough for Recall@20 and
/// coverage, and seen items excluded (the protocol ranks unseen items only).
pub fn model_config(config: &RecsConfig) -> RecsConfig {
    RecsConfig {
        enabled: true,
        top_k: config.top_k.max(RECALL_AT).max(COVERAGE_AT),
        exclude_viewed: true,
        ..config.clone()
    }
}

/// Reads the ratings at `path` and evaluates cohort and popularity on them.
pub fn evaluate(path: &Path, options: &EvalOptions) -> Result<EvalReport, EvalError> {
    let started = Instant::now();
    if let Some((key, message)) = options.config.invalid() {
        return Err(EvalError::Config {
            key: key.to_string(),
            message: message.to_string(),
        });
    }
    if options.protocol == Protocol::Split && options.seeds == 0 {
        return Err(EvalError::NoSeeds);
    }
    let ratings = read_ratings(path)?;
    let config = model_config(&options.config);
    let (outcome, seeds, step_seconds) = match options.protocol {
        Protocol::Split => {
            let runs: Vec<Outcome> = (0..options.seeds)
                .map(|seed| split::evaluate_seed(&ratings, &config, u64::from(seed)))
                .collect();
            let of = |get: fn(&Outcome) -> Scores| {
                Scores::mean(&runs.iter().map(get).collect::<Vec<_>>())
            };
            let outcome = Outcome {
                cohort: of(|o| o.cohort),
                popularity: of(|o| o.popularity),
                evaluated: runs.first().map_or(0, |o| o.evaluated),
            };
            (outcome, Some(options.seeds), None)
        }
        Protocol::Prequential => {
            let outcome = prequential::evaluate(&ratings, &config, options.step_seconds);
            (outcome, None, Some(options.step_seconds))
        }
    };
    let distinct =
        |get: fn(&ratings::Rating) -> &str| ratings.iter().map(get).collect::<HashSet<_>>().len();
    Ok(EvalReport {
        protocol: options.protocol,
        cohort: outcome.cohort,
        baseline_popularity: outcome.popularity,
        seeds,
        step_seconds,
        users: distinct(|r| &r.user),
        items: distinct(|r| &r.item),
        interactions: ratings.len(),
        evaluated: outcome.evaluated,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_has_the_issue_keys_and_nulls_for_unmeasured_figures() {
        let report = EvalReport {
            protocol: Protocol::Prequential,
            cohort: Scores::hit_rate(0.2),
            baseline_popularity: Scores::hit_rate(0.1),
            seeds: None,
            step_seconds: Some(3600),
            users: 1,
            items: 2,
            interactions: 3,
            evaluated: 1,
            seconds: 0.5,
        };
        let json = serde_json::to_value(&report).unwrap();
        for key in ["recall@20", "ndcg@10", "hr@10", "coverage"] {
            assert!(json.get(key).is_some(), "{key}");
            assert!(json["baseline_popularity"].get(key).is_some(), "{key}");
        }
        assert_eq!(json["protocol"], "prequential");
        assert_eq!(json["hr@10"], 0.2);
        assert!(json["recall@20"].is_null());
    }

    #[test]
    fn mean_over_seeds() {
        let a = Scores {
            recall_at_20: Some(0.2),
            ndcg_at_10: Some(0.4),
            hr_at_10: 0.5,
            coverage: Some(0.1),
        };
        let b = Scores {
            recall_at_20: Some(0.4),
            ..a
        };
        let m = Scores::mean(&[a, b]);
        assert!((m.recall_at_20.unwrap() - 0.3).abs() < 1e-12);
        assert_eq!(m.hr_at_10, 0.5);
    }
}
