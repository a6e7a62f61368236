//! `spam.new_member_links`: an account that joins and starts dropping links.
//!
//! Spam accounts join a community to post links, and do so at once; members who have been around
//! share links too, so only new members (joined less than `newcomer_secs` before) count. Link
//! messages are counted for every member, not only for known newcomers: the join event may arrive
//! after the member's first messages (joins and chat are separate streams, not ordered together),
//! and then the join itself completes the pattern and fires. The cost is a short window per member
//! who posted a link in the last few minutes.

use cohort_schemas::Event;
use cohort_schemas::activity::Severity;

use super::FloodConfig;
use super::burst::{Burst, Bursts};
use super::joins::Joins;
use super::window::millis;
use crate::moderation::finding::{
    ModerationFinding, ModerationKind, Rule, counted, duration_text, ratio,
};

/// The rule.
pub const NEW_MEMBER_LINKS: Rule = Rule {
    name: "spam.new_member_links",
    kind: ModerationKind::Spam,
    severity: Severity::Major,
};

/// The rule's settings in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Settings {
    newcomer_ms: i64,
    span_ms: i64,
    fires_at: usize,
}

/// Joins and link messages per (community, member).
#[derive(Debug)]
pub struct Newcomers {
    joins: Joins,
    /// The channel of each message with a link.
    links: Bursts<(String, String), String>,
    settings: Settings,
}

impl Newcomers {
    /// The rule with the newcomer settings of `config`.
    pub fn new(config: &FloodConfig) -> Self {
        let settings = Settings {
            newcomer_ms: millis(config.newcomer_secs),
            span_ms: millis(config.newcomer_link_window_secs),
            fires_at: config.newcomer_min_links.max(1),
        };
        Newcomers {
            joins: Joins::new(settings.newcomer_ms),
            links: Bursts::new(settings.span_ms, settings.fires_at),
            settings,
        }
    }

    /// Notes the join `event`; the finding when the member has already posted enough links.
    pub fn on_join(&mut self, event: &Event) -> Option<ModerationFinding> {
        self.joins
            .record(&event.community_id, &event.user_id, event.ts_ms);
        let key = (event.community_id.clone(), event.user_id.clone());
        let burst = self.links.get_mut(&key)?;
        check(&self.joins, self.settings, event, burst)
    }

    /// Counts the chat message `event`, which has a link; the finding when it completes a burst
    /// of links from a new member.
    pub fn on_link(&mut self, event: &Event, channel: &str) -> Option<ModerationFinding> {
        let key = (event.community_id.clone(), event.user_id.clone());
        let burst = self.links.push(key, event.ts_ms, channel.to_string())?;
        check(&self.joins, self.settings, event, burst)
    }

    /// Joins remembered plus members with recent links.
    pub fn tracked(&self) -> usize {
        self.joins.len() + self.links.len()
    }

    /// Forgets old joins and idle link windows, if due.
    pub fn sweep_if_due(&mut self, now_ms: i64) {
        self.joins.sweep_if_due(now_ms);
        self.links.sweep_if_due(now_ms);
    }
}

/// The finding, when `burst` (the member's link messages) is at its threshold, not reported yet,
/// and its newest message came less than `newcomer_ms` after the member's join.
fn check(
    joins: &Joins,
    settings: Settings,
    event: &Event,
    burst: &mut Burst<String>,
) -> Option<ModerationFinding> {
    let joined = joins.joined_at(&event.community_id, &event.user_id)?;
    let (last_ts, last_channel) = burst.window().iter().last()?;
    let since_join = last_ts.checked_sub(joined)?;
    if !(0..settings.newcomer_ms).contains(&since_join) {
        return None;
    }
    let channel = last_channel.clone();
    let count = burst.fire()?;
    let mut channels: Vec<&String> = burst.window().iter().map(|(_, c)| c).collect();
    channels.sort_unstable();
    channels.dedup();
    let evidence = format!(
        "{} with links in {} within {}, {} min after joining",
        counted(count, "message"),
        counted(channels.len(), "channel"),
        duration_text(settings.span_ms),
        since_join / 60_000,
    );
    Some(NEW_MEMBER_LINKS.finding(event, &channel, ratio(count, settings.fires_at), evidence))
}
