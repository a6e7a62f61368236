//! A stateful step for work that differential's join and reduce do at a high cost: updates routed to
//! one worker by key (or to every worker), held until their time is complete, and then handed, one
//! time after another, to plain Rust state that answers with its own output changes.
//!
//! The state must be a function of the updates it has seen (it recomputes whatever an update can
//! have changed, with the batch definition), so the output still equals the batch recompute; the
//! gain is that it keeps plain maps instead of arranged records per proposal or pair.

use std::collections::BTreeMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use differential_dataflow::{AsCollection, ExchangeData};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::generic::Operator;

use super::Coll;

/// Which workers an update goes to.
pub(crate) enum Route {
    /// The worker that owns this key hash (the same on every worker and run).
    Owner(u64),
    /// Every worker (state that every owner reads, such as a neighbour list).
    Everyone,
}

/// A stable hash of a key, for [`Route::Owner`].
pub(crate) fn owner_of<K: Hash + ?Sized>(key: &K) -> Route {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    Route::Owner(hasher.finish())
}

/// One time's updates, held until the time is complete, with the capability to answer at it.
type Held<D> = (Capability<u64>, Vec<(D, isize)>);

/// Routes `updates` by `route`, and applies each complete time's updates to the receiving worker's
/// state with `apply`, in time order; what `apply` returns is the output at that time.
pub(crate) fn stateful<'s, D, O, R, A>(
    updates: Coll<'s, D>,
    name: &str,
    route: R,
    mut apply: A,
) -> Coll<'s, O>
where
    D: ExchangeData,
    O: ExchangeData,
    R: Fn(&D) -> Route + 'static,
    A: FnMut(Vec<(D, isize)>) -> Vec<(O, isize)> + 'static,
{
    let peers = u64::try_from(updates.inner.scope().peers())
        .unwrap_or(1)
        .max(1);
    let routed: Coll<'s, (u64, D)> = updates.flat_map(move |update| {
        let workers = match route(&update) {
            Route::Owner(hash) => hash % peers..hash % peers + 1,
            Route::Everyone => 0..peers,
        };
        workers.map(move |worker| (worker, update.clone()))
    });
    routed
        .inner
        .unary_frontier::<CapacityContainerBuilder<Vec<(O, u64, isize)>>, _, _, _>(
            Exchange::new(|((worker, _), _, _): &((u64, D), u64, isize)| *worker),
            name,
            move |_initial, _info| {
                let mut pending: BTreeMap<u64, Held<D>> = BTreeMap::new();
                move |(input, frontier), output| {
                    input.for_each(|cap, data| {
                        for ((_, update), time, diff) in data.drain(..) {
                            pending
                                .entry(time)
                                .or_insert_with(|| (cap.delayed(&time, 0), Vec::new()))
                                .1
                                .push((update, diff));
                        }
                    });
                    while let Some(entry) = pending.first_entry() {
                        if frontier.less_equal(entry.key()) {
                            break;
                        }
                        let (cap, updates) = entry.remove();
                        let time = *cap.time();
                        let changes = apply(updates);
                        output.session(&cap).give_iterator(
                            changes.into_iter().map(|(out, diff)| (out, time, diff)),
                        );
                    }
                }
            },
        )
        .as_collection()
}
