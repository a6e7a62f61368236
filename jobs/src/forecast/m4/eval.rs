//! `cohort eval forecast`: cohort's forecaster next to seasonal naive and Naive2 on an M4-format
//! file, scored with the competition's measures so the figures compare with published ones.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde::Serialize;

use super::benchmarks::{naive2, seasonal_naive};
use super::csv::{CsvError, Series, read_series};
use super::metrics::{mase, mase_scale, owa, smape};
use crate::forecast::member::DAY;
use crate::forecast::model::{ForecastConfig, Forecaster};

/// The M4 horizon for hourly data.
pub const HOURLY_HORIZON: usize = 48;

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Without a test file: hold out this many values at the end of each series.
    pub holdout: usize,
    /// An M4 test file: the whole input is history, each series is scored on its row here.
    pub test: Option<PathBuf>,
    /// The forecaster's settings.
    pub config: ForecastConfig,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            holdout: HOURLY_HORIZON,
            test: None,
            config: ForecastConfig::default(),
            threads: 0,
        }
    }
}

/// One method's figures over the whole file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    /// Mean sMAPE over series, percent.
    pub smape: f64,
    /// Mean MASE over series (scale: in-sample lag-24 differences).
    pub mase: f64,
    /// OWA relative to Naive2 (Naive2 itself: 1).
    pub owa: f64,
    /// Mean wall time to fit and forecast one series, milliseconds.
    pub ms_per_series: f64,
}

/// The result of `cohort eval forecast`; `--json` prints it as one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastEvalReport {
    /// cohort's figures, at the top level.
    #[serde(flatten)]
    pub cohort: Scores,
    /// Seasonal naive (the last 24 hours repeated), same keys.
    pub baseline_snaive: Scores,
    /// M4's Naive2, same keys.
    pub baseline_naive2: Scores,
    /// Series scored.
    pub series: usize,
    /// Series left out of the MASE means because their in-sample scale is 0 (flat history).
    pub flat_series: usize,
    /// Values forecast per series.
    pub horizon: usize,
    /// Values held out per series (`null` with a test file).
    pub holdout: Option<usize>,
    /// For each method (with `_log` when fitted on a log scale), how many series' combinations it
    /// was a member of.
    pub members: BTreeMap<String, usize>,
    /// Wall time of the whole evaluation, reading included, seconds.
    pub seconds: f64,
}

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file could not be read.
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// The input has no series.
    #[error("{0} has no series")]
    Empty(PathBuf),
    /// A series is too short for the holdout.
    #[error("series {id} has {len} values: too few to hold out {holdout}")]
    TooShort {
        /// Series id.
        id: String,
        /// Its length.
        len: usize,
        /// The holdout asked for.
        holdout: usize,
    },
    /// The test file lacks a series of the input, or has no values for it.
    #[error("test file {path} has no values for series {id}")]
    MissingTest {
        /// The test file.
        path: PathBuf,
        /// Series id.
        id: String,
    },
    /// A holdout of 0 leaves nothing to score.
    #[error("--holdout must be at least 1")]
    ZeroHoldout,
}

/// One series to score: its history and the values to forecast.
struct Task {
    history: Vec<f64>,
    actual: Vec<f64>,
}

/// Per-series outcome: sMAPE and MASE of each method, times, the model chosen.
struct Outcome {
    errors: [(f64, Option<f64>); 3],
    seconds: [f64; 3],
    model: String,
}

