//! The alert book: turns findings into de-duplicated alerts, closes them, applies verdicts.
//!
//! Findings of one (community, member, rule) less than the window apart extend one alert; once the
//! clock (event time) is a whole window past an alert's last finding, it closes at that instant. A
//! `moderation_verdict` closes an open alert at the verdict's time; on a closed one it is recorded
//! as well, as long as the alert is still in the book (`keep_closed` after closing: moderators
//! review alerts long after the flood ended).
//!
//! Everything is judged on event time and findings are fed in event-time order, so a replay of
//! the same events gives the same alerts. The book reports each changed alert's newest state once
//! per [`AlertBook::drain_changes`], not every intermediate count: sinks keep the newest anyway.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use cohort_schemas::activity::AlertStatus;
use cohort_schemas::moderation::{ModerationAlert, VerdictOutcome};

use crate::moderation::finding::ModerationFinding;

/// (community, member, rule): what one alert is about.
type Subject = (String, String, String);

/// Open and recently closed alerts, by id.
#[derive(Debug)]
pub struct AlertBook {
    window_ms: i64,
    keep_closed_ms: i64,
    alerts: HashMap<String, ModerationAlert>,
    open: HashMap<Subject, String>,
    /// Open alerts by the instant they close unless extended: (deadline, id).
    deadlines: BTreeSet<(i64, String)>,
    /// Closed alerts by the instant they leave the book.
    leaving: BTreeSet<(i64, String)>,
    changed: BTreeSet<String>,
    /// Changed alerts that left the book before their change was drained.
    departed: BTreeMap<String, ModerationAlert>,
}

/// What became of a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictEffect {
    /// It closed an open alert.
    Closed,
    /// It was recorded on an alert that had closed already.
    Recorded,
    /// No alert of that id is in the book (unknown, or closed too long ago).
    Unknown,
}

impl AlertBook {
    /// An empty book with de-duplication window `window_ms`, keeping closed alerts for verdicts
    /// for `keep_closed_ms`. (A restart rebuilds it by replaying the lake's findings.)
    pub fn new(window_ms: i64, keep_closed_ms: i64) -> AlertBook {
        AlertBook {
            window_ms: window_ms.max(1),
            keep_closed_ms: keep_closed_ms.max(0),
            alerts: HashMap::new(),
            open: HashMap::new(),
            deadlines: BTreeSet::new(),
            leaving: BTreeSet::new(),
            changed: BTreeSet::new(),
            departed: BTreeMap::new(),
        }
    }

    /// Files a new open alert.
    fn open_alert(&mut self, alert: ModerationAlert) {
        let id = alert.alert_id();
        self.open.insert(subject(&alert), id.clone());
        self.deadlines.insert((
            alert.last_seen_ms.saturating_add(self.window_ms),
            id.clone(),
        ));
        self.changed.insert(id.clone());
        self.alerts.insert(id, alert);
    }

    /// Files `finding` (at or after every finding filed before). An open alert of its subject
    /// whose window the finding lies beyond closes first, at the end of that window: the same
    /// state the watermark would have given it. Nothing else moves, so what one community's
    /// findings do never depends on which other communities share its owner. Returns whether
    /// the finding raised a new alert (what `/metrics` counts as raised).
    pub fn record(&mut self, finding: &ModerationFinding) -> bool {
        let key: Subject = (
            finding.community_id.clone(),
            finding.member.clone(),
            finding.rule.to_string(),
        );
        if let Some(id) = self.open.get(&key).cloned() {
            self.close_if_expired(&id, finding.ts_ms);
        }
        if let Some(id) = self.open.get(&key).cloned()
            && let Some(alert) = self.alerts.get_mut(&id)
        {
            let old = alert.last_seen_ms.saturating_add(self.window_ms);
            self.deadlines.remove(&(old, id.clone()));
            alert.last_seen_ms = alert.last_seen_ms.max(finding.ts_ms);
            alert.count = alert.count.saturating_add(1);
            alert.severity = alert.severity.max(finding.severity);
            if finding.score > alert.score {
                alert.score = finding.score;
                alert.evidence = finding.evidence.clone();
            }
            let deadline = alert.last_seen_ms.saturating_add(self.window_ms);
            self.deadlines.insert((deadline, id.clone()));
            self.changed.insert(id);
            return false;
        }
        let alert = ModerationAlert {
            community_id: finding.community_id.clone(),
            channel_id: finding.channel_id.clone(),
            member_id: finding.member.clone(),
            kind: finding.kind,
            rule: finding.rule.to_string(),
            severity: finding.severity,
            score: finding.score,
            evidence: finding.evidence.clone(),
            first_seen_ms: finding.ts_ms,
            last_seen_ms: finding.ts_ms,
            count: 1,
            status: AlertStatus::Open,
            closed_ms: None,
            verdict: None,
        };
        self.open_alert(alert);
        true
    }

