//! The stage operator: buffers a worker's records per timely time and, whenever its input frontier
//! has moved on and the checkpoint interval has passed, hands everything below the frontier to an
//! [`EpochWriter`] and sends the result to the committer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use cohort_schemas::serving::{ServingChange, ServingRow};

use crate::checkpoint::{EpochWriter, Staged};
use crate::record::Record;

/// Stages `records` with `writer` once per `interval`, sooner when more than `max_buffered` records
/// wait (a fast source would otherwise hold a whole interval of decoded events in memory), and once
/// more when the input ends.
pub fn stage<'s, W: EpochWriter + 'static>(
    records: Stream<'s, u64, Vec<Record>>,
    mut writer: W,
    interval: Duration,
    max_buffered: usize,
) -> Stream<'s, u64, Vec<Staged>> {
    let scope = records.scope();
    let worker = scope.index();
    records.unary_frontier(Pipeline, "Stage", move |capability, info| {
        let activator = scope.activator_for(info.address);
        let mut held = Some(capability);
        let mut pending: BTreeMap<u64, Vec<Record>> = BTreeMap::new();
        let mut buffered = 0usize;
        let mut seq = 0;
        let mut last = Instant::now();
        move |(input, frontier), output| {
            input.for_each_stamp(|cap, data| {
                let Some(time) = cap.least().copied() else {
                    return;
                };
                let slot = pending.entry(time).or_default();
                for batch in data {
                    buffered += batch.len();
                    slot.append(batch);
                }
            });
            let Some(cap) = held.as_mut() else {
                return;
            };
            let upto = frontier
                .frontier()
                .iter()
                .min()
                .copied()
                .unwrap_or(u64::MAX);
            if upto <= *cap.time() {
                return;
            }
            let elapsed = last.elapsed();
            if upto != u64::MAX && elapsed < interval && buffered < max_buffered {
                activator.activate_after(interval - elapsed);
                return;
            }
            let later = pending.split_off(&upto);
            let ready = std::mem::replace(&mut pending, later);
            buffered = pending.values().map(Vec::len).sum();
            let mut rows = Vec::new();
            let mut progress = Vec::new();
            let mut counts = BTreeMap::new();
            let mut serving = ServingChanges::default();
            let mut activity = Vec::new();
            let mut moderation = Vec::new();
            let mut erased = Vec::new();
            let mut member_ids = Vec::new();
            for (time, records) in ready {
                for record in records {
                    match record {
                        Record::Progress(p) => progress.push(p),
                        Record::Serving(change) => serving.add(time, change),
                        Record::Activity(ref output) => {
                            if output.is_served() {
                                activity.push(output.clone());
                            }
                            rows.push((time, record));
                        }
                        Record::Moderation(ref alert) => {
                            moderation.push(alert.clone());
                            rows.push((time, record));
                        }
                        Record::ChatScan(_) => rows.push((time, record)),
                        // Never to the lake.
                        Record::MemberId { stored, raw } => member_ids.push((stored, raw)),
                        Record::Event(ref e) => {
                            if e.kind() == cohort_schemas::Kind::Erasure {
                                erased.push(e.user_id.clone());
                            }
                            *counts.entry(e.kind().table().to_string()).or_insert(0) += 1;
                            rows.push((time, record));
                        }
                        Record::Dead(ref d) => {
                            *counts
                                .entry(format!("dead_letters.{}", d.reason.code()))
                                .or_insert(0) += 1;
                            rows.push((time, record));
                        }
                    }
                }
            }
            let serving = serving.finish();
            rows.extend(
                serving
                    .iter()
                    .map(|(time, change)| (*time, Record::Serving(change.clone()))),
            );
            let files = writer.stage(&rows).unwrap_or_else(|e| {
                panic!("staging output failed; the last checkpoint stands, rerun to resume: {e}")
            });
            output.session(&*cap).give(Staged {
                worker,
                seq,
                upto,
                files,
                progress,
                counts,
                serving: serving.into_iter().map(|(_, change)| change).collect(),
                activity,
                moderation,
                erased,
                member_ids,
            });
            seq += 1;
            last = Instant::now();
            if upto == u64::MAX {
                held = None;
            } else {
                cap.downgrade(&upto);
            }
        }
    })
}

/// Serving-table changes of one staging, summed per row: a row that appeared and disappeared again
/// (or a replayed row that matches the committed one) leaves nothing to write.
#[derive(Default)]
struct ServingChanges {
    /// Per row: the net diff and the latest time a change of it happened.
    rows: BTreeMap<ServingRow, (i64, u64)>,
}

impl ServingChanges {
    fn add(&mut self, time: u64, change: ServingChange) {
        let slot = self.rows.entry(change.row).or_insert((0, time));
        slot.0 += change.diff;
        slot.1 = slot.1.max(time);
    }

    /// The net changes, each with the time of its latest contribution.
    fn finish(self) -> Vec<(u64, ServingChange)> {
        self.rows
            .into_iter()
            .filter(|(_, (diff, _))| *diff != 0)
            .map(|(row, (diff, time))| (time, ServingChange { row, diff }))
            .collect()
    }
}
