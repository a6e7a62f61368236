//! The recommendation dataflow, in differential dataflow over event-time seconds (`u64`).
//!
//! ```text
//! facts ─ interactions (signals net of unlikes/refunds, minus deleted items and erased members)
//!       ├ history: each member's most recent H items            ─┐
//!       ├ co-occurrence over histories → similarity → top-M      ├→ scores → top-K per member
//!       └ trending per community (decayed, two-level top-k) ─────┘   (trending fills short histories)
//! ```
//!
//! Every quantity that is summed through differential is an integer (weights, co-occurrence in
//! thousandths, similarities and scores in millionths), so the incremental result is exactly the
//! batch recompute, whatever order or batching the facts arrive in.

mod history;
mod interactions;
mod scoring;
mod similarity;
mod topk;
mod trending;

use cohort_schemas::serving::ServingRow;
use differential_dataflow::VecCollection;

use super::config::RecsConfig;
use super::facts::Fact;

/// A collection over event-time seconds.
pub(crate) type Coll<'s, D, R = isize> = VecCollection<'s, u64, D, R>;

/// A community and one of its members or items.
pub(crate) type Scoped = (String, String);

/// Builds the dataflow: from facts to the rows of `recommendations` and `similar_items`.
pub fn recommend<'s>(facts: Coll<'s, Fact>, config: &RecsConfig) -> Coll<'s, ServingRow> {
    let pairs = interactions::interactions(facts, config);
    let history = history::history(pairs.clone(), config);
    let neighbours = similarity::neighbours(history.clone(), config);
    let trending = trending::trending(pairs.clone(), config);
    let recommendations = scoring::recommendations(&pairs, history, &neighbours, trending, config);
    let similar = neighbours.map(
        |((community_id, item_id), (rank, other_item_id, score_micros))| ServingRow::SimilarItem {
            community_id,
            item_id,
            rank,
            other_item_id,
            score_micros,
        },
    );
    recommendations.concat(similar)
}
