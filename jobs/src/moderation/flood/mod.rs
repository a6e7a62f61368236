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
use cohort_schemas::moderation::ChatScan;

pub use config::FloodConfig;
use duplicates::Duplicates;
use newcomers::Newcomers;
use rate::Rate;

use super::finding::ModerationFinding;
use super::normalize::{Normalized, normalize};
use super::pii::{self, PiiKind};

/// What the flood rules need of one chat message: where it was posted, its near-duplicate
/// fingerprint and whether it carries a link. Much smaller than the message, and free of its text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChatSignal {
    /// The channel.
    pub channel_id: String,
    /// Characters of the message's [`simhash::skeleton`] (short ones are never duplicates).
    pub chars: usize,
    /// The skeleton's [`simhash::simhash`].
    pub fingerprint: u64,
    /// Whether the message holds a link or an invite link.
    pub has_link: bool,
}

impl ChatSignal {
    /// The signal of `chat`, normalised as `norm`, in which the PII detectors found `found`
    /// (contact details and links are masked out of the fingerprint: a campaign rotating phone
    /// numbers is still one text).
    pub fn of(chat: &Chat, norm: &Normalized, found: &[pii::Finding]) -> ChatSignal {
        let contacts: Vec<Range<usize>> = found.iter().map(|f| f.normalized.clone()).collect();
        let skeleton = simhash::skeleton(norm.text(), &contacts);
        ChatSignal {
            channel_id: chat.channel_id.clone(),
            chars: skeleton.len(),
            fingerprint: simhash::simhash(&skeleton),
            has_link: found
                .iter()
                .any(|f| matches!(f.kind, PiiKind::Url | PiiKind::InviteLink)),
        }
    }
}

impl ChatSignal {
    /// The signal a [`ChatScan`] carries.
    pub fn of_scan(scan: &ChatScan) -> ChatSignal {
        ChatSignal {
            channel_id: scan.channel_id.clone(),
            chars: scan.chars as usize,
            fingerprint: scan.fingerprint,
            has_link: scan.has_link,
        }
    }
}

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
    /// personal data and links (`found`).
    pub fn observe_chat(
        &mut self,
        event: &Event,
        chat: &Chat,
        norm: &Normalized,
        found: &[pii::Finding],
    ) -> Vec<ModerationFinding> {
        self.observe_signal(event, &ChatSignal::of(chat, norm, found))
    }

    /// [`FloodDetector::observe`] for a chat message reduced to its [`ChatSignal`], as the
    /// moderation job sends it from the worker that scanned the message.
    pub fn observe_signal(&mut self, event: &Event, signal: &ChatSignal) -> Vec<ModerationFinding> {
        self.advance_to(event.ts_ms);
        let channel = signal.channel_id.as_str();
        let mut out = Vec::new();
        out.extend(self.rate.observe(event, channel));
        out.extend(self.duplicates.observe_fingerprint(
            event,
            channel,
            signal.chars,
            signal.fingerprint,
        ));
        if signal.has_link {
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
