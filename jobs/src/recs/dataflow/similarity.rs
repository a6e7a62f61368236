//! Item-item similarity from co-occurrence in member histories, and each item's top-M neighbours.
//!
//! Every member adds to each pair (i, j) of their history and to each item's mass; the sums are
//! integers (millionths) so they are exact whatever order the facts arrive in. What a member adds
//! depends on the measure:
//!
//! * RP3β: 1/n to the pair (the member's share of a random walk from i through them to j, n being
//!   their history length) and 1 to the mass (the item's degree); similarity(i → j) =
//!   co(i, j) / (degree(i) · degree(j)^β). Not symmetric: row i ranks what a walk from i reaches.
//! * Cosine and Jaccard: w_i·w_j / n^damping to the pair and w_i² / n^damping to the mass.

use super::history::HistoryItem;
use super::topk::top_k;
use super::{Coll, Scoped};
use crate::recs::config::{RecsConfig, Similarity};
use cohort_schemas::serving::SCORE_SCALE;

/// Units of co-occurrence per 1.0: fine enough that a 1/n share of a long history keeps six digits.
const COOC_SCALE: f64 = 1_000_000.0;

/// RP3β similarities are walk probabilities, mostly far below 0.001; they are reported ×1000 so
/// that millionths keep at least three significant digits.
const RP3_SCALE: f64 = 1000.0;

/// ((community, item), (rank, neighbour, similarity in millionths)).
pub(crate) type Neighbours<'s> = Coll<'s, (Scoped, (u32, String, i64))>;

/// One member's contribution (in `COOC_SCALE` units) to the pair of items with strengths `a` and
/// `b`, or, with `pair == false`, to the mass of an item of strength `a == b`.
pub(crate) fn contribution(config: &RecsConfig, a: i64, b: i64, length: u32, pair: bool) -> isize {
    let length = f64::from(length.max(1));
    let value = match config.similarity {
        Similarity::Rp3beta if pair => 1.0 / length,
        Similarity::Rp3beta => 1.0,
        Similarity::Cosine | Similarity::Jaccard => {
            (a * b) as f64 / length.powf(config.member_damping)
        }
    };
    (value * COOC_SCALE).round() as isize
}

/// Similarity of item a to item b in millionths, from their co-occurrence and masses.
pub(crate) fn similarity(config: &RecsConfig, co: isize, mass_a: isize, mass_b: isize) -> i64 {
    let (co, a, b) = (
        co as f64 / COOC_SCALE,
        mass_a as f64 / COOC_SCALE,
        mass_b as f64 / COOC_SCALE,
    );
    let value = match config.similarity {
        Similarity::Rp3beta => RP3_SCALE * co / (a * b.powf(config.popularity_penalty)),
        Similarity::Cosine => co / ((a * b).sqrt() + config.shrink),
        Similarity::Jaccard => co / (a + b - co + config.shrink),
    };
    if value.is_finite() {
        (value * SCORE_SCALE).round() as i64
    } else {
        0
    }
}

/// The top `config.neighbours` items by similarity, per item.
pub(crate) fn neighbours<'s>(
    history: Coll<'s, (Scoped, HistoryItem)>,
    config: &RecsConfig,
) -> Neighbours<'s> {
    let settings = config.clone();
    let masses = history
        .clone()
        .explode(move |((community, _), h)| {
            let c = contribution(&settings, h.strength, h.strength, h.length, false);
            Some(((community, h.item), c))
        })
        .count();
    let by_member = history.arrange_by_key();
    let settings = config.clone();
    let cooccurrence = by_member
        .clone()
        .join_core(by_member, move |(community, _), a, b| {
            // A member's contribution to a pair is symmetric, so each unordered pair is counted
            // once and mirrored afterwards: half the records through the largest count.
            (a.item < b.item).then(|| {
                let c = contribution(&settings, a.strength, b.strength, a.length, true);
                ((community.clone(), a.item.clone(), b.item.clone()), c)
            })
        })
        .explode(|(pair, c)| Some((pair, c)))
        .count();
    let settings = config.clone();
    let kept = config.neighbours;
    let scored = cooccurrence
        .flat_map(|((community, a, b), co)| {
            [
                ((community.clone(), a.clone()), (b.clone(), co)),
                ((community, b), (a, co)),
            ]
        })
        .join_map(masses.clone(), |(community, a), (b, co), mass_a| {
            ((community.clone(), b.clone()), (a.clone(), *co, *mass_a))
        })
        .join_map(masses, move |(community, b), (a, co, mass_a), mass_b| {
            let s = similarity(&settings, *co, *mass_a, *mass_b);
            ((community.clone(), a.clone()), (b.clone(), s))
        });
    top_neighbours(scored, kept)
}

/// Each item's `kept` best-scored other items (positive scores only), ranked from 1: the shape of
/// `similar_items`, whatever the scores come from.
pub(crate) fn top_neighbours<'s>(
    scored: Coll<'s, (Scoped, (String, i64))>,
    kept: usize,
) -> Neighbours<'s> {
    scored
        .filter(|(_, (_, s))| *s > 0)
        .reduce(move |_item, candidates, out| {
            let scored = candidates
                .iter()
                .map(|((b, s), _)| (*s, b.clone()))
                .collect();
            for (rank, b, s) in top_k(scored, kept) {
                out.push(((rank, b, s), 1));
            }
        })
}
