//! What a detector reports: one rule firing on one member's message or traffic.
//!
//! The flood and payment detectors ([`super::flood`], [`super::payments`]) look at patterns over
//! time rather than at one message, so a finding names the rule, whom and where, the event that
//! tipped the pattern over its threshold, and a short evidence line a moderator can read. Their
//! evidence never quotes message text (it may hold the very personal data moderation protects) nor
//! card numbers; amounts and counts are fine. The message rules of the job
//! ([`super::job::scan`]) quote the message, always with its personal data redacted.

use cohort_schemas::Event;
use cohort_schemas::activity::Severity;
pub use cohort_schemas::moderation::{ModerationFinding, ModerationKind};
use std::borrow::Cow;

/// A rule's fixed identity: its name, kind and the severity it has at its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The name findings carry.
    pub name: &'static str,
    /// What it is about: personal data, abuse, spam or fraud.
    pub kind: ModerationKind,
    /// Severity at score 1.
    pub severity: Severity,
}

impl Rule {
    /// The finding of this rule fired by `event`. The severity is the rule's own, one step higher
    /// from twice the threshold (score ≥ 2) and two from four times (score ≥ 4): a flood of 60
    /// messages a minute is worse than one of 12, whatever rule caught it.
    pub fn finding(
        &self,
        event: &Event,
        channel_id: &str,
        score: f64,
        evidence: String,
    ) -> ModerationFinding {
        ModerationFinding {
            rule: Cow::Borrowed(self.name),
            kind: self.kind,
            community_id: event.community_id.clone(),
            channel_id: channel_id.to_string(),
            member: event.user_id.clone(),
            event_id: event.event_id.clone(),
            ts_ms: event.ts_ms,
            score,
            severity: escalate(self.severity, score),
            evidence,
        }
    }
}

/// `base` raised one step from score 2 and two from score 4, capped at critical.
fn escalate(base: Severity, score: f64) -> Severity {
    let steps = if score >= 4.0 {
        2
    } else if score >= 2.0 {
        1
    } else {
        0
    };
    (0..steps).fold(base, |s, _| match s {
        Severity::Minor => Severity::Major,
        Severity::Major | Severity::Critical => Severity::Critical,
    })
}

/// `count / threshold` as a score (a threshold of 0 counts as 1).
pub fn ratio(count: usize, threshold: usize) -> f64 {
    count as f64 / threshold.max(1) as f64
}

/// `n` and a noun, plural unless `n` is 1: `1 member`, `4 members`.
pub fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A window length for evidence: whole hours as `24 h`, anything else in seconds (`600 s`), the
/// unit the configuration uses.
pub fn duration_text(ms: i64) -> String {
    const HOUR_MS: i64 = 3_600_000;
    if ms >= HOUR_MS && ms % HOUR_MS == 0 {
        format!("{} h", ms / HOUR_MS)
    } else {
        format!("{} s", ms / 1000)
    }
}

#[cfg(test)]
mod tests {
    use cohort_schemas::event::{Member, MemberAction, Payload};

    use super::*;

    const RULE: Rule = Rule {
        name: "test.rule",
        kind: ModerationKind::Spam,
        severity: Severity::Minor,
    };

    fn join() -> Event {
        Event {
            event_id: "e1".to_string(),
            ts_ms: 1_000,
            community_id: "c1".to_string(),
            user_id: "u1".to_string(),
            payload: Payload::Member(Member {
                action: MemberAction::Join,
                tier: None,
            }),
            extra: None,
        }
    }

    #[test]
    fn a_finding_takes_who_and_when_from_its_event() {
        let f = RULE.finding(&join(), "general", 1.0, "3 things in 60 s".to_string());
        assert_eq!(f.rule, "test.rule");
        assert_eq!(f.community_id, "c1");
        assert_eq!(f.member, "u1");
        assert_eq!(f.channel_id, "general");
        assert_eq!(f.ts_ms, 1_000);
        assert_eq!(f.severity, Severity::Minor);
    }

    #[test]
    fn severity_rises_with_the_score_and_stops_at_critical() {
        let at = |score| RULE.finding(&join(), "", score, String::new()).severity;
        assert_eq!(at(1.0), Severity::Minor);
        assert_eq!(at(1.99), Severity::Minor);
        assert_eq!(at(2.0), Severity::Major);
        assert_eq!(at(4.0), Severity::Critical);
        let critical = Rule {
            severity: Severity::Critical,
            ..RULE
        };
        assert_eq!(
            critical.finding(&join(), "", 9.0, String::new()).severity,
            Severity::Critical
        );
    }

    #[test]
    fn findings_serialise_with_snake_case_names() {
        let f = RULE.finding(&join(), "", 1.5, "x".to_string());
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["kind"], "spam");
        assert_eq!(json["severity"], "minor");
        assert_eq!(json["rule"], "test.rule");
        assert_eq!(ModerationKind::Fraud.name(), "fraud");
    }

    #[test]
    fn durations_read_as_the_configuration_writes_them() {
        assert_eq!(duration_text(60_000), "60 s");
        assert_eq!(duration_text(600_000), "600 s");
        assert_eq!(duration_text(3_600_000), "1 h");
        assert_eq!(duration_text(86_400_000), "24 h");
        assert_eq!(duration_text(5_400_000), "5400 s");
        assert_eq!(ratio(11, 11), 1.0);
        assert_eq!(ratio(3, 0), 3.0);
        assert_eq!(counted(1, "member"), "1 member");
        assert_eq!(counted(4, "channel"), "4 channels");
    }
}
