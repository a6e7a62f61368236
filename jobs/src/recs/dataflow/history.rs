//! Each member's history: the most recent H distinct items they interacted with. Capping it bounds
//! the co-occurrence work a single member can cause (H² pairs) and keeps old tastes from dominating.

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
    /// How many items the member's (capped) history holds.
    pub length: u32,
}

/// ((community, member), history item) for the most recent `config.history` items of each member.
pub(crate) fn history<'s>(
    pairs: Pairs<'s>,
    config: &RecsConfig,
) -> Coll<'s, (Scoped, HistoryItem)> {
    let cap = config.history;
    pairs
        .map(|((community, user, item), i)| ((community, user), (i.last_ts_ms, item, i.strength)))
        .reduce(move |_member, items, out| {
            for (item, strength) in most_recent(items, cap) {
                let length = u32::try_from(items.len().min(cap)).unwrap_or(u32::MAX);
                out.push((
                    HistoryItem {
                        item: item.clone(),
                        strength,
                        length,
                    },
                    1,
                ));
            }
        })
}

/// The `cap` most recent items (latest first; equal times by item id), with their strengths.
fn most_recent<'a>(
    items: &[(&'a (i64, String, i64), isize)],
    cap: usize,
) -> impl Iterator<Item = (&'a String, i64)> {
    // `items` is sorted ascending by (time, item): the most recent are at the end.
    let mut latest: Vec<&(i64, String, i64)> = items.iter().map(|(v, _)| *v).collect();
    latest.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    latest.truncate(cap);
    latest
        .into_iter()
        .map(|(_, item, strength)| (item, *strength))
}
