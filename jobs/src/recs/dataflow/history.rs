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
    /// How many items this (capped) history holds (0 in the scoring part, which does not use it).
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

/// A member's histories.
pub(crate) struct Histories<'s> {
    /// The most recent `config.history` items: what co-occurrence is counted over.
    pub similarity: Coll<'s, (Scoped, HistoryItem)>,
    /// The most recent `config.score_history` items, as (item, strength): what a member's scores
    /// sum over. No length: it would rewrite every record of a growing history at each new item,
    /// and scoring only needs to know which items are in.
    pub scoring: Coll<'s, (Scoped, (String, i64))>,
}

/// Both histories of every member, from one reduce (a record changes only when its item enters or
/// leaves that part, or, in the similarity part, when the length changes).
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
                let length = match part {
                    Part::Similarity => u32::try_from(latest.len().min(cap)).unwrap_or(u32::MAX),
                    Part::Scoring => 0,
                };
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
        scoring: of(Part::Scoring).map(|(member, h)| (member, (h.item, h.strength))),
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
