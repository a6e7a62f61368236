//! Trending items per community: popularity with recency, for members with too little history.
//!
//! An interaction of strength w in hour t counts w·2^(t/half_life). Scores are kept as
//! log2 of that sum, so they never overflow, and the ranking does not depend on "now": every item's
//! score would shift by the same amount as time passes. The per-community top-k is taken in two
//! levels (per shard of items, then per community) so one huge community is not one hot reduce.

use super::Coll;
use super::interactions::Pairs;
use super::topk::top_k;
use crate::recs::config::RecsConfig;
use cohort_schemas::serving::SCORE_SCALE;

/// Shards of a community's items in the first level of the top-k.
const SHARDS: u64 = 16;

const HOUR_MS: i64 = 3_600_000;

/// (community, (rank, item, score in millionths)) for the community's top `count` items.
pub(crate) type Trending<'s> = Coll<'s, (String, (u32, String, i64))>;

/// Trending lists long enough to fill a member's list after excluding a short history.
pub(crate) fn trending<'s>(pairs: Pairs<'s>, config: &RecsConfig) -> Trending<'s> {
    let count = config.top_k + config.min_history;
    let half_life = config.trending_half_life_hours as f64;
    pairs
        .explode(|((community, _, item), i)| {
            let hour = i.last_ts_ms.div_euclid(HOUR_MS);
            Some(((community, item, hour), i.strength as isize))
        })
        .count()
        .map(|((community, item, hour), weight)| ((community, item), (hour, weight)))
        .reduce(move |_item, hours, out| {
            if let Some(score) = decayed_score(hours, half_life) {
                out.push((score, 1));
            }
        })
        .map(|((community, item), score)| ((community, shard_of(&item)), (score, item)))
        .reduce(move |_shard, items, out| {
            let scored = items.iter().map(|(v, _)| (*v).clone()).collect();
            for (_, item, score) in top_k(scored, count) {
                out.push(((score, item), 1));
            }
        })
        .map(|((community, _), scored)| (community, scored))
        .reduce(move |_community, items, out| {
            let scored = items.iter().map(|(v, _)| (*v).clone()).collect();
            for (rank, item, score) in top_k(scored, count) {
                out.push(((rank, item, score), 1));
            }
        })
}

/// log2(Σ weight·2^(hour/half_life)) in millionths, computed relative to the latest hour.
fn decayed_score(hours: &[(&(i64, isize), isize)], half_life: f64) -> Option<i64> {
    let latest = hours.iter().map(|((h, _), _)| *h).max()?;
    let sum: f64 = hours
        .iter()
        .map(|((h, w), n)| (*w * n) as f64 * ((h - latest) as f64 / half_life).exp2())
        .sum();
    (sum > 0.0).then(|| ((latest as f64 / half_life + sum.log2()) * SCORE_SCALE).round() as i64)
}

/// A stable shard of an item id (FNV-1a), the same on every worker and run.
fn shard_of(item: &str) -> u64 {
    let hash = item.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    hash % SHARDS
}
