//! Choosing the decision threshold on the margin from held-out scores.
//!
//! A moderation classifier is judged by how many innocent messages it flags as much as by what it
//! catches, so the threshold is a policy: either "flag as much as possible while flagging at most
//! this share of negatives" (a false-alert budget) or "be right as often as possible" (accuracy).
//! The budget is met with confidence, not on average: the share of held-out negatives above the
//! threshold is only an estimate (a few dozen false alerts out of a few thousand), so the threshold
//! is the lowest one whose one-sided 95% Wilson upper bound on that share is within the budget.
//! On the SMS data a plain "at most 0.5% of held-out ham" threshold flagged 0.46–0.60% of the test
//! ham depending on the inner folds; the bound keeps the test figure under the budget.
//!
//! Scores must come from examples the model did not train on (inner cross-validation, see
//! [`super::fit_classifier`]): on its own training data a model is over-confident.

use serde::{Deserialize, Serialize};

/// How the threshold is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdPolicy {
    /// The lowest threshold at which the share of negatives scoring above it is at most this, with
    /// 95% confidence (Wilson upper bound over the held-out negatives).
    NegativeBudget(f64),
    /// The threshold of highest held-out accuracy.
    MaxAccuracy,
    /// The SVM's own boundary, margin 0.
    Zero,
}

/// The threshold `policy` picks for `scored` (margin, is positive) pairs: a message is flagged when
/// its margin is strictly above it. With no scores, 0.
pub fn choose(policy: ThresholdPolicy, scored: &[(f32, bool)]) -> f32 {
    if scored.is_empty() {
        return 0.0;
    }
    match policy {
        ThresholdPolicy::Zero => 0.0,
        ThresholdPolicy::NegativeBudget(share) => {
            let mut negatives: Vec<f32> = scored.iter().filter(|s| !s.1).map(|s| s.0).collect();
            negatives.sort_by(|a, b| b.total_cmp(a));
            let n = negatives.len();
            let allowed = (0..=n)
                .take_while(|&k| wilson_upper(k, n) <= share)
                .last()
                .unwrap_or(0);
            // flag strictly above the (allowed+1)-th highest negative: at most `allowed` flagged
            negatives
                .get(allowed)
                .copied()
                .unwrap_or(f32::NEG_INFINITY)
                .max(min_score(scored) - 1.0)
        }
        ThresholdPolicy::MaxAccuracy => {
            let mut sorted = scored.to_vec();
            sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
            // threshold just below sorted[k-1] flags the top k; count correct decisions for each k
            let negatives = sorted.iter().filter(|s| !s.1).count();
            let (mut correct, mut best, mut best_k) = (negatives, negatives, 0);
            for (k, s) in sorted.iter().enumerate() {
                if s.1 {
                    correct += 1;
                } else {
                    correct -= 1;
                }
                let next_differs = sorted.get(k + 1).is_none_or(|n| n.0 < s.0);
                if next_differs && correct > best {
                    best = correct;
                    best_k = k + 1;
                }
            }
            match (
                best_k.checked_sub(1).map(|k| sorted[k].0),
                sorted.get(best_k),
            ) {
                (None, _) => sorted[0].0,
                (Some(last), Some(next)) => (last + next.0) / 2.0,
                (Some(last), None) => last - 1.0,
            }
        }
    }
}

/// z of a one-sided 95% bound.
const Z95: f64 = 1.645;

/// The one-sided 95% Wilson score upper bound of a proportion observed as `k` out of `n`.
pub fn wilson_upper(k: usize, n: usize) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let centre = p + z2 / (2.0 * n);
    let spread = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre + spread) / (1.0 + z2 / n)).min(1.0)
}

fn min_score(scored: &[(f32, bool)]) -> f32 {
    scored.iter().map(|s| s.0).fold(f32::INFINITY, f32::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flagged_negatives(t: f32, scored: &[(f32, bool)]) -> usize {
        scored.iter().filter(|s| !s.1 && s.0 > t).count()
    }

    #[test]
    fn budget_bounds_the_flagged_negatives() {
        let scored: Vec<(f32, bool)> = (0..1000)
            .map(|i| (i as f32 / 10.0, false))
            .chain((0..20).map(|i| (95.0 + i as f32, true)))
            .collect();
        // 1% of 1000 is 10, but 5 of 1000 could be 1.02% in truth: the bound allows 4
        let t = choose(ThresholdPolicy::NegativeBudget(0.01), &scored);
        assert_eq!(flagged_negatives(t, &scored), 4);
        assert!(wilson_upper(4, 1000) <= 0.01 && wilson_upper(5, 1000) > 0.01);
        let t = choose(ThresholdPolicy::NegativeBudget(0.0), &scored);
        assert_eq!(flagged_negatives(t, &scored), 0);
        assert_eq!(t, 99.9); // the highest negative: everything above it is flagged
        let t = choose(ThresholdPolicy::NegativeBudget(1.0), &scored);
        assert_eq!(flagged_negatives(t, &scored), 1000);
    }

    #[test]
    fn accuracy_picks_the_gap() {
        let scored = [
            (-2.0, false),
            (-1.0, false),
            (0.5, false),
            (1.0, true),
            (3.0, true),
        ];
        let t = choose(ThresholdPolicy::MaxAccuracy, &scored);
        assert!(t > 0.5 && t < 1.0, "{t}");
        let all_negative = [(-1.0, false), (1.0, false)];
        let t = choose(ThresholdPolicy::MaxAccuracy, &all_negative);
        assert!(all_negative.iter().all(|s| s.0 <= t));
        assert_eq!(choose(ThresholdPolicy::Zero, &scored), 0.0);
        assert_eq!(choose(ThresholdPolicy::MaxAccuracy, &[]), 0.0);
    }
}
