//! Each member's history, in two lengths: the most recent H items feed co-occurrence (H² pairs per
//! member, so capping H bounds what a single member can cost and keeps old tastes from dominating
//! similarity), and the most recent S items are scored against their neighbours (linear in S, and
//! a fuller profile finds more of what the member likes).

use super::interactions::Pairs;
use super::{Coll, Scoped};
use crate::recs::config::RecsConfig;

/// One item of a member's history.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub(crate) struct HistoryItem {
    /// The item.
    pub item: String,
    /// The member's interaction strength with it.
    pub strength: i64,
    /// How many items this (capped) history holds.
    pub length: u32,
}

/// Which of the two histories a record belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
enum Part {
    /// The most recent `config.history` items.
    Similarity,
    /// The most recent `config.score_history` items.
    Scoring,
}

/// A member's histories: ((community, member), item) per part.
pub(crate) struct Histories<'s> {
    /// The most recent `config.history` items: what co-occurrence is counted over.
    pub similarity: Coll<'s, (Scoped, HistoryItem)>,
    /// The most recent `config.score_history` items: what a member's scores sum over.
    pub scoring: Coll<'s, (Scoped, HistoryItem)>,
}

/// Both histories of every member, from one reduce (a record changes only when its item enters or
/// leaves that part, so one new interaction at the cap moves two records per part, not all of them).
pub(crate) fn histories<'s>(pairs: Pairs<'s>, config: &RecsConfig) -> Histories<'s> {
    let caps = [
        (Part::Similarity, config.history),
        (Part::Scoring, config.score_history),
    ];
    let both = pairs
        .map(|((community, user, item), i)| ((community, user), (i.last_ts_ms, item, i.strength)))
        .reduce(move |_member, items, out| {
            let latest = most_recent(items);
            for (part, cap) in caps {
                let length = u32::try_from(latest.len().min(cap)).unwrap_or(u32::MAX);
                for (item, strength) in latest.iter().take(cap) {
                    let item = HistoryItem {
                        item: (*item).clone(),
                        strength: *strength,
                        length,
                    };
                    out.push(((part, item), 1));
                }
            }
        });
    let of = |part: Part| {
        both.clone()
            .filter(move |(_, (p, _))| *p == part)
            .map(|(member, (_, item))| (member, item))
    };
    Histories {
        similarity: of(Part::Similarity),
        scoring: of(Part::Scoring),
    }
}

/// A member's items, latest first (equal times by item id), with their strengths.
fn most_recent<'a>(items: &[(&'a (i64, String, i64), isize)]) -> Vec<(&'a String, i64)> {
    let mut latest: Vec<&(i64, String, i64)> = items.iter().map(|(v, _)| *v).collect();
    latest.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    latest
        .into_iter()
        .map(|(_, item, strength)| (item, *strength))
        .collect()
}