fn tasks(input: &Path, options: &EvalOptions) -> Result<Vec<Task>, EvalError> {
    let series = read_series(input)?;
    if series.is_empty() {
        return Err(EvalError::Empty(input.to_path_buf()));
    }
    match &options.test {
        Some(path) => {
            let test: BTreeMap<String, Vec<f64>> = read_series(path)?
                .into_iter()
                .map(|s| (s.id, s.values))
                .collect();
            series
                .into_iter()
                .map(|Series { id, values }| match test.get(&id) {
                    Some(actual) if !actual.is_empty() && !values.is_empty() => Ok(Task {
                        actual: actual.clone(),
                        history: values,
                    }),
                    _ => Err(EvalError::MissingTest {
                        path: path.clone(),
                        id,
                    }),
                })
                .collect()
        }
        None => {
            let holdout = options.holdout;
            if holdout == 0 {
                return Err(EvalError::ZeroHoldout);
            }
            series
                .into_iter()
                .map(|Series { id, mut values }| {
                    if values.len() <= holdout {
                        return Err(EvalError::TooShort {
                            id,
                            len: values.len(),
                            holdout,
                        });
                    }
                    let actual = values.split_off(values.len() - holdout);
                    Ok(Task {
                        history: values,
                        actual,
                    })
                })
                .collect()
        }
    }
}

fn score(task: &Task, config: &ForecastConfig) -> Outcome {
    let h = task.actual.len();
    let scale = mase_scale(&task.history, DAY);
    let started = Instant::now();
    let (cohort, model) = match Forecaster::fit(&task.history, config) {
        Some(f) => (f.forecast(h).yhat, f.model_name()),
        None => (vec![0.0; h], "none".to_string()),
    };
    let t_cohort = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let snaive = seasonal_naive(&task.history, DAY, h);
    let t_snaive = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let naive2 = naive2(&task.history, DAY, h);
    let t_naive2 = started.elapsed().as_secs_f64();
    let err = |f: &[f64]| {
        // M4 sets negative forecasts to 0 before scoring.
        let f: Vec<f64> = f.iter().map(|v| v.max(0.0)).collect();
        (
            smape(&task.actual, &f),
            scale.map(|s| mase(&task.actual, &f, s)),
        )
    };
    Outcome {
        errors: [err(&cohort), err(&snaive), err(&naive2)],
        seconds: [t_cohort, t_snaive, t_naive2],
        model,
    }
}

/// Scores every task on `threads` threads (work is handed out one series at a time).
fn score_all(tasks: &[Task], config: &ForecastConfig, threads: usize) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::with_capacity(tasks.len()));
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(task) = tasks.get(i) else { break };
                    let outcome = score(task, config);
                    if let Ok(mut r) = results.lock() {
                        r.push((i, outcome));
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, o)| o).collect()
}

/// Reads `input` (and the test file, if any), forecasts every series and scores the three methods.
pub fn evaluate(input: &Path, options: &EvalOptions) -> Result<ForecastEvalReport, EvalError> {
    let started = Instant::now();
    let tasks = tasks(input, options)?;
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let outcomes = score_all(&tasks, &options.config, threads);
    let n = outcomes.len().max(1) as f64;
    let flat_series = outcomes.iter().filter(|o| o.errors[0].1.is_none()).count();
    let means = |method: usize| {
        let smape = outcomes.iter().map(|o| o.errors[method].0).sum::<f64>() / n;
        let scaled: Vec<f64> = outcomes.iter().filter_map(|o| o.errors[method].1).collect();
        let mase = scaled.iter().sum::<f64>() / scaled.len().max(1) as f64;
        let ms = 1000.0 * outcomes.iter().map(|o| o.seconds[method]).sum::<f64>() / n;
        (smape, mase, ms)
    };
    let (n2_smape, n2_mase, _) = means(2);
    let scores = |method: usize| {
        let (smape, mase, ms_per_series) = means(method);
        Scores {
            smape,
            mase,
            owa: owa(smape, mase, n2_smape, n2_mase),
            ms_per_series,
        }
    };
    let mut members = BTreeMap::new();
    for member in outcomes.iter().flat_map(|o| o.model.split('+')) {
        *members.entry(member.to_string()).or_insert(0) += 1;
    }
    Ok(ForecastEvalReport {
        cohort: scores(0),
        baseline_snaive: scores(1),
        baseline_naive2: scores(2),
        series: outcomes.len(),
        flat_series,
        horizon: tasks.first().map_or(0, |t| t.actual.len()),
        holdout: options.test.is_none().then_some(options.holdout),
        members,
        seconds: started.elapsed().as_secs_f64(),
    })
}