    /// Applies a moderator's verdict on `id`, given at `ts_ms`.
    pub fn verdict(&mut self, id: &str, outcome: VerdictOutcome, ts_ms: i64) -> VerdictEffect {
        self.close_if_expired(id, ts_ms);
        let Some(alert) = self.alerts.get_mut(id) else {
            return VerdictEffect::Unknown;
        };
        // judged by the verdict's own time, not by when the watermark evicts the alert
        if alert
            .closed_ms
            .is_some_and(|closed| ts_ms >= closed.saturating_add(self.keep_closed_ms))
        {
            return VerdictEffect::Unknown;
        }
        self.changed.insert(id.to_string());
        alert.verdict = Some(outcome);
        if alert.status == AlertStatus::Closed {
            return VerdictEffect::Recorded;
        }
        let closed = ts_ms.max(alert.last_seen_ms);
        let deadline = alert.last_seen_ms.saturating_add(self.window_ms);
        alert.status = AlertStatus::Closed;
        alert.closed_ms = Some(closed);
        let key = subject(alert);
        self.open.remove(&key);
        self.deadlines.remove(&(deadline, id.to_string()));
        self.leaving
            .insert((closed.saturating_add(self.keep_closed_ms), id.to_string()));
        VerdictEffect::Closed
    }

    /// Closes the open alert `id` at the end of its window if `now_ms` is at or past it.
    fn close_if_expired(&mut self, id: &str, now_ms: i64) {
        let Some(alert) = self.alerts.get(id) else {
            return;
        };
        let deadline = alert.last_seen_ms.saturating_add(self.window_ms);
        if alert.status == AlertStatus::Open && deadline <= now_ms {
            self.deadlines.remove(&(deadline, id.to_string()));
            self.close_at_deadline(id.to_string(), deadline);
        }
    }

    fn close_at_deadline(&mut self, id: String, deadline: i64) {
        let Some(alert) = self.alerts.get_mut(&id) else {
            return;
        };
        alert.status = AlertStatus::Closed;
        alert.closed_ms = Some(deadline);
        let key = subject(alert);
        self.open.remove(&key);
        self.leaving
            .insert((deadline.saturating_add(self.keep_closed_ms), id.clone()));
        self.changed.insert(id);
    }

    /// Moves the clock to `now_ms` (the watermark): closes the open alerts whose window has passed
    /// (at the end of their window) and forgets closed alerts kept long enough.
    pub fn advance_to(&mut self, now_ms: i64) {
        while let Some((deadline, id)) = self.deadlines.first().cloned() {
            if deadline > now_ms {
                break;
            }
            self.deadlines.pop_first();
            self.close_at_deadline(id, deadline);
        }
        while let Some((until, id)) = self.leaving.first().cloned() {
            if until > now_ms {
                break;
            }
            self.leaving.pop_first();
            if let Some(alert) = self.alerts.remove(&id) {
                // a change not yet drained still goes out
                if self.changed.remove(&id) {
                    self.departed.insert(id, alert);
                }
            }
        }
    }

    /// The newest state of every alert changed since the last call, in id order.
    pub fn drain_changes(&mut self) -> Vec<ModerationAlert> {
        let mut out = std::mem::take(&mut self.departed);
        for id in std::mem::take(&mut self.changed) {
            if let Some(alert) = self.alerts.get(&id) {
                out.insert(id, alert.clone());
            }
        }
        out.into_values().collect()
    }

    /// Alerts open now.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// Alerts held (open and recently closed): what bounds the book's memory.
    pub fn tracked(&self) -> usize {
        self.alerts.len()
    }
}

fn subject(alert: &ModerationAlert) -> Subject {
    (
        alert.community_id.clone(),
        alert.member_id.clone(),
        alert.rule.clone(),
    )
}

#[cfg(test)]
mod tests {
    use cohort_schemas::activity::Severity;
    use cohort_schemas::moderation::ModerationKind;

    use super::*;

    const HOUR: i64 = 3_600_000;

    fn finding(member: &str, rule: &'static str, ts_ms: i64, score: f64) -> ModerationFinding {
        ModerationFinding {
            rule: rule.into(),
            kind: ModerationKind::Pii,
            community_id: "c1".into(),
            channel_id: "general".into(),
            member: member.into(),
            event_id: format!("e{ts_ms}"),
            ts_ms,
            score,
            severity: if score >= 2.0 {
                Severity::Major
            } else {
                Severity::Minor
            },
            evidence: format!("score {score}"),
        }
    }

