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

mod pairs;
mod rows;

use super::history::HistoryItem;
use super::stateful::{Route, owner_of, stateful};
use super::topk::top_k;
use super::{Coll, Scoped};
use crate::recs::config::{RecsConfig, Similarity};
use cohort_schemas::serving::SCORE_SCALE;
use pairs::{Cooc, MemberPairs};
use rows::{RowInput, Rows};

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
///
/// Two stateful steps (see [`super::stateful`]): members' history changes become changes of their
/// pair and mass contributions ([`pairs`], by member), and those update each item's row of
/// co-occurrence and its top neighbours ([`rows`], by item). Both are functions of the history
/// collection, so the neighbours equal the batch recompute; they keep plain maps where
/// differential would arrange a record per pair and per candidate.
pub(crate) fn neighbours<'s>(
    history: Coll<'s, (Scoped, HistoryItem)>,
    config: &RecsConfig,
) -> Neighbours<'s> {
    let mut members = MemberPairs::new(config.clone());
    let contributions = stateful(
        history,
        "PairContributions",
        |(member, _): &(Scoped, HistoryItem)| owner_of(member),
        move |updates| members.apply(updates),
    );
    let row_inputs = contributions.flat_map(|cooc| match cooc {
        Cooc::Pair { community, a, b } => vec![
            RowInput::Count {
                community: community.clone(),
                row: a.clone(),
                other: b.clone(),
            },
            RowInput::Count {
                community,
                row: b,
                other: a,
            },
        ],
        Cooc::Mass { community, item } => vec![RowInput::Mass { community, item }],
    });
    let mut rows = Rows::new(config.clone());
    stateful(
        row_inputs,
        "NeighbourRows",
        |input: &RowInput| match input {
            RowInput::Count { community, row, .. } => owner_of(&(community, row)),
            RowInput::Mass { .. } => Route::Everyone,
        },
        move |updates| rows.apply(updates),
    )
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
