//! The recommendation dataflow, in differential dataflow over event-time seconds (`u64`).
//!
//! ```text
//! facts ─ interactions (signals net of unlikes/refunds, minus deleted items and erased members)
//!       ├ histories: each member's most recent H items, and most recent S items ─┐
//!       ├ co-occurrence over the H-histories → similarity → top-M ──────────────┼→ S-history scores
//!       ├ trending per community (decayed, two-level top-k) ────────────────────┘  → top-K per member
//!       │                                 (trending fills short histories; reasons for the K listed)
//!       └ item titles and tags → TF-IDF → content neighbours of items nobody touched yet
//! ```
//!
//! Co-occurrence (`similarity`) and the member lists (`scoring`) are stateful operators
//! ([`stateful`]) over plain maps rather than differential joins and reduces: their records multiply
//! (pairs per member, proposals per member) and differential would arrange each one.
//!
//! Every quantity that is summed through differential is an integer (weights, co-occurrence in
//! thousandths, similarities and scores in millionths), so the incremental result is exactly the
//! batch recompute, whatever order or batching the facts arrive in.

mod content;
mod history;
mod interactions;
mod scoring;
mod similarity;
mod stateful;
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

/// Builds the dataflow: from facts to the rows of `recommendations`, `similar_items` and
/// `trending_items`.
pub fn recommend<'s>(facts: Coll<'s, Fact>, config: &RecsConfig) -> Coll<'s, ServingRow> {
    let states = interactions::item_states(facts.clone());
    let pairs = interactions::interactions(facts, states.clone(), config);
    let histories = history::histories(pairs.clone(), config);
    let neighbours = similarity::neighbours(histories.similarity, config);
    let trending = trending::trending(pairs.clone(), config);
    let top_k = u32::try_from(config.top_k).unwrap_or(u32::MAX);
    let trending_rows = trending
        .clone()
        .filter(move |(_, (rank, _, _))| *rank <= top_k)
        .map(
            |(community_id, (rank, item_id, score_micros))| ServingRow::Trending {
                community_id,
                rank,
                item_id,
                score_micros,
            },
        );
    let recommendations =
        scoring::recommendations(&pairs, histories.scoring, &neighbours, trending, config);
    // items nobody touched yet have no co-occurrence neighbours: theirs come from title and tags
    let content = content::content_neighbours(states, &pairs, config.content_neighbours);
    let similar = neighbours.concat(content).map(
        |((community_id, item_id), (rank, other_item_id, score_micros))| ServingRow::SimilarItem {
            community_id,
            item_id,
            rank,
            other_item_id,
            score_micros,
        },
    );
    recommendations.concat(similar).concat(trending_rows)
}