    #[test]
    fn findings_within_the_window_extend_one_alert() {
        let mut book = AlertBook::new(HOUR, 24 * HOUR);
        assert!(
            book.record(&finding("u1", "pii.mobile", 1_000, 1.0)),
            "a new alert"
        );
        assert!(
            !book.record(&finding("u1", "pii.mobile", 1_000 + HOUR - 1, 3.0)),
            "extended"
        );
        book.record(&finding("u1", "pii.mobile", 1_000 + HOUR + 5, 2.0));
        let changes = book.drain_changes();
        assert_eq!(changes.len(), 1);
        let a = &changes[0];
        assert_eq!(a.alert_id(), "moderation:c1:u1:pii.mobile:1000");
        assert_eq!((a.count, a.status), (3, AlertStatus::Open));
        assert_eq!(a.last_seen_ms, 1_000 + HOUR + 5);
        assert_eq!((a.score, a.severity), (3.0, Severity::Major));
        assert_eq!(a.evidence, "score 3");
        assert!(book.drain_changes().is_empty());
    }

    #[test]
    fn other_members_and_rules_get_their_own_alerts() {
        let mut book = AlertBook::new(HOUR, HOUR);
        book.record(&finding("u1", "pii.mobile", 0, 1.0));
        book.record(&finding("u2", "pii.mobile", 1, 1.0));
        book.record(&finding("u1", "pii.email", 2, 1.0));
        assert_eq!(book.drain_changes().len(), 3);
        assert_eq!(book.open_count(), 3);
    }

    #[test]
    fn an_alert_closes_a_window_after_its_last_finding_and_a_later_one_opens_anew() {
        let mut book = AlertBook::new(HOUR, HOUR);
        book.record(&finding("u1", "pii.mobile", 0, 1.0));
        book.drain_changes();
        book.advance_to(HOUR - 1);
        assert!(book.drain_changes().is_empty());
        book.advance_to(HOUR);
        let closed = book.drain_changes();
        assert_eq!(closed[0].status, AlertStatus::Closed);
        assert_eq!(closed[0].closed_ms, Some(HOUR));
        book.record(&finding("u1", "pii.mobile", HOUR + 10, 1.0));
        let reopened = book.drain_changes();
        assert_eq!(reopened.len(), 1);
        assert_eq!(reopened[0].first_seen_ms, HOUR + 10);
        assert_eq!(reopened[0].count, 1);
    }

    #[test]
    fn a_verdict_closes_an_open_alert_and_is_recorded_on_a_closed_one() {
        let mut book = AlertBook::new(HOUR, 24 * HOUR);
        book.record(&finding("u1", "pii.mobile", 0, 1.0));
        book.record(&finding("u2", "pii.mobile", 0, 1.0));
        book.drain_changes();
        let u1 = "moderation:c1:u1:pii.mobile:0";
        let u2 = "moderation:c1:u2:pii.mobile:0";
        assert_eq!(
            book.verdict(u1, VerdictOutcome::Confirmed, 60_000),
            VerdictEffect::Closed
        );
        let closed = book.drain_changes();
        assert_eq!(closed[0].status, AlertStatus::Closed);
        assert_eq!(closed[0].closed_ms, Some(60_000));
        assert_eq!(closed[0].verdict, Some(VerdictOutcome::Confirmed));
        // u2's alert closes by its window; a verdict the next day still lands on it
        assert_eq!(
            book.verdict(u2, VerdictOutcome::Dismissed, 20 * HOUR),
            VerdictEffect::Recorded
        );
        let later = book.drain_changes();
        let u2_state = later.iter().find(|a| a.alert_id() == u2).unwrap();
        assert_eq!(u2_state.closed_ms, Some(HOUR));
        assert_eq!(u2_state.verdict, Some(VerdictOutcome::Dismissed));
        // a new finding after the verdict is a new alert
        book.record(&finding("u1", "pii.mobile", 20 * HOUR + 1, 1.0));
        assert_eq!(book.open_count(), 1);
        // closed alerts leave the book after keep_closed
        book.advance_to(50 * HOUR);
        let last = book.drain_changes();
        assert_eq!(
            last.len(),
            1,
            "the new alert's closing goes out as it leaves"
        );
        assert_eq!(last[0].status, AlertStatus::Closed);
        assert_eq!(
            book.verdict(u2, VerdictOutcome::Confirmed, 50 * HOUR + 2),
            VerdictEffect::Unknown
        );
        assert_eq!(book.tracked(), 0);
    }

    #[test]
    fn a_book_rebuilt_by_replay_continues_where_the_last_run_stopped() {
        let mut first = AlertBook::new(HOUR, HOUR);
        first.record(&finding("u1", "pii.mobile", 0, 1.0));
        first.drain_changes();
        // a restart replays the committed findings into a fresh book, dropping their changes
        let mut resumed = AlertBook::new(HOUR, HOUR);
        resumed.record(&finding("u1", "pii.mobile", 0, 1.0));
        resumed.drain_changes();
        for book in [&mut first, &mut resumed] {
            book.record(&finding("u1", "pii.mobile", 100, 1.0));
        }
        assert_eq!(first.drain_changes(), resumed.drain_changes());
    }
}
