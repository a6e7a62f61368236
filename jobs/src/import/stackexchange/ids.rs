//! The ids a dump's rows get in cohort: members `u<UserId>`, items `q<Id>` (questions) and `a<Id>`
//! (answers), and event ids that are unique across sites.
//!
//! Event ids start with the community, so two sites replayed into one data directory never
//! de-duplicate each other's events, and name the row they come from, so an event can be traced
//! back to the dump.

use cohort_schemas::{Event, Payload};

/// The member of an item whose author the dump does not name (posts of deleted users carry a
/// display name only). Items need a `user_id`; one placeholder keeps them without inventing people.
pub const UNKNOWN_MEMBER: &str = "u-unknown";

/// Longest community id the import derives or accepts: event ids (at most 128 bytes) are the
/// community plus a row reference.
pub const MAX_COMMUNITY_BYTES: usize = 64;

/// The community a site's events belong to, and the ids derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    community: String,
}

impl Ids {
    /// Ids of `community` (already checked by [`community_id`]).
    pub fn new(community: &str) -> Ids {
        Ids {
            community: community.to_string(),
        }
    }

    /// The community id.
    pub fn community(&self) -> &str {
        &self.community
    }

    /// The member id of a dump user id.
    pub fn member(&self, user: i64) -> String {
        format!("u{user}")
    }

    /// The item id of a question.
    pub fn question(&self, post: i64) -> String {
        format!("q{post}")
    }

    /// The item id of an answer.
    pub fn answer(&self, post: i64) -> String {
        format!("a{post}")
    }

    /// An event of this community; `what` names the row it came from (`post:12`, `comment:7`).
    pub fn event(&self, what: &str, ts_ms: i64, user_id: String, payload: Payload) -> Event {
        Event {
            event_id: format!("{}:{what}", self.community),
            ts_ms,
            community_id: self.community.clone(),
            user_id,
            payload,
            extra: None,
        }
    }
}

/// The community id for a dump: `given` when set, else the dump directory's name, lower-cased with
/// anything but letters, digits, `.`, `_` and `-` turned into `-`. `None` when that leaves nothing
/// usable or is longer than [`MAX_COMMUNITY_BYTES`].
pub fn community_id(given: Option<&str>, dir_name: Option<&str>) -> Option<String> {
    let id = match given {
        Some(g) => g.to_string(),
        None => dir_name?
            .chars()
            .map(|c| {
                let c = c.to_ascii_lowercase();
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '-'
                }
            })
            .collect::<String>()
            .trim_matches('-')
            .to_string(),
    };
    (!id.trim().is_empty() && id.len() <= MAX_COMMUNITY_BYTES).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_community_comes_from_the_flag_or_the_directory_name() {
        assert_eq!(
            community_id(None, Some("se-history-meta")).as_deref(),
            Some("se-history-meta")
        );
        assert_eq!(
            community_id(None, Some("History Meta (2018)")).as_deref(),
            Some("history-meta--2018")
        );
        assert_eq!(
            community_id(Some("history"), Some("dump")).as_deref(),
            Some("history")
        );
        assert_eq!(community_id(None, Some("()")), None);
        assert_eq!(community_id(None, None), None);
        assert_eq!(community_id(Some(&"x".repeat(65)), None), None);
    }

    #[test]
    fn ids_name_their_row() {
        let ids = Ids::new("meta");
        assert_eq!(ids.member(-1), "u-1");
        assert_eq!(ids.question(3), "q3");
        assert_eq!(ids.answer(4), "a4");
        let e = ids.event("post:3", 5, "u1".into(), Payload::Erasure);
        assert_eq!(e.event_id, "meta:post:3");
        assert_eq!(e.community_id, "meta");
    }
}
