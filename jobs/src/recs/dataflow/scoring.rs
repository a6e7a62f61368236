//! Member scores and top-K lists: Σ over the member's scoring history of strength × similarity,
//! excluding what the member already bought (or touched, with `exclude_viewed`); members with a short
//! history get the community's trending items after whatever their few items suggest.
//!
//! Each history item proposes its M neighbours, so a member has S × M proposals. They are summed
//! inside differential's diff (`explode` + `count`), so what is kept is one record per (member,
//! candidate item) rather than one per proposal; the reason of a listed item is found afterwards,
//! for the K listed items only ([`super::reasons`]).

use std::collections::BTreeMap;

use cohort_schemas::serving::{RowParts, ServingRow, ServingTable};

use super::history::HistoryItem;
use super::interactions::Pairs;
use super::reasons::reasons;
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
    /// `item` scores `score` (strength × similarity in millionths, summed over the history).
    Similar { item: String, score: i64 },
    /// `item` is trending in the community at `rank`, with its trending score.
    Trending { rank: u32, item: String, score: i64 },
}

/// Where a listed item came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
enum Origin {
    Similar,
    Trending,
}

/// A listed item: (rank, item, score, origin).
type Listed = (u32, String, i64, Origin);

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
        .clone()
        .map(|((community, user), h)| ((community, h.item), (user, h.strength)))
        .join_map(
            neighbours.clone(),
            |(community, _), (user, strength), (_, item, similarity)| {
                (
                    (community.clone(), user.clone(), item.clone()),
                    strength * similarity,
                )
            },
        )
        .explode(|(candidate, score)| Some((candidate, score as isize)))
        .count()
        .antijoin(excluded.clone())
        .map(|((community, user, item), score)| {
            let score = score as i64;
            ((community, user), Candidate::Similar { item, score })
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
    let listed = similar
        .concat(fallback)
        .reduce(move |_member, candidates, out| {
            for row in rank_candidates(candidates.iter().map(|(c, _)| *c), k) {
                out.push((row, 1));
            }
        });
    let by_similarity = listed
        .clone()
        .filter(|(_, (_, _, _, origin))| *origin == Origin::Similar)
        .map(|((community, user), (rank, item, score, _))| {
            ((community, user, item), (rank, score))
        });
    let explained = by_similarity.clone().join_map(
        reasons(by_similarity.map(|(key, _)| key), history, neighbours),
        |(community, user, item), (rank, score), reason| {
            row(community, user, *rank, item, *score, reason)
        },
    );
    let trending_rows = listed
        .filter(|(_, (_, _, _, origin))| *origin == Origin::Trending)
        .map(|((community, user), (rank, item, score, _))| {
            row(&community, &user, rank, &item, score, TRENDING_REASON)
        });
    explained.concat(trending_rows)
}

/// One row of `recommendations`.
fn row(community: &str, user: &str, rank: u32, item: &str, score: i64, reason: &str) -> ServingRow {
    ServingRow::from_parts(RowParts {
        table: ServingTable::Recommendations,
        community_id: community.to_string(),
        owner: user.to_string(),
        rank,
        item: item.to_string(),
        score_micros: score,
        reason: Some(reason.to_string()),
    })
}

/// A member's list: similar items by summed score, then trending items in their order until `k`
/// rows.
fn rank_candidates<'a>(candidates: impl Iterator<Item = &'a Candidate>, k: usize) -> Vec<Listed> {
    let mut similar: BTreeMap<&str, i64> = BTreeMap::new();
    let mut trending: Vec<(u32, &str, i64)> = Vec::new();
    for candidate in candidates {
        match candidate {
            Candidate::Similar { item, score } => *similar.entry(item).or_insert(0) += score,
            Candidate::Trending { rank, item, score } => trending.push((*rank, item, *score)),
        }
    }
    let scored = similar
        .iter()
        .map(|(item, total)| (*total, *item))
        .collect();
    let mut rows: Vec<Listed> = top_k(scored, k)
        .into_iter()
        .map(|(rank, item, score)| (rank, item.to_string(), score, Origin::Similar))
        .collect();
    trending.sort();
    for (_, item, score) in trending {
        if rows.len() >= k {
            break;
        }
        if rows.iter().any(|r| r.1 == item) {
            continue;
        }
        let rank = u32::try_from(rows.len() + 1).unwrap_or(u32::MAX);
        rows.push((rank, item.to_string(), score, Origin::Trending));
    }
    rows
}
