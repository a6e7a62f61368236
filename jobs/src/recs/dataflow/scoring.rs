//! Member scores and top-K lists: Σ over the member's history of similarity × interaction strength,
//! excluding what the member already bought (or touched, with `exclude_viewed`); members with a short
//! history get the community's trending items after whatever their few items suggest.

use std::collections::BTreeMap;

use cohort_schemas::serving::{RowParts, ServingRow};

use super::history::HistoryItem;
use super::interactions::Pairs;
use super::similarity::Neighbours;
use super::topk::top_k;
use super::trending::Trending;
use super::{Coll, Scoped};
use crate::recs::config::RecsConfig;

/// The `reason` of rows that come from the trending list.
pub const TRENDING_REASON: &str = "trending";

/// Something that may end up in a member's list.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
enum Candidate {
    /// `item` is a neighbour of history item `from`; contributes strength × similarity (millionths).
    Similar {
        item: String,
        from: String,
        score: i64,
    },
    /// `item` is trending in the community at `rank`, with its trending score.
    Trending { rank: u32, item: String, score: i64 },
}

/// The rows of `recommendations`.
pub(crate) fn recommendations<'s>(
    pairs: &Pairs<'s>,
    history: Coll<'s, (Scoped, HistoryItem)>,
    neighbours: &Neighbours<'s>,
    trending: Trending<'s>,
    config: &RecsConfig,
) -> Coll<'s, ServingRow> {
    let exclude_viewed = config.exclude_viewed;
    let excluded = pairs
        .clone()
        .filter(move |(_, i)| i.bought || exclude_viewed)
        .map(|(pair, _)| pair);
    let min_history = u32::try_from(config.min_history).unwrap_or(u32::MAX);
    let short = history
        .clone()
        .map(|(member, h)| (member, h.length))
        .distinct()
        .filter(move |(_, length)| *length < min_history)
        .map(|((community, user), _)| (community, user));
    let similar = history
        .map(|((community, user), h)| ((community, h.item), (user, h.strength)))
        .join_map(
            neighbours.clone(),
            |(community, from), (user, strength), (_, item, similarity)| {
                let score = strength * similarity;
                (
                    (community.clone(), user.clone(), item.clone()),
                    (from.clone(), score),
                )
            },
        )
        .antijoin(excluded.clone())
        .map(|((community, user, item), (from, score))| {
            ((community, user), Candidate::Similar { item, from, score })
        });
    let fallback = short
        .join_map(trending, |community, user, (rank, item, score)| {
            (
                (community.clone(), user.clone(), item.clone()),
                (*rank, *score),
            )
        })
        .antijoin(excluded)
        .map(|((community, user, item), (rank, score))| {
            ((community, user), Candidate::Trending { rank, item, score })
        });
    let k = config.top_k;
    similar
        .concat(fallback)
        .reduce(move |_member, candidates, out| {
            for row in rank_candidates(candidates.iter().map(|(c, _)| *c), k) {
                out.push((row, 1));
            }
        })
        .map(
            |((community_id, owner), (rank, item, score_micros, reason))| {
                ServingRow::from_parts(RowParts {
                    community_id,
                    owner,
                    rank,
                    item,
                    score_micros,
                    reason: Some(reason),
                })
            },
        )
}

/// A member's list: similar items by summed score (reason: the history item contributing most),
/// then trending items in their order until `k` rows. Rows are (rank, item, score, reason).
fn rank_candidates<'a>(
    candidates: impl Iterator<Item = &'a Candidate>,
    k: usize,
) -> Vec<(u32, String, i64, String)> {
    // Per item: total score and the best (score, history item), ties to the smaller id.
    let mut similar: BTreeMap<&str, (i64, i64, &str)> = BTreeMap::new();
    let mut trending: Vec<(u32, &str, i64)> = Vec::new();
    for candidate in candidates {
        match candidate {
            Candidate::Similar { item, from, score } => {
                let slot = similar.entry(item).or_insert((0, i64::MIN, from));
                slot.0 += score;
                if *score > slot.1 || (*score == slot.1 && from.as_str() < slot.2) {
                    (slot.1, slot.2) = (*score, from);
                }
            }
            Candidate::Trending { rank, item, score } => trending.push((*rank, item, *score)),
        }
    }
    let scored = similar
        .iter()
        .map(|(item, (total, _, _))| (*total, *item))
        .collect();
    let mut rows: Vec<(u32, String, i64, String)> = top_k(scored, k)
        .into_iter()
        .map(|(rank, item, score)| (rank, item.to_string(), score, similar[item].2.to_string()))
        .collect();
    trending.sort();
    for (_, item, score) in trending {
        if rows.len() >= k {
            break;
        }
        if similar.contains_key(item) && rows.iter().any(|r| r.1 == item) {
            continue;
        }
        let rank = u32::try_from(rows.len() + 1).unwrap_or(u32::MAX);
        rows.push((rank, item.to_string(), score, TRENDING_REASON.to_string()));
    }
    rows
}
