//! `[moderation]`: the moderation job inside `cohort run`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::moderation::flood::FloodConfig;
use crate::moderation::lexicon::LexiconConfig;
use crate::moderation::payments::PaymentConfig;

/// `[moderation]` of the configuration file.
///
/// ```toml
/// [moderation]
/// enabled = true
/// dedupe_window_secs = 3600
///
/// [[moderation.classifiers]]
/// kind = "spam"
/// model = "/var/lib/cohort/models/spam.bin"
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModerationJobConfig {
    /// Scan chat and payments and keep alerts (serving `alerts`, lake `moderation_alerts`, the Kafka
    /// alert topic).
    pub enabled: bool,
    /// Findings of one rule on one member at most this far apart (event time) extend one alert;
    /// an alert closes once this long passed without a finding (default 1 h).
    pub dedupe_window_secs: u64,
    /// A closed alert stays in the job's memory this long, so a moderator's verdict on it is still
    /// recorded (default 7 days).
    pub verdict_window_secs: u64,
    /// Evidence quotes at most this many characters of the (redacted) message.
    pub evidence_chars: usize,
    /// Trained models (`cohort train moderation`) that score every chat message.
    pub classifiers: Vec<ClassifierSpec>,
    /// Which lexicons apply, and each community's own lists.
    pub lexicons: LexiconConfig,
    /// Flood, copied-text and newcomer-link rules.
    pub flood: FloodConfig,
    /// Refund, card-testing, price and join-pay-refund rules.
    pub payments: PaymentConfig,
}

impl Default for ModerationJobConfig {
    fn default() -> Self {
        ModerationJobConfig {
            enabled: true,
            dedupe_window_secs: 3600,
            verdict_window_secs: 7 * 24 * 3600,
            evidence_chars: 120,
            classifiers: Vec::new(),
            lexicons: LexiconConfig::default(),
            flood: FloodConfig::default(),
            payments: PaymentConfig::default(),
        }
    }
}

/// One model the job scores messages with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifierSpec {
    /// What a flagged message is: `spam` or `abuse` (the alert's kind; the rule is
    /// `classifier.<kind>`).
    pub kind: ClassifierKind,
    /// The model file.
    pub model: PathBuf,
    /// Flag messages whose margin is above this instead of the threshold stored in the model
    /// (which `cohort train` chose for a low false-positive rate on its training data).
    #[serde(default)]
    pub threshold: Option<f32>,
}

/// What a classifier looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassifierKind {
    /// Ads, scams, solicitation.
    Spam,
    /// Insults, harassment, hate.
    Abuse,
}

impl ModerationJobConfig {
    /// The de-duplication window in ms.
    pub fn dedupe_window_ms(&self) -> i64 {
        millis(self.dedupe_window_secs)
    }

    /// The verdict window in ms.
    pub fn keep_closed_ms(&self) -> i64 {
        millis(self.verdict_window_secs)
    }

    /// The first key whose value cannot work, with what is wrong.
    pub fn invalid(&self) -> Option<(&'static str, &'static str)> {
        if self.dedupe_window_secs == 0 {
            return Some(("moderation.dedupe_window_secs", "must be at least 1"));
        }
        if self.evidence_chars == 0 {
            return Some(("moderation.evidence_chars", "must be at least 1"));
        }
        None
    }

    /// How far back (ms before the resume point) the detectors look: their longest window.
    pub fn lookback_ms(&self) -> i64 {
        let f = &self.flood;
        let p = &self.payments;
        let secs = [
            f.rate_window_secs,
            f.duplicate_window_secs,
            f.newcomer_secs.saturating_add(f.newcomer_link_window_secs),
            p.member_refund_window_secs,
            p.item_refund_window_secs,
            p.card_test_window_secs,
            p.price_forget_secs,
            p.join_pay_window_secs
                .saturating_add(p.pay_refund_window_secs),
        ];
        millis(secs.into_iter().max().unwrap_or(0))
    }
}

fn millis(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}
