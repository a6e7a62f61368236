//! The commit operator: on worker 0, applies every worker's stagings in order and commits them with
//! the checkpoint that lets each split resume exactly where the committed output ends.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use timely::container::CapacityContainerBuilder;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;

use crate::checkpoint::{Checkpoint, CommitStore, SplitResume, SplitState, Staged, StagedFile};
use crate::metrics::Metrics;

/// Per-worker bookkeeping of the committer.
#[derive(Default)]
struct WorkerLog {
    next_seq: u64,
    /// Stagings that arrived ahead of their turn.
    early: BTreeMap<u64, Staged>,
    upto: Option<u64>,
    progress: Vec<SplitState>,
}

/// Commits the stagings of all workers into `store`, starting from `checkpoint`, at most once per
/// `interval` (and once more when the input ends). Every staging is routed to worker 0, which alone
/// needs the store (`None` elsewhere).
pub fn commit<'s, S: CommitStore + 'static>(
    staged: Stream<'s, u64, Vec<Staged>>,
    mut store: Option<S>,
    mut checkpoint: Checkpoint,
    interval: Duration,
    metrics: Arc<Metrics>,
) {
    let scope = staged.scope();
    let peers = scope.peers();
    let mut logs: Vec<WorkerLog> = (0..peers).map(|_| WorkerLog::default()).collect();
    let mut files: Vec<StagedFile> = Vec::new();
    let mut pending = false;
    let mut last_commit = Instant::now();
    // The output carries nothing; `unary_frontier` is used for its activator, so a deferred commit
    // happens on time even when no further staging arrives.
    let _ = staged.unary_frontier::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
        Exchange::new(|_: &Staged| 0),
        "Commit",
        move |_capability, info| {
            let activator = scope.activator_for(info.address);
            move |(input, frontier), _output| {
                input.for_each(|_, data| {
                    for staged in data.drain(..) {
                        let log = &mut logs[staged.worker];
                        log.early.insert(staged.seq, staged);
                        while let Some(s) = log.early.remove(&log.next_seq) {
                            log.next_seq += 1;
                            log.upto = Some(s.upto);
                            log.progress.extend(s.progress);
                            files.extend(s.files);
                            for (k, v) in s.counts {
                                *checkpoint.totals.entry(k).or_insert(0) += v;
                            }
                            pending = true;
                        }
                    }
                });
                if !pending {
                    return;
                }
                let elapsed = last_commit.elapsed();
                if elapsed < interval && !frontier.is_empty() {
                    activator.activate_after(interval - elapsed);
                    return;
                }
                for log in &mut logs {
                    let Some(upto) = log.upto else { continue };
                    apply_progress(&mut checkpoint, &mut log.progress, upto);
                }
                checkpoint.epoch = logs
                    .iter()
                    .map(|l| l.upto.unwrap_or(checkpoint.epoch))
                    .min()
                    .unwrap_or(checkpoint.epoch);
                let rows = files.iter().map(|f| f.rows).sum();
                let Some(store) = store.as_mut() else {
                    panic!(
                        "stagings reached a worker without the serving store; only worker 0 commits"
                    );
                };
                if let Err(e) = store.commit(&checkpoint, &files) {
                    panic!("commit failed; the previous checkpoint stands, rerun to resume: {e}");
                }
                metrics.committed(checkpoint.epoch, files.len() as u64, rows);
                files.clear();
                pending = false;
                last_commit = Instant::now();
            }
        },
    );
}

/// Moves each split's latest state with a boundary at or below `upto` into the checkpoint.
fn apply_progress(checkpoint: &mut Checkpoint, progress: &mut Vec<SplitState>, upto: u64) {
    let mut best: BTreeMap<&str, &SplitState> = BTreeMap::new();
    for state in progress.iter().filter(|s| s.boundary <= upto) {
        let slot = best.entry(state.split.as_str()).or_insert(state);
        if state.boundary > slot.boundary {
            *slot = state;
        }
    }
    for (split, state) in best {
        checkpoint.splits.insert(
            split.to_string(),
            SplitResume {
                position: state.position,
                max_ts_ms: state.max_ts_ms,
                committed_upto: upto,
            },
        );
    }
    progress.retain(|s| s.boundary > upto);
}
