//! From facts to interactions: one row per (community, member, item) with the member's strength of
//! interest, after unlikes, refunds, item deletions and erasures have taken effect.

use differential_dataflow::AsCollection;
use timely::dataflow::operators::vec::Map;

use super::{Coll, Scoped};
use crate::recs::config::{RecsConfig, Weights};
use crate::recs::facts::{Fact, Signal};

/// A member's standing interaction with one item.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub(crate) struct Interaction {
    /// Sum of the weights of the signals that stand.
    pub strength: i64,
    /// The latest signal's event time, ms: orders the member's history by recency.
    pub last_ts_ms: i64,
    /// Whether a purchase stands (bought items are never recommended back).
    pub bought: bool,
}

/// An item's latest state: whether it is deleted, and its title and tags.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub(crate) struct ItemState {
    /// Whether the latest state deletes the item.
    pub deleted: bool,
    /// Title, for content similarity.
    pub title: String,
    /// Tags, for content similarity.
    pub tags: Vec<String>,
}

/// The latest state of every item that has one (by event time, then event id).
pub(crate) fn item_states<'s>(facts: Coll<'s, Fact>) -> Coll<'s, (Scoped, ItemState)> {
    facts
        .flat_map(|f| match f {
            Fact::Item {
                community_id,
                item_id,
                deleted,
                title,
                tags,
                ts_ms,
                event_id,
            } => {
                let state = ItemState {
                    deleted,
                    title,
                    tags,
                };
                Some(((community_id, item_id), (ts_ms, event_id, state)))
            }
            _ => None,
        })
        .reduce(|_item, states, out| {
            // `states` is sorted by (time, event id, …), so the last one is the latest.
            if let Some(((_, _, state), _)) = states.last() {
                out.push((state.clone(), 1));
            }
        })
}

/// ((community, member, item), interaction), keyed for joins by the caller.
pub(crate) type Pairs<'s> = Coll<'s, ((String, String, String), Interaction)>;

/// The standing interactions of every member that was not erased, on items that are not deleted.
pub(crate) fn interactions<'s>(
    facts: Coll<'s, Fact>,
    states: Coll<'s, (Scoped, ItemState)>,
    config: &RecsConfig,
) -> Pairs<'s> {
    let erased = facts
        .clone()
        .flat_map(|f| match f {
            Fact::Erasure { user_id } => Some(user_id),
            _ => None,
        })
        .distinct();
    let deleted = states
        .filter(|(_, state)| state.deleted)
        .map(|(item, _)| item);
    let weights = config.weights.clone();
    let signals = facts.flat_map(|f| match f {
        Fact::Signal {
            community_id,
            user_id,
            item_id,
            signal,
            ts_ms,
        } => Some((user_id, (community_id, item_id, signal, ts_ms))),
        _ => None,
    });
    let signals = match config.retention_days {
        Some(days) => retained(signals, days),
        None => signals,
    };
    signals
        .antijoin(erased)
        .map(|(user, (community, item, signal, ts_ms))| ((community, item), (user, signal, ts_ms)))
        .antijoin(deleted)
        .map(|((community, item), (user, signal, ts_ms))| {
            ((community, user, item), (signal, ts_ms))
        })
        .reduce(move |_pair, signals, out| {
            if let Some(interaction) = standing(&weights, signals) {
                out.push((interaction, 1));
            }
        })
}

/// A member's signal: (member, (community, item, signal, event time ms)).
type SignalRow = (String, (String, String, Signal, i64));

/// `signals`, each taken back again at the first dataflow time (event-time second) after its event
/// time plus `days`: the retraction takes effect once the stream's event time passes it, and a
/// signal that is already that old when it arrives cancels at once.
fn retained<'s>(signals: Coll<'s, SignalRow>, days: u64) -> Coll<'s, SignalRow> {
    let window_s = days.saturating_mul(86_400);
    let expired = signals
        .inner
        .clone()
        .map(move |(row, time, diff)| {
            let ts_s = u64::try_from(row.1.3.div_euclid(1000)).unwrap_or(0);
            let expires = ts_s.saturating_add(window_s).saturating_add(1);
            (row, time.max(expires), -diff)
        })
        .as_collection();
    signals.concat(expired)
}

/// What a pair's signals add up to, or `None` when nothing stands (all taken back, or zero weight).
pub(crate) fn standing(
    weights: &Weights,
    signals: &[(&(Signal, i64), isize)],
) -> Option<Interaction> {
    let mut count = [0isize; 6];
    let mut last_ts_ms = i64::MIN;
    for ((signal, ts_ms), n) in signals {
        count[*signal as usize] += n;
        last_ts_ms = last_ts_ms.max(*ts_ms);
    }
    let n = |s: Signal| count[s as usize];
    let bought = n(Signal::Purchase) > n(Signal::Refund);
    let strength = [
        (n(Signal::View) > 0, weights.view),
        (n(Signal::Like) > n(Signal::Unlike), weights.like),
        (bought, weights.purchase),
        (n(Signal::Mention) > 0, weights.mention),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, w)| w)
    .sum();
    (strength > 0).then_some(Interaction {
        strength,
        last_ts_ms,
        bought,
    })
}
