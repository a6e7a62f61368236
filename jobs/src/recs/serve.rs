//! The recommendation dataflow inside `cohort run`: fed by the ingest stream, its changes join the
//! records that the stage operator commits, so each commit carries exactly the serving-table changes
//! of the events it commits.
//!
//! On restart the dataflow first replays the lake at time 0; the rows the serving tables already
//! hold enter at time 0 negated, so what reaches the first commit is only the difference (nothing,
//! when the configuration is unchanged).

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use cohort_pipeline::Record;
use cohort_schemas::serving::{ServingChange, ServingRow};
use differential_dataflow::AsCollection;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::core::ToStreamBuilder;
use timely::dataflow::operators::generic::Operator;

use super::config::RecsConfig;
use super::dataflow::{Coll, recommend};
use super::facts::{Fact, facts_of};

/// What a worker's recommendation dataflow starts from.
pub struct RecsStart {
    /// This worker's share of the facts already committed to the lake.
    pub replay: Vec<Fact>,
    /// The rows the serving tables hold (worker 0 only; empty elsewhere).
    pub committed: Vec<ServingRow>,
}

/// The serving-table changes caused by `records`, as `Record::Serving` at the time they happen.
pub fn serving_changes<'s>(
    records: Stream<'s, u64, Vec<Record>>,
    config: &RecsConfig,
    start: RecsStart,
) -> Stream<'s, u64, Vec<Record>> {
    let scope = records.scope();
    let step = Duration::from_millis(config.step_ms);
    let facts = facts_stream(records, start.replay, step);
    let committed = start
        .committed
        .into_iter()
        .map(|row| (row, 0u64, -1isize))
        .to_stream_with_builder::<_, CapacityContainerBuilder<_>>(scope)
        .as_collection();
    let rows: Coll<'s, ServingRow> = recommend(facts, config).concat(committed);
    rows.inner
        .unary::<CapacityContainerBuilder<Vec<Record>>, _, _, _>(
            Exchange::new(|(row, _, _): &(ServingRow, u64, isize)| list_hash(row)),
            "RecsChanges",
            |_, _| {
                move |input, output| {
                    input.for_each(|cap, data| {
                        let mut by_time: BTreeMap<u64, Vec<Record>> = BTreeMap::new();
                        for (row, time, diff) in data.drain(..) {
                            let diff = diff as i64;
                            by_time
                                .entry(time)
                                .or_default()
                                .push(Record::Serving(ServingChange { row, diff }));
                        }
                        for (time, changes) in by_time {
                            output
                                .session(&cap.delayed(&time, 0))
                                .give_iterator(changes.into_iter());
                        }
                    });
                }
            },
        )
}

/// Facts from the events of `records`, entering differential as one step per `step` of wall time
/// (at the latest event time of the step): results depend only on the set of facts, and every step
/// costs a wave of recomputation through the similarity and scoring reduces, so fewer, larger
/// steps are far cheaper. Holding the step back holds the commit back by at most `step`.
/// `replay` goes out first, at time 0.
fn facts_stream<'s>(
    records: Stream<'s, u64, Vec<Record>>,
    replay: Vec<Fact>,
    step: Duration,
) -> Coll<'s, Fact> {
    let scope = records.scope();
    records
        .unary_frontier::<CapacityContainerBuilder<Vec<(Fact, u64, isize)>>, _, _, _>(
            Pipeline,
            "RecsFacts",
            move |initial, info| {
                let activator = scope.activator_for(info.address);
                let mut initial = Some((initial, replay));
                let mut held: Option<Capability<u64>> = None;
                let mut latest = 0u64;
                let mut pending: Vec<Fact> = Vec::new();
                let mut last_step = Instant::now();
                move |(input, frontier), output| {
                    if let Some((cap, replay)) = initial.take() {
                        let mut session = output.session(&cap);
                        session.give_iterator(replay.into_iter().map(|f| (f, 0, 1)));
                    }
                    input.for_each(|cap, data| {
                        let Some(cap) = cap.retain_least(0) else {
                            return;
                        };
                        latest = latest.max(*cap.time());
                        if held.as_ref().is_none_or(|h| cap.time() < h.time()) {
                            held = Some(cap);
                        }
                        for record in data.iter() {
                            if let Record::Event(event) = record {
                                pending.extend(facts_of(event));
                            }
                        }
                    });
                    let Some(cap) = held.as_ref() else { return };
                    let elapsed = last_step.elapsed();
                    if elapsed < step && !frontier.is_empty() {
                        activator.activate_after(step - elapsed);
                        return;
                    }
                    let cap = cap.delayed(&latest);
                    held = None;
                    let mut session = output.session(&cap);
                    session.give_iterator(pending.drain(..).map(|f| (f, latest, 1)));
                    last_step = Instant::now();
                }
            },
        )
        .as_collection()
}

/// Which worker stages a row's changes: the same for every row of one list (table, community,
/// owner), on every worker.
///
/// Routing by list rather than by row matters for correctness: workers stage at different times, so
/// one commit can hold one worker's changes up to a later time than another's. The serving sink
/// applies a staging as "delete the removed rows, then insert-or-replace by (list, rank)"; if the
/// rows of one rank key were spread over workers, a row that replaced another (same item, new score)
/// could be deleted by the older row's late removal. With a whole list on one worker, every commit
/// holds a time prefix of each list's changes and leaves the list exactly as the dataflow had it.
fn list_hash(row: &ServingRow) -> u64 {
    let parts = row.parts();
    let mut hasher = DefaultHasher::new();
    (parts.table, parts.community_id, parts.owner).hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(user: &str, rank: u32, item: &str, score_micros: i64) -> ServingRow {
        ServingRow::Recommendation {
            community_id: "c".into(),
            user_id: user.into(),
            rank,
            item_id: item.into(),
            score_micros,
            reason: "r".into(),
        }
    }

    #[test]
    fn every_row_of_a_list_goes_to_the_same_worker() {
        let list = list_hash(&rec("u", 1, "a", 5));
        assert_eq!(list_hash(&rec("u", 1, "a", 9)), list);
        assert_eq!(list_hash(&rec("u", 7, "b", 1)), list);
        assert_ne!(list_hash(&rec("v", 1, "a", 5)), list);
    }
}
