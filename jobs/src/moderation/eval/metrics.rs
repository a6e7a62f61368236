//! The confusion matrix of a binary moderation decision and the figures the issue asks for.

use serde::Serialize;

/// Counts of decisions against labels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// Positives flagged.
    pub true_positives: usize,
    /// Negatives flagged (false alerts).
    pub false_positives: usize,
    /// Positives missed.
    pub false_negatives: usize,
    /// Negatives passed.
    pub true_negatives: usize,
}

impl Confusion {
    /// Counts one decision.
    pub fn add(&mut self, flagged: bool, positive: bool) {
        match (flagged, positive) {
            (true, true) => self.true_positives += 1,
            (true, false) => self.false_positives += 1,
            (false, true) => self.false_negatives += 1,
            (false, false) => self.true_negatives += 1,
        }
    }

    /// Adds another matrix (pooling folds).
    pub fn merge(&mut self, other: &Confusion) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
        self.true_negatives += other.true_negatives;
    }

    /// Decisions counted.
    pub fn total(&self) -> usize {
        self.true_positives + self.false_positives + self.false_negatives + self.true_negatives
    }

    /// Flagged messages that are positive (1 when nothing is flagged: no false alert was raised).
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
            1.0,
        )
    }

    /// Positives that are flagged (0 when there are none).
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
            0.0,
        )
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Correct decisions over all decisions.
    pub fn accuracy(&self) -> f64 {
        ratio(self.true_positives + self.true_negatives, self.total(), 0.0)
    }

    /// Share of negatives flagged: the false-alert rate moderators live with.
    pub fn negatives_flagged(&self) -> f64 {
        ratio(
            self.false_positives,
            self.false_positives + self.true_negatives,
            0.0,
        )
    }
}

fn ratio(num: usize, den: usize, empty: f64) -> f64 {
    if den == 0 {
        empty
    } else {
        num as f64 / den as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_from_counts() {
        let mut c = Confusion::default();
        for (flagged, positive, n) in [
            (true, true, 8),
            (true, false, 2),
            (false, true, 2),
            (false, false, 88),
        ] {
            for _ in 0..n {
                c.add(flagged, positive);
            }
        }
        assert_eq!(c.total(), 100);
        assert!((c.precision() - 0.8).abs() < 1e-12);
        assert!((c.recall() - 0.8).abs() < 1e-12);
        assert!((c.f1() - 0.8).abs() < 1e-12);
        assert!((c.accuracy() - 0.96).abs() < 1e-12);
        assert!((c.negatives_flagged() - 2.0 / 90.0).abs() < 1e-12);
        let mut pooled = c;
        pooled.merge(&c);
        assert_eq!(pooled.total(), 200);
        assert_eq!(Confusion::default().f1(), 0.0);
    }
}
