//! J1 and J2 as differential dataflows, with the operators the recommendation dataflow uses for the
//! same shapes (`count` for its per-key sums, and `arrange_by_key` + a self `join_core` keeping a < b
//! for its co-occurrence; see `cohort_jobs::recs::dataflow`), so they cost what the product costs.

use cohort_schemas::Kind;

use super::input::Coll;

/// J1's key: (community_id, item_id, kind).
pub(crate) type CountKey = (String, String, Kind);

/// J2's key: (community_id, item_a, item_b) with item_a < item_b.
pub(crate) type PairKey = (String, String, String);

/// J1: the number of events per (community, item, kind).
pub(crate) fn count<'s>(touches: Coll<'s, CountKey>) -> Coll<'s, (CountKey, isize)> {
    touches.count()
}

/// J2: per community, for each pair of distinct items a < b (string order) that one user touched,
/// the number of distinct users who touched both. `touches` are (community, user, item).
pub(crate) fn cooc<'s>(touches: Coll<'s, (String, String, String)>) -> Coll<'s, (PairKey, isize)> {
    // A user who touched an item several times counts once for it.
    let by_member = touches
        .distinct()
        .map(|(community, user, item)| ((community, user), item))
        .arrange_by_key();
    by_member
        .clone()
        .join_core(by_member, |(community, _user), a, b| {
            (a < b).then(|| (community.clone(), a.clone(), b.clone()))
        })
        .count()
}
