//! `flood.duplicate`: one text posted again and again, by several members or in several channels.
//!
//! Every message long enough to be more than a greeting is fingerprinted ([`super::simhash`]) and
//! kept, per community, for the duplicate window. Finding its copies must not cost a comparison
//! with every message of the window, so fingerprints are indexed by bands: with copies defined as
//! at most `k` bits apart (`duplicate_max_bits`, default 3), the 64 bits are cut into `k + 1`
//! bands (four of 16 bits by default), and two fingerprints `k` bits apart agree on at least one
//! whole band (`k` differing bits touch at most `k` bands). The copies of a message are therefore
//! among the messages sharing one of its bands, and only those are compared. Wider distances mean
//! narrower bands, which chance collisions fill: at 7 bits (8 bands of 8 bits) a lookup compares
//! about 1/32 of the window, hence the limit [`MAX_BITS_LIMIT`].
//!
//! A campaign is reported once: when the copies of a message reach the thresholds, they are all
//! marked reported, and later copies (marked too) fire again only once fewer than the threshold's
//! worth of reported copies are left in the window — after the campaign has died down.

use std::collections::{HashMap, VecDeque};

use cohort_schemas::Event;
use cohort_schemas::activity::Severity;

use super::FloodConfig;
use super::expiring::ExpiringMap;
use super::simhash::{hamming, stable_hash};
use super::window::{Window, millis};
use crate::moderation::finding::{
    ModerationFinding, ModerationKind, Rule, counted, duration_text, ratio,
};

/// The rule.
pub const DUPLICATE: Rule = Rule {
    name: "flood.duplicate",
    kind: ModerationKind::Spam,
    severity: Severity::Major,
};

/// The widest `duplicate_max_bits` the index supports (8 bands of 8 bits); larger settings are
/// taken as this.
pub const MAX_BITS_LIMIT: u32 = 7;

/// Candidates compared per band, newest first. In a campaign of thousands of copies a band holds
/// thousands of entries; the newest few hundred settle whether the message is part of a reported
/// campaign, so the work per message stays bounded when the window is full of one text.
const MAX_CANDIDATES_PER_BAND: usize = 256;

/// Per band, the ids of the records with each value of that band, oldest first.
type BandIndex = Vec<HashMap<u64, VecDeque<u64>>>;

/// Band `i` of `count` contiguous, nearly equal bands of a fingerprint.
fn band(fingerprint: u64, i: usize, count: usize) -> u64 {
    let (start, end) = (64 * i / count, 64 * (i + 1) / count);
    let width = end - start;
    let mask = if width >= 64 {
        u64::MAX
    } else {
        (1 << width) - 1
    };
    (fingerprint >> start) & mask
}

/// One fingerprinted message. Member and channel are kept as hashes: only their number matters.
#[derive(Debug, Clone)]
struct Record {
    fingerprint: u64,
    member: u64,
    channel: u64,
    reported: bool,
}

/// What the thresholds need of a detector's settings.
#[derive(Debug, Clone, Copy)]
struct Thresholds {
    messages: usize,
    members: usize,
    channels: usize,
}

/// A message and its copies in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Copies {
    messages: usize,
    members: usize,
    channels: usize,
}

/// The duplicate window of one community and its band index.
#[derive(Debug)]
struct CommunityIndex {
    window: Window<u64>,
    records: HashMap<u64, Record>,
    max_bits: u32,
    bands: BandIndex,
    next_id: u64,
}

impl CommunityIndex {
    fn new(span_ms: i64, max_bits: u32) -> Self {
        let max_bits = max_bits.min(MAX_BITS_LIMIT);
        CommunityIndex {
            window: Window::new(span_ms),
            records: HashMap::new(),
            max_bits,
            bands: (0..=max_bits).map(|_| HashMap::new()).collect(),
            next_id: 0,
        }
    }

    fn expire(&mut self, now_ms: i64) {
        let (records, bands) = (&mut self.records, &mut self.bands);
        self.window
            .expire_evicting(now_ms, |id| forget(records, bands, id));
    }

    /// Adds a message; returns its copies when they make a campaign not reported yet.
    fn add(&mut self, ts_ms: i64, mut record: Record, at_least: Thresholds) -> Option<Copies> {
        self.expire(ts_ms);
        if !self.window.accepts(ts_ms) {
            return None;
        }
        let near = self.near(record.fingerprint);
        let copies = self.count(&near, &record);
        let reported = near
            .iter()
            .filter(|id| self.records.get(id).is_some_and(|r| r.reported))
            .count();
        let campaign = copies.messages >= at_least.messages
            && (copies.members >= at_least.members || copies.channels >= at_least.channels);
        let fire = campaign && reported < at_least.messages;
        if fire {
            for id in &near {
                if let Some(r) = self.records.get_mut(id) {
                    r.reported = true;
                }
            }
        }
        record.reported = campaign;
        self.insert(ts_ms, record);
        fire.then_some(copies)
    }

