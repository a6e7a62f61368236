//! What the moderation job outputs: alerts about one member's messages or payments (serving
//! `alerts`, lake `moderation_alerts`, the Kafka alert topic).
//!
//! One rule firing again and again on the same member is one alert, not a stream of them: findings
//! of one (community, member, rule) within the de-duplication window of each other extend the open
//! alert (its count, last-seen time and, when higher, its score, severity and evidence). The alert
//! closes when the window passes without a new finding, or when a moderator's `moderation_verdict`
//! event closes it; a verdict on an alert that already closed is recorded on it too. Like activity alerts, each state carries its version (count, then status), so a sink keeps
//! the newest whatever order the states arrive in.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::activity::{AlertStatus, Severity};

/// What a moderation alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModerationKind {
    /// Personal data in a message: a phone number, an ID number, a card, a handle.
    Pii,
    /// Insults, harassment, hate (lexicon rules, the classifier).
    Abuse,
    /// Ads, scams, floods, copied-text campaigns, link drops.
    Spam,
    /// Refund abuse, card testing, odd prices.
    Fraud,
}

impl ModerationKind {
    /// Every kind, in table order.
    pub const ALL: [ModerationKind; 4] = [
        ModerationKind::Pii,
        ModerationKind::Abuse,
        ModerationKind::Spam,
        ModerationKind::Fraud,
    ];

    /// The name stored in the `kind` column of `alerts` (activity alerts there say `activity`).
    pub fn name(self) -> &'static str {
        match self {
            ModerationKind::Pii => "pii",
            ModerationKind::Abuse => "abuse",
            ModerationKind::Spam => "spam",
            ModerationKind::Fraud => "fraud",
        }
    }

    /// The kind with this name.
    pub fn from_name(name: &str) -> Option<ModerationKind> {
        ModerationKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// How a moderator judged an alert (the `verdict` of a `moderation_verdict` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictOutcome {
    /// The alert was right.
    Confirmed,
    /// The alert was wrong: a false positive, worth retraining on.
    Dismissed,
}

impl VerdictOutcome {
    /// The wire and table name.
    pub fn name(self) -> &'static str {
        match self {
            VerdictOutcome::Confirmed => "confirmed",
            VerdictOutcome::Dismissed => "dismissed",
        }
    }

    /// The outcome with this name.
    pub fn from_name(name: &str) -> Option<VerdictOutcome> {
        [VerdictOutcome::Confirmed, VerdictOutcome::Dismissed]
            .into_iter()
            .find(|v| v.name() == name)
    }
}

/// One rule firing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModerationFinding {
    /// The rule, e.g. `flood.rate` or `payment.card_testing` (borrowed from the rule's constant
    /// until it crosses workers).
    pub rule: Cow<'static, str>,
    /// What it is about: personal data, abuse, spam or fraud.
    pub kind: ModerationKind,
    /// The community.
    pub community_id: String,
    /// The chat channel of the event that fired the rule, or empty (payments, joins).
    pub channel_id: String,
    /// The member whose event fired the rule.
    pub member: String,
    /// The event that fired it.
    pub event_id: String,
    /// Event time of the event that fired the rule, ms since the epoch.
    pub ts_ms: i64,
    /// How far past its threshold the pattern was when it fired: 1 at the threshold itself, 2 at
    /// twice it (for counts, count / the count that fires).
    pub score: f64,
    /// The rule's own severity, raised with the score (see `Rule::finding` in cohort-jobs).
    pub severity: Severity,
    /// What was seen, for a moderator: counts, spans and amounts; message rules quote the message
    /// with its personal data redacted.
    pub evidence: String,
}

