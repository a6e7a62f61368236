//! Choosing a series' methods on its own history: every candidate is fitted on all but the last
//! `validation` hours and scored on those hours, in the series' units, with the same two errors
//! the M4 competition ranks by (sMAPE and absolute error, each relative to seasonal naive's, then
//! averaged — an OWA computed per series against the day-ago forecast).

use super::member::{Member, MemberKind};
use super::model::{ForecastConfig, min_validated_history};
use super::transform::Transform;

/// A candidate and its validation score (lower is better; 1 = as good as seasonal naive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// The method.
    pub kind: MemberKind,
    /// The scale it models the series on.
    pub transform: Transform,
    /// Relative validation error.
    pub score: f64,
}

/// sMAPE (percent) and mean absolute error of `forecast` against `actual`.
fn errors(actual: &[f64], forecast: &[f64]) -> (f64, f64) {
    let n = actual.len().max(1) as f64;
    let mut smape = 0.0;
    let mut mae = 0.0;
    for (y, f) in actual.iter().zip(forecast) {
        let denominator = y.abs() + f.abs();
        if denominator > 0.0 {
            smape += 200.0 * (y - f).abs() / denominator;
        }
        mae += (y - f).abs();
    }
    (smape / n, mae / n)
}

/// Validation scores of every candidate the history is long enough for; empty when the history is
/// too short to hold out `config.validation` hours. With `config.origins` > 1 the candidate is
/// fitted once, `origins` windows before the end, and scored on each window in turn, stepping its
/// state through the window's values in between (as the job would between refits); the score is
/// the mean over windows.
pub fn score_candidates(history: &[f64], config: &ForecastConfig) -> Vec<Scored> {
    let v = config.validation;
    if v == 0 || history.len() < min_validated_history(config) {
        return Vec::new();
    }
    // As many windows as asked for, keeping at least two days to fit on.
    let room = (history.len() - min_validated_history(config)) / v + 1;
    let origins = config.origins.clamp(1, room);
    let cut = history.len() - v * origins;
    // sMAPE and MAE of each window.
    let validate = |kind: MemberKind, transform: Transform| {
        let z: Vec<f64> = history.iter().map(|&y| transform.forward(y)).collect();
        let mut member = Member::fit(kind, &z[..cut])?;
        let mut out = Vec::with_capacity(origins);
        for k in 0..origins {
            let start = cut + k * v;
            let forecast: Vec<f64> = member
                .forecast(v)
                .into_iter()
                .map(|f| transform.inverse(f))
                .collect();
            out.push(errors(&history[start..start + v], &forecast));
            z[start..start + v].iter().for_each(|&y| member.step(y));
        }
        Some(out)
    };
    let Some(reference) = validate(MemberKind::SnaiveDay, Transform::Identity) else {
        return Vec::new();
    };
    let relative = |value: f64, reference: f64| {
        if reference > 1e-12 {
            value / reference
        } else {
            value
        }
    };
    let transforms = super::model::transforms(history, config);
    let mut scored = Vec::new();
    for &kind in config.candidates.iter().filter(|k| k.min_history() <= cut) {
        for &transform in &transforms {
            // Seasonal naive is the same on every scale: score it once.
            if !kind.scale_matters() && transform != Transform::Identity {
                continue;
            }
            let Some(windows) = validate(kind, transform) else {
                continue;
            };
            let score = windows
                .iter()
                .zip(&reference)
                .map(|((smape, mae), (ref_smape, ref_mae))| {
                    0.5 * (relative(*smape, *ref_smape) + relative(*mae, *ref_mae))
                })
                .sum::<f64>()
                / origins as f64;
            if score.is_finite() {
                scored.push(Scored {
                    kind,
                    transform,
                    score,
                });
            }
        }
    }
    scored
}