    /// The ids of the records at most `max_bits` bits from `fingerprint`.
    fn near(&self, fingerprint: u64) -> Vec<u64> {
        let mut ids = Vec::new();
        let count = self.bands.len();
        for (i, index) in self.bands.iter().enumerate() {
            let Some(bucket) = index.get(&band(fingerprint, i, count)) else {
                continue;
            };
            for id in bucket.iter().rev().take(MAX_CANDIDATES_PER_BAND) {
                if let Some(r) = self.records.get(id)
                    && hamming(r.fingerprint, fingerprint) <= self.max_bits
                {
                    ids.push(*id);
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn count(&self, near: &[u64], record: &Record) -> Copies {
        let others = near.iter().filter_map(|id| self.records.get(id));
        let (mut members, mut channels): (Vec<u64>, Vec<u64>) = others
            .map(|r| (r.member, r.channel))
            .chain([(record.member, record.channel)])
            .unzip();
        members.sort_unstable();
        members.dedup();
        channels.sort_unstable();
        channels.dedup();
        Copies {
            messages: near.len() + 1,
            members: members.len(),
            channels: channels.len(),
        }
    }

    fn insert(&mut self, ts_ms: i64, record: Record) {
        let id = self.next_id;
        self.next_id += 1;
        let count = self.bands.len();
        for (i, index) in self.bands.iter_mut().enumerate() {
            index
                .entry(band(record.fingerprint, i, count))
                .or_default()
                .push_back(id);
        }
        self.records.insert(id, record);
        self.window.push(ts_ms, id);
    }
}

/// Removes an evicted record from the records and the band index. Records leave roughly in the
/// order they came, so the id is found near the front of its buckets.
fn forget(records: &mut HashMap<u64, Record>, bands: &mut BandIndex, id: u64) {
    let Some(record) = records.remove(&id) else {
        return;
    };
    let count = bands.len();
    for (i, index) in bands.iter_mut().enumerate() {
        let key = band(record.fingerprint, i, count);
        let Some(bucket) = index.get_mut(&key) else {
            continue;
        };
        if let Some(at) = bucket.iter().position(|x| *x == id) {
            bucket.remove(at);
        }
        if bucket.is_empty() {
            index.remove(&key);
        }
    }
}

/// The `flood.duplicate` rule over all communities.
#[derive(Debug)]
pub struct Duplicates {
    span_ms: i64,
    max_bits: u32,
    at_least: Thresholds,
    min_chars: usize,
    communities: ExpiringMap<String, CommunityIndex>,
}

impl Duplicates {
    /// The rule with the duplicate settings of `config`.
    pub fn new(config: &FloodConfig) -> Self {
        let span_ms = millis(config.duplicate_window_secs);
        Duplicates {
            span_ms,
            max_bits: config.duplicate_max_bits,
            at_least: Thresholds {
                messages: config.duplicate_min_messages.max(1),
                members: config.duplicate_min_members,
                channels: config.duplicate_min_channels,
            },
            min_chars: config.duplicate_min_chars,
            communities: ExpiringMap::new(span_ms),
        }
    }

    /// Records the chat message `event` (in `channel`, with the [`super::simhash::skeleton`]
    /// `skeleton`) and returns the finding when it completes a campaign of copies. Skeletons
    /// shorter than `duplicate_min_chars` are ignored.
    pub fn observe(
        &mut self,
        event: &Event,
        channel: &str,
        skeleton: &[char],
    ) -> Option<ModerationFinding> {
        let fingerprint = super::simhash::simhash(skeleton);
        self.observe_fingerprint(event, channel, skeleton.len(), fingerprint)
    }

    /// [`Duplicates::observe`] for a skeleton of `chars` characters already fingerprinted (the
    /// moderation job fingerprints on the worker that read the message, and sends only this on).
    pub fn observe_fingerprint(
        &mut self,
        event: &Event,
        channel: &str,
        chars: usize,
        fingerprint: u64,
    ) -> Option<ModerationFinding> {
        if chars < self.min_chars {
            return None;
        }
        let record = Record {
            fingerprint,
            member: stable_hash(event.user_id.as_bytes()),
            channel: stable_hash(channel.as_bytes()),
            reported: false,
        };
        let (span_ms, max_bits) = (self.span_ms, self.max_bits);
        let copies = self
            .communities
            .get_or_insert_with(event.community_id.clone(), || {
                CommunityIndex::new(span_ms, max_bits)
            })
            .add(event.ts_ms, record, self.at_least)?;
        let evidence = format!(
            "{} of the same text (simhash) by {} in {} within {}",
            counted(copies.messages, "message"),
            counted(copies.members, "member"),
            counted(copies.channels, "channel"),
            duration_text(self.span_ms),
        );
        let score = ratio(copies.messages, self.at_least.messages);
        Some(DUPLICATE.finding(event, channel, score, evidence))
    }

    /// Messages held, over all communities.
    pub fn tracked(&self) -> usize {
        self.communities.values().map(|c| c.records.len()).sum()
    }

    /// Drops the communities whose newest message is a whole window before `now_ms`, at most once
    /// per window. (The others evict their own old messages as new ones come.)
    pub fn sweep_if_due(&mut self, now_ms: i64) {
        self.communities
            .sweep_if_due(now_ms, |c| !c.window.is_stale(now_ms));
    }
}

#[cfg(test)]
mod tests;
