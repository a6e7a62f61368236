//! What the scoring operator receives: changes to the inputs of members' lists.

use serde::{Deserialize, Serialize};

/// One change to the inputs of members' lists (it travels with a diff: +1 added, -1 gone).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) enum Update {
    /// `item` is in the member's scored history with `strength`.
    History {
        community: String,
        user: String,
        item: String,
        strength: i64,
    },
    /// The member may not be recommended `item` (bought it, or touched it with `exclude_viewed`).
    Excluded {
        community: String,
        user: String,
        item: String,
    },
    /// `other` is among `item`'s top neighbours with `similarity` in millionths. The rank is left
    /// out on purpose: when a neighbour list only reorders, the changes cancel and no member's
    /// list is recomputed.
    Neighbour {
        community: String,
        item: String,
        other: String,
        similarity: i64,
    },
    /// The community's trending list holds `item` at `rank` with `score`.
    Trending {
        community: String,
        rank: u32,
        item: String,
        score: i64,
    },
}

impl Update {
    /// The member this change is about, or `None` for the changes every member's list may read
    /// (neighbour lists and trending lists), which every worker needs.
    pub(crate) fn member(&self) -> Option<(&str, &str)> {
        match self {
            Update::History {
                community, user, ..
            }
            | Update::Excluded {
                community, user, ..
            } => Some((community, user)),
            Update::Neighbour { .. } | Update::Trending { .. } => None,
        }
    }
}
