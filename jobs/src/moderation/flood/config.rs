//! The flood detector's settings.

use serde::{Deserialize, Serialize};

/// Thresholds of the flood and link-burst rules. Every window is in seconds of event time.
///
/// ```toml
/// rate_window_secs = 60
/// rate_max_messages = 10
/// duplicate_window_secs = 600
/// duplicate_min_messages = 5
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FloodConfig {
    /// `flood.rate` counts one member's messages in one channel over this window (default 60 s).
    pub rate_window_secs: u64,
    /// The most messages a member may post in one channel within the rate window; one more fires
    /// `flood.rate` (default 10: well above a fast typist splitting thoughts over several lines).
    pub rate_max_messages: usize,
    /// `flood.duplicate` looks for copies of a text within this window (default 600 s: campaigns
    /// are posted within minutes, and a longer window costs memory for every message).
    pub duplicate_window_secs: u64,
    /// Near-identical messages (SimHash at most `duplicate_max_bits` apart) in the window that
    /// fire `flood.duplicate` (default 5).
    pub duplicate_min_messages: usize,
    /// Fingerprints at most this many bits apart are copies of one text (default 3; larger than 7
    /// counts as 7).
    /// 3 bits finds copies that differ in case, width, punctuation, spacing, emoji, numbers or
    /// links, and long texts with a small edit, but few one-word edits of chat-length messages;
    /// 7 finds most of those as well (figures in [`super::simhash`]) at the cost of comparing
    /// about 1/32 of the window for each message.
    pub duplicate_max_bits: u32,
    /// The copies fire only when they come from at least this many members or were posted in at
    /// least `duplicate_min_channels` channels (default 2: one member repeating themselves in one
    /// channel is `flood.rate`'s business).
    pub duplicate_min_members: usize,
    /// See `duplicate_min_members` (default 2: the same text dropped in several channels is a
    /// campaign even from one account).
    pub duplicate_min_channels: usize,
    /// Messages with fewer letters, digits and ideographs than this are never duplicates (default
    /// 12): "ok", "+1", "谢谢", "thanks!" are said by many members and are not spam.
    pub duplicate_min_chars: usize,
    /// A member counts as new for this long after joining (default 24 h).
    pub newcomer_secs: u64,
    /// `spam.new_member_links` counts a new member's messages with links over this window
    /// (default 600 s).
    pub newcomer_link_window_secs: u64,
    /// Messages with links from a new member within that window that fire `spam.new_member_links`
    /// (default 3: accounts made to drop links start at once; a newcomer sharing one or two
    /// resources is normal).
    pub newcomer_min_links: usize,
}

impl Default for FloodConfig {
    fn default() -> Self {
        FloodConfig {
            rate_window_secs: 60,
            rate_max_messages: 10,
            duplicate_window_secs: 600,
            duplicate_min_messages: 5,
            duplicate_max_bits: 3,
            duplicate_min_members: 2,
            duplicate_min_channels: 2,
            duplicate_min_chars: 12,
            newcomer_secs: 24 * 3600,
            newcomer_link_window_secs: 600,
            newcomer_min_links: 3,
        }
    }
}
