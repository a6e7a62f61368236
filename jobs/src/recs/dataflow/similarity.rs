//! Item-item similarity from co-occurrence in member histories, and each item's top-M neighbours.
//!
//! A member with history length n contributes w_i·w_j / n^damping to the pair (i, j) and w_i² / n^damping
//! to item i's norm; contributions are integers in thousandths so their sums are exact.

use super::history::HistoryItem;
use super::topk::top_k;
use super::{Coll, Scoped};
use crate::recs::config::{RecsConfig, Similarity};
use cohort_schemas::serving::SCORE_SCALE;

/// Units of co-occurrence per 1.0.
const COOC_SCALE: f64 = 1000.0;

/// ((community, item), (rank, neighbour, similarity in millionths)).
pub(crate) type Neighbours<'s> = Coll<'s, (Scoped, (u32, String, i64))>;

/// One member's contribution to a pair (or, with `a == b`, to a norm), in thousandths.
pub(crate) fn contribution(a: i64, b: i64, length: u32, damping: f64) -> isize {
    let scaled = (a * b) as f64 * COOC_SCALE / f64::from(length.max(1)).powf(damping);
    scaled.round() as isize
}

/// Similarity in millionths from co-occurrence and the two norms (all in thousandths).
pub(crate) fn similarity(config: &RecsConfig, co: isize, norm_a: isize, norm_b: isize) -> i64 {
    let (co, a, b) = (
        co as f64 / COOC_SCALE,
        norm_a as f64 / COOC_SCALE,
        norm_b as f64 / COOC_SCALE,
    );
    let value = match config.similarity {
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
    let damping = config.member_damping;
    let norms = history
        .clone()
        .explode(move |((community, _), h)| {
            let c = contribution(h.strength, h.strength, h.length, damping);
            Some(((community, h.item), c))
        })
        .count();
    let by_member = history.arrange_by_key();
    let cooccurrence = by_member
        .clone()
        .join_core(by_member, move |(community, _), a, b| {
            (a.item != b.item).then(|| {
                let c = contribution(a.strength, b.strength, a.length, damping);
                ((community.clone(), a.item.clone(), b.item.clone()), c)
            })
        })
        .explode(|(pair, c)| Some((pair, c)))
        .count();
    let settings = config.clone();
    let kept = config.neighbours;
    cooccurrence
        .map(|((community, a, b), co)| ((community, a), (b, co)))
        .join_map(norms.clone(), |(community, a), (b, co), norm_a| {
            ((community.clone(), b.clone()), (a.clone(), *co, *norm_a))
        })
        .join_map(norms, move |(community, b), (a, co, norm_a), norm_b| {
            let s = similarity(&settings, *co, *norm_a, *norm_b);
            ((community.clone(), a.clone()), (b.clone(), s))
        })
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
