//! `flood.rate`: one member posting too many messages in one channel.
//!
//! Counted per (community, channel, member): a member chatting fast in two channels is two
//! conversations, while ten messages a minute in one channel drown everybody else out.

use cohort_schemas::Event;
use cohort_schemas::activity::Severity;

use super::FloodConfig;
use super::burst::Bursts;
use super::window::millis;
use crate::moderation::finding::{ModerationFinding, ModerationKind, Rule, duration_text, ratio};

/// The rule.
pub const RATE: Rule = Rule {
    name: "flood.rate",
    kind: ModerationKind::Spam,
    severity: Severity::Minor,
};

/// Message counts per (community, channel, member).
#[derive(Debug)]
pub struct Rate {
    bursts: Bursts<(String, String, String), ()>,
    span_ms: i64,
    fires_at: usize,
}

impl Rate {
    /// The rule with the rate settings of `config`: more than `rate_max_messages` fires.
    pub fn new(config: &FloodConfig) -> Self {
        let span_ms = millis(config.rate_window_secs);
        let fires_at = config.rate_max_messages.saturating_add(1);
        Rate {
            bursts: Bursts::new(span_ms, fires_at),
            span_ms,
            fires_at,
        }
    }

    /// Counts the chat message `event` in `channel`; the finding when it starts a flood.
    pub fn observe(&mut self, event: &Event, channel: &str) -> Option<ModerationFinding> {
        let key = (
            event.community_id.clone(),
            channel.to_string(),
            event.user_id.clone(),
        );
        let count = self.bursts.push(key, event.ts_ms, ())?.fire()?;
        let evidence = format!("{count} messages in {}", duration_text(self.span_ms));
        Some(RATE.finding(event, channel, ratio(count, self.fires_at), evidence))
    }

    /// Keys tracked.
    pub fn tracked(&self) -> usize {
        self.bursts.len()
    }

    /// See [`Bursts::sweep_if_due`].
    pub fn sweep_if_due(&mut self, now_ms: i64) {
        self.bursts.sweep_if_due(now_ms);
    }
}
