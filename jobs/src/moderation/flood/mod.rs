//! Flood and spam-burst detection over chat (issue 6, deliverable 4): rules about how members
//! post rather than what one message says.
//!
//! - [`rate`]: `flood.rate`, one member posting too fast in one channel;
//! - [`duplicates`]: `flood.duplicate`, one text (up to small edits, [`simhash`]) posted again and
//!   again by several members or in several channels;
//! - [`newcomers`]: `spam.new_member_links`, a member who just joined posting links in a burst.
//!
//! The pieces they are built from are shared with the payment rules ([`super::payments`]):
//! [`window`] (a sliding window on event time), [`burst`] (a window that reports each crossing of
//! its threshold once), [`expiring`] (per-key state swept when it ages out) and [`joins`].
//!
//! Everything runs on event time, so a replay finds what the live run found, and all state is
//! bounded by the windows: [`FloodDetector::tracked`] falls to 0 once the stream has moved past
//! the longest window (24 hours for joins).

pub mod burst;
pub mod config;
pub mod duplicates;
pub mod expiring;
pub mod joins;
pub mod newcomers;
pub mod rate;
pub mod simhash;
#[cfg(test)]
pub(crate) mod testing;
pub mod window;

use std::ops::Range;

use cohort_schemas::event::{Chat, Event, MemberAction, Payload};

pub use config::FloodConfig;
use duplicates::Duplicates;
use newcomers::Newcomers;
use rate::Rate;

use super::finding::ModerationFinding;
use super::normalize::{Normalized, normalize};
use super::pii::{self, PiiKind};

/// The flood rules over one stream of events (all communities; state is kept per community).
#[derive(Debug)]
pub struct FloodDetector {
    rate: Rate,
    duplicates: Duplicates,
    newcomers: Newcomers,
    now_ms: Option<i64>,
}

impl FloodDetector {
    /// A detector with no history.
    pub fn new(config: &FloodConfig) -> Self {
        FloodDetector {
            rate: Rate::new(config),
            duplicates: Duplicates::new(config),
            newcomers: Newcomers::new(config),
            now_ms: None,
        }
    }

    /// Takes one event and returns the rules it fires: chat messages feed all three rules, joins
    /// the newcomer rule; every event moves the detector's clock (its newest event time), which
    /// is what idle state is swept against.
    pub fn observe(&mut self, event: &Event) -> Vec<ModerationFinding> {
        match &event.payload {
            Payload::Chat(chat) => {
                let norm = normalize(&chat.text);
                let found = pii::detect_in(&norm);
                self.observe_chat(event, chat, &norm, &found)
            }
            Payload::Member(member) if member.action == MemberAction::Join => {
                self.advance_to(event.ts_ms);
                self.newcomers.on_join(event).into_iter().collect()
            }
            _ => {
                self.advance_to(event.ts_ms);
                Vec::new()
            }
        }
    }

    /// [`FloodDetector::observe`] for a chat message already normalised (`norm`) and scanned for
    /// personal data and links (`found`), as the moderation job does once for all its detectors.
    pub fn observe_chat(
        &mut self,
        event: &Event,
        chat: &Chat,
        norm: &Normalized,
        found: &[pii::Finding],
    ) -> Vec<ModerationFinding> {
        self.advance_to(event.ts_ms);
        let channel = chat.channel_id.as_str();
        let mut out = Vec::new();
        out.extend(self.rate.observe(event, channel));
        let contacts: Vec<Range<usize>> = found.iter().map(|f| f.normalized.clone()).collect();
        let skeleton = simhash::skeleton(norm.text(), &contacts);
        out.extend(self.duplicates.observe(event, channel, &skeleton));
        if found
            .iter()
            .any(|f| matches!(f.kind, PiiKind::Url | PiiKind::InviteLink))
        {
            out.extend(self.newcomers.on_link(event, channel));
        }
        out
    }

    /// Moves the clock to `now_ms` (if later) and drops what has aged out by then: for the job to
    /// call when its watermark advances while no events come. (Each map is swept at most once per
    /// its window of event time, so calling this often costs nothing.)
    pub fn advance_to(&mut self, now_ms: i64) {
        let now = self.now_ms.map_or(now_ms, |n| n.max(now_ms));
        self.now_ms = Some(now);
        self.rate.sweep_if_due(now);
        self.duplicates.sweep_if_due(now);
        self.newcomers.sweep_if_due(now);
    }

    /// Entries held (rate keys, fingerprinted messages, joins, link windows): what bounds the
    /// detector's memory.
    pub fn tracked(&self) -> usize {
        self.rate.tracked() + self.duplicates.tracked() + self.newcomers.tracked()
    }
}

#[cfg(test)]
mod tests;