/// What the moderation job keeps of one chat message: where and by whom it was posted, the
/// near-duplicate fingerprint the flood rules compare, and the per-message rules it fired (personal
/// data, lexicons, classifiers). The scanning worker writes it to the lake (`chat_scans`) with the
/// message itself, so a restart rebuilds the alerts from the lake without scanning again: the
/// stored text is redacted, and the lexicons or models may have changed since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatScan {
    /// The chat event.
    pub event_id: String,
    /// Its event time, ms since the epoch.
    pub ts_ms: i64,
    /// The community.
    pub community_id: String,
    /// The channel.
    pub channel_id: String,
    /// The member who posted it.
    pub member_id: String,
    /// Letters, digits and ideographs of its fingerprinted skeleton (short messages are never
    /// duplicates).
    pub chars: u32,
    /// The skeleton's SimHash.
    pub fingerprint: u64,
    /// Whether it holds a link or an invite link.
    pub has_link: bool,
    /// The per-message rules it fired.
    pub findings: Vec<ModerationFinding>,
}

/// One state of a moderation alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModerationAlert {
    /// The community.
    pub community_id: String,
    /// The channel of the first finding, or empty (payments, joins).
    pub channel_id: String,
    /// The member whose messages or payments fired the rule (as stored: pseudonymous once ids are).
    pub member_id: String,
    /// What the alert is about.
    pub kind: ModerationKind,
    /// The rule, e.g. `pii.mobile`, `lexicon.ads`, `classifier.spam`, `flood.rate`.
    pub rule: String,
    /// The highest severity of its findings.
    pub severity: Severity,
    /// The highest score of its findings (rule-specific: a classifier probability, a multiple of a
    /// threshold).
    pub score: f64,
    /// What a moderator reads: the evidence of its highest-scoring finding (the first of equals),
    /// with personal data redacted.
    pub evidence: String,
    /// Event time of the first finding, ms since the epoch: with community, member and rule, it
    /// identifies the alert.
    pub first_seen_ms: i64,
    /// Event time of the latest finding.
    pub last_seen_ms: i64,
    /// Findings so far.
    pub count: u32,
    /// Open until its window passes without a finding or a moderator closes it.
    pub status: AlertStatus,
    /// When it closed (event time), if it did.
    pub closed_ms: Option<i64>,
    /// The moderator's verdict, when one closed it.
    pub verdict: Option<VerdictOutcome>,
}

impl ModerationAlert {
    /// The alert's stable id: `moderation:<community>:<member>:<rule>:<first seen ms>`.
    pub fn alert_id(&self) -> String {
        alert_id(
            &self.community_id,
            &self.member_id,
            &self.rule,
            self.first_seen_ms,
        )
    }

    /// The time (ms) it is filed under in the lake's hour partitions: its latest change (closing, or
    /// the latest finding).
    pub fn ts_ms(&self) -> i64 {
        self.closed_ms.unwrap_or(self.last_seen_ms)
    }
}

/// The id of the alert of (community, member, rule) first seen at `first_seen_ms`.
pub fn alert_id(community_id: &str, member_id: &str, rule: &str, first_seen_ms: i64) -> String {
    format!("moderation:{community_id}:{member_id}:{rule}:{first_seen_ms}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in ModerationKind::ALL {
            assert_eq!(ModerationKind::from_name(k.name()), Some(k));
        }
        assert_eq!(ModerationKind::from_name("activity"), None);
        for v in [VerdictOutcome::Confirmed, VerdictOutcome::Dismissed] {
            assert_eq!(VerdictOutcome::from_name(v.name()), Some(v));
        }
        assert_eq!(VerdictOutcome::from_name("maybe"), None);
    }

    #[test]
    fn an_alert_id_names_community_member_rule_and_first_sighting() {
        let alert = ModerationAlert {
            community_id: "c1".into(),
            channel_id: "general".into(),
            member_id: "u7".into(),
            kind: ModerationKind::Pii,
            rule: "pii.mobile".into(),
            severity: Severity::Major,
            score: 1.0,
            evidence: "[mobile] in a message".into(),
            first_seen_ms: 1_000,
            last_seen_ms: 5_000,
            count: 2,
            status: AlertStatus::Closed,
            closed_ms: Some(9_000),
            verdict: None,
        };
        assert_eq!(alert.alert_id(), "moderation:c1:u7:pii.mobile:1000");
        assert_eq!(alert.ts_ms(), 9_000);
    }
}
