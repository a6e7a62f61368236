//! The commit operator: on worker 0, applies every worker's stagings in order and commits them with
//! the checkpoint that lets each split resume exactly where the committed output ends.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use timely::container::CapacityContainerBuilder;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;

use cohort_schemas::activity::ActivityOutput;
use cohort_schemas::moderation::ModerationAlert;
use cohort_schemas::serving::{ServingChange, consolidate};

use crate::checkpoint::{
    Checkpoint, CommitStore, ServingUpdates, SplitResume, SplitState, Staged, StagedFile,
};
use crate::metrics::Metrics;

/// Per-worker bookkeeping of the committer.
#[derive(Default)]
struct WorkerLog {
    next_seq: u64,
    /// Stagings that arrived ahead of their turn.
    early: BTreeMap<u64, Staged>,
    upto: Option<u64>,
    /// Where the worker's capability stood when a stop ended its reading, once that is applied
    /// (see [`WorkerLog::epoch_bound`]).
    stopped_at: Option<u64>,
    progress: Vec<SplitState>,
}

impl WorkerLog {
    /// Prepares the worker's states for applying a staging up to `upto` and returns the bound this
    /// worker gives the checkpoint's epoch.
    ///
    /// A split's last state ([`SplitState::ended_at`]) is emitted at the worker's final capability
    /// and says where reading ended; it moves to that bound, so the split's rule becomes (that
    /// bound, the position reading ended at) whatever the staging's bound: once this worker's
    /// capability is gone the frontier follows the other workers, and a staging's bound may be far
    /// ahead of anything this worker would have emitted had it gone on.
    ///
    /// After a stop the worker's output is complete only below its final capability, so the epoch
    /// stays there; a worker whose input ended is complete everywhere.
    fn epoch_bound(&mut self, upto: u64) -> u64 {
        for state in &mut self.progress {
            if let Some(ended_at) = state.ended_at {
                state.boundary = ended_at;
                if state.stopped {
                    self.stopped_at = Some(self.stopped_at.map_or(ended_at, |s| s.min(ended_at)));
                }
            }
        }
        self.stopped_at.map_or(upto, |stopped| stopped.min(upto))
    }
}

/// Commits the stagings of all workers into `store`, starting from `checkpoint`, at most once per
/// `interval` (and once more when the input ends). Every staging is routed to worker 0, which alone
/// needs the store (`None` elsewhere). After each commit, `after_commit(checkpoint, last)` runs on
/// worker 0: outputs that may only leave once committed (Kafka) go out there; `last` is set once,
/// after the final commit of a bounded run.
pub fn commit<'s, S, A>(
    staged: Stream<'s, u64, Vec<Staged>>,
    mut store: Option<S>,
    mut checkpoint: Checkpoint,
    interval: Duration,
    metrics: Arc<Metrics>,
    mut after_commit: A,
) where
    S: CommitStore + 'static,
    A: FnMut(&Checkpoint, bool) + 'static,
{
    let scope = staged.scope();
    let peers = scope.peers();
    let mut logs: Vec<WorkerLog> = (0..peers).map(|_| WorkerLog::default()).collect();
    let mut files: Vec<StagedFile> = Vec::new();
    let mut serving: Vec<ServingChange> = Vec::new();
    let mut activity: Vec<ActivityOutput> = Vec::new();
    let mut moderation: Vec<ModerationAlert> = Vec::new();
    let mut erased: Vec<String> = Vec::new();
    let mut member_ids: Vec<(String, String)> = Vec::new();
    let mut pending = false;
    let mut finished = false;
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
                            serving.extend(s.serving);
                            activity.extend(s.activity);
                            moderation.extend(s.moderation);
                            erased.extend(s.erased);
                            member_ids.extend(s.member_ids);
                            for (k, v) in s.counts {
                                *checkpoint.totals.entry(k).or_insert(0) += v;
                            }
                            pending = true;
                        }
                    }
                });
                if !pending {
                    if frontier.is_empty() && !finished && store.is_some() {
                        finished = true;
                        after_commit(&checkpoint, true);
                    }
                    return;
                }
                let elapsed = last_commit.elapsed();
                if elapsed < interval && !frontier.is_empty() {
                    activator.activate_after(interval - elapsed);
                    return;
                }
                // The epoch is the lowest bound: after a stop, where the slowest stopped worker's
                // capability stood (a run that resumes there goes on as this one would have).
                let mut epoch: Option<u64> = None;
                for log in &mut logs {
                    let bound = match log.upto {
                        Some(upto) => {
                            let bound = log.epoch_bound(upto);
                            apply_progress(&mut checkpoint, &mut log.progress, upto);
                            bound
                        }
                        None => checkpoint.epoch,
                    };
                    epoch = Some(epoch.map_or(bound, |e| e.min(bound)));
                }
                checkpoint.epoch = epoch.unwrap_or(checkpoint.epoch);
                let rows = files.iter().map(|f| f.rows).sum();
                let Some(store) = store.as_mut() else {
                    panic!(
                        "stagings reached a worker without the serving store; only worker 0 commits"
                    );
                };
                let updates = ServingUpdates {
                    changes: consolidate(std::mem::take(&mut serving)),
                    activity: std::mem::take(&mut activity),
                    moderation: std::mem::take(&mut moderation),
                    erased: std::mem::take(&mut erased),
                    member_ids: std::mem::take(&mut member_ids),
                };
                let started = Instant::now();
                if let Err(e) = store.commit(&checkpoint, &files, &updates) {
                    panic!("commit failed; the previous checkpoint stands, rerun to resume: {e}");
                }
                metrics.commit_took(started.elapsed().as_secs_f64());
                metrics.committed(checkpoint.epoch, files.len() as u64, rows);
                files.clear();
                pending = false;
                last_commit = Instant::now();
                finished = frontier.is_empty();
                after_commit(&checkpoint, finished);
            }
        },
    );
}

/// Orders a split's states by how far they go: bound, then read position, then the last state.
fn later_key(state: &SplitState) -> (u64, u64, bool) {
    (state.boundary, state.read_upto, state.ended_at.is_some())
}

/// Brings every split of one worker up to the bound `upto`. The resume point comes from the split's
/// latest state with a boundary at or below `upto` (or stays as it is when there is none: the state
/// holds for every bound up to the next one). Where the split stops being sure that a record with a
/// time below `upto` was committed comes from its first state above `upto`: it was taken when the
/// worker's capability passed `upto`.
fn apply_progress(checkpoint: &mut Checkpoint, progress: &mut Vec<SplitState>, upto: u64) {
    let mut best: BTreeMap<&str, &SplitState> = BTreeMap::new();
    let mut after: BTreeMap<&str, &SplitState> = BTreeMap::new();
    for state in progress.iter() {
        let (map, better): (_, fn(&SplitState, &SplitState) -> bool) = if state.boundary <= upto {
            // On a tie the later state, whatever order the states arrived in (states given in one
            // activation may be delivered out of order): the one that read further, and of two
            // that read as far, the split's last state, which covers everything read.
            (&mut best, |new, old| later_key(new) > later_key(old))
        } else {
            (&mut after, |new, old| new.boundary < old.boundary)
        };
        let slot = map.entry(state.split.as_str()).or_insert(state);
        if better(state, slot) {
            *slot = state;
        }
    }
    let splits: std::collections::BTreeSet<&str> =
        best.keys().chain(after.keys()).copied().collect();
    for split in splits {
        let old = checkpoint.splits.get(split);
        let (position, max_ts_ms) = match (best.get(split), old) {
            (Some(state), _) => (state.position, state.max_ts_ms),
            (None, Some(old)) => (old.position, old.max_ts_ms),
            // No state at or below the bound and no earlier one: nothing of the split is committed.
            (None, None) => continue,
        };
        let mut earlier = old.map(|o| o.earlier.clone()).unwrap_or_default();
        let last = best
            .get(split)
            .and_then(|s| s.ended_at.map(|e| (e, s.read_upto)));
        let (committed_upto, uncommitted_from) = match (last, old) {
            // The split's last state: reading ended there, at the worker's final capability. The
            // old rule covers only positions before it, which are never read again (pruned below).
            (Some((ended_at, read_upto)), _) => {
                earlier.extend(old.map(SplitResume::latest_rule));
                (ended_at, Some(read_upto))
            }
            // A bound that does not move on keeps its position rule: records this run emitted at the
            // split's resumed bound (clamped up to it) lie after the old `uncommitted_from`.
            // (`u64::MAX` is a final bound of an older version, which stamped every later record
            // there: it is replaced like any lower bound, and its rule kept as an earlier one.)
            (None, Some(old)) if old.committed_upto >= upto && old.committed_upto != u64::MAX => {
                (old.committed_upto, old.uncommitted_from)
            }
            (None, _) => {
                // The old rule may be an earlier run's: what it covers stays committed. (A rule of
                // this run is within the new one and is pruned.)
                earlier.extend(old.map(SplitResume::latest_rule));
                match best.get(split) {
                    Some(state) if state.boundary == upto => (upto, Some(state.read_upto)),
                    _ => (upto, after.get(split).map(|next| next.read_upto)),
                }
            }
        };
        let mut resume = SplitResume {
            position,
            max_ts_ms,
            committed_upto,
            uncommitted_from,
            earlier,
        };
        resume.prune_earlier();
        checkpoint.splits.insert(split.to_string(), resume);
    }
    progress.retain(|s| s.boundary > upto);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(boundary: u64, position: u64, read_upto: u64) -> SplitState {
        SplitState {
            split: "s".into(),
            boundary,
            position,
            max_ts_ms: Some(boundary as i64 * 1000),
            read_upto,
            ended_at: None,
            stopped: false,
        }
    }

    /// A split's last state: reading ended at `position` with the worker's capability at `now`,
    /// by a stop or because the input ended.
    fn last(now: u64, position: u64, stopped: bool) -> SplitState {
        SplitState {
            ended_at: Some(now),
            stopped,
            ..state(u64::MAX, position, position)
        }
    }

    #[test]
    fn resume_state_comes_from_below_the_bound_and_the_position_rule_from_above() {
        let mut checkpoint = Checkpoint::empty(1, "x".into());
        let mut progress = vec![state(10, 3, 5), state(20, 7, 9), state(30, 8, 12)];
        apply_progress(&mut checkpoint, &mut progress, 15);
        let r = &checkpoint.splits["s"];
        assert_eq!((r.position, r.committed_upto), (3, 15));
        // Read up to 9 when the capability passed 15: everything from 9 on is not committed.
        assert_eq!(r.uncommitted_from, Some(9));
        assert_eq!(progress.len(), 2);

        // A bound between two states moves the committed bound without a new resume point.
        apply_progress(&mut checkpoint, &mut progress, 18);
        let r = &checkpoint.splits["s"];
        assert_eq!(
            (r.position, r.committed_upto, r.uncommitted_from),
            (3, 18, Some(9))
        );

        // An exact boundary uses its own read position.
        apply_progress(&mut checkpoint, &mut progress, 20);
        assert_eq!(checkpoint.splits["s"].uncommitted_from, Some(9));
        assert_eq!(checkpoint.splits["s"].position, 7);
    }

    /// Applies a worker's staging up to `upto` the way the committer does; returns the bound it
    /// gives the epoch.
    fn staging(checkpoint: &mut Checkpoint, upto: u64, progress: Vec<SplitState>) -> u64 {
        let mut log = WorkerLog {
            upto: Some(upto),
            progress,
            ..WorkerLog::default()
        };
        let bound = log.epoch_bound(upto);
        apply_progress(checkpoint, &mut log.progress, upto);
        bound
    }

    /// Applies a worker's last staging (every time); `epoch` is the bound it must give the epoch.
    fn last_staging(checkpoint: &mut Checkpoint, epoch: u64, progress: Vec<SplitState>) {
        assert_eq!(staging(checkpoint, u64::MAX, progress), epoch);
    }

    /// A split read to its end in the activation that started it: its start state and its last
    /// state share the bound 0 and may arrive in either order.
    #[test]
    fn a_last_state_wins_over_a_state_of_the_same_bound_in_any_order() {
        for reversed in [false, true] {
            let mut checkpoint = Checkpoint::empty(1, "x".into());
            let mut progress = vec![state(0, 0, 0), last(0, 90, false)];
            if reversed {
                progress.reverse();
            }
            last_staging(&mut checkpoint, u64::MAX, progress);
            let r = &checkpoint.splits["s"];
            assert_eq!(
                (r.position, r.committed_upto, r.uncommitted_from),
                (90, 0, Some(90)),
                "reversed: {reversed}"
            );
        }
    }

    #[test]
    fn a_last_staging_commits_up_to_the_final_bound_not_every_time() {
        let mut checkpoint = Checkpoint::empty(1, "x".into());
        // The run was stopped (or its input ended) at read position 70, its capability at 42 after
        // moving there at position 60 (records from 50 on were emitted at 42 or later).
        last_staging(
            &mut checkpoint,
            42,
            vec![state(30, 8, 12), state(42, 50, 60), last(42, 70, true)],
        );
        let r = &checkpoint.splits["s"];
        assert_eq!(
            (r.position, r.committed_upto, r.uncommitted_from),
            (70, 42, Some(70))
        );
        // What the split reads after position 70 in a later run is not committed, whatever its time.
        assert!(r.rules().iter().all(|rule| !rule.covers(70, 5)));
        assert!(r.rules().iter().any(|rule| rule.covers(69, 41)));

        // A run resumed from it whose input ends moves the bound on, and every time is complete;
        // the old rule is within the new.
        last_staging(
            &mut checkpoint,
            u64::MAX,
            vec![state(42, 70, 70), state(50, 80, 85), last(50, 90, false)],
        );
        let r = &checkpoint.splits["s"];
        assert_eq!(
            (r.position, r.committed_upto, r.uncommitted_from),
            (90, 50, Some(90))
        );
        assert!(r.earlier.is_empty());
    }

    /// A worker stopped at 42 while another, whose split is later in event time, had got to 900:
    /// once the first worker's capability is gone the frontier follows the second, and its last
    /// staging comes with the bound 900. Its split is still committed up to 42 only (the next run's
    /// floor), and the epoch stays at 42, where its output ends.
    #[test]
    fn a_stopped_worker_staged_under_another_workers_bound_keeps_its_own() {
        let mut checkpoint = Checkpoint::empty(2, "x".into());
        let mut log = WorkerLog {
            progress: vec![state(30, 8, 12), state(42, 50, 60), last(42, 70, true)],
            ..WorkerLog::default()
        };
        assert_eq!(log.epoch_bound(900), 42);
        apply_progress(&mut checkpoint, &mut log.progress, 900);
        let r = &checkpoint.splits["s"];
        assert_eq!(
            (r.position, r.committed_upto, r.uncommitted_from),
            (70, 42, Some(70))
        );
        assert!(r.earlier.is_empty());
        assert!(log.progress.is_empty());
        // Its final staging (every time) keeps the epoch there too.
        assert_eq!(log.epoch_bound(u64::MAX), 42);
    }

    #[test]
    fn a_final_bound_of_every_time_from_an_older_version_is_moved_down() {
        let mut checkpoint = Checkpoint::empty(1, "x".into());
        checkpoint.splits.insert(
            "s".into(),
            SplitResume {
                position: 70,
                max_ts_ms: None,
                committed_upto: u64::MAX,
                uncommitted_from: Some(70),
                earlier: Vec::new(),
            },
        );
        // The resumed run read from 70 to 90, stamping from time 0 on (no floor at `u64::MAX`).
        last_staging(
            &mut checkpoint,
            12,
            vec![state(0, 70, 70), state(12, 80, 85), last(12, 90, true)],
        );
        let r = &checkpoint.splits["s"];
        assert_eq!(
            (r.position, r.committed_upto, r.uncommitted_from),
            (90, 12, Some(90))
        );
        // Replay starts at 90, past the old rule's reach: it is dropped.
        assert!(r.earlier.is_empty());
    }

    #[test]
    fn a_bound_that_does_not_move_keeps_its_position_rule() {
        let mut checkpoint = Checkpoint::empty(1, "x".into());
        checkpoint.splits.insert(
            "s".into(),
            SplitResume {
                position: 2,
                max_ts_ms: None,
                committed_upto: 40,
                uncommitted_from: Some(4),
                earlier: Vec::new(),
            },
        );
        // A resumed run whose worker starts below this split's bound (another split holds it back).
        let mut progress = vec![state(25, 6, 6), state(41, 6, 8)];
        apply_progress(&mut checkpoint, &mut progress, 30);
        let r = &checkpoint.splits["s"];
        assert_eq!(
            (r.position, r.committed_upto, r.uncommitted_from),
            (6, 40, Some(4))
        );
    }

    #[test]
    fn what_an_earlier_run_committed_stays_committed_when_a_later_run_passes_a_higher_bound_sooner()
    {
        // Run 1 commits bound 10; its capability passed 10 when the split had read up to 50, and
        // the earliest record emitted at 10 or later is at 20.
        let mut checkpoint = Checkpoint::empty(2, "x".into());
        let mut progress = vec![state(0, 0, 0), state(10, 20, 40), state(12, 20, 50)];
        apply_progress(&mut checkpoint, &mut progress, 10);
        assert_eq!(checkpoint.splits["s"].latest_rule().before, Some(40));

        // Run 2 resumes at 20. Its split looks idle at first, and the capability follows another
        // worker straight to 30 before anything is read: this run's rule covers less than run 1's.
        let mut progress = vec![state(10, 20, 20), state(30, 20, 20)];
        apply_progress(&mut checkpoint, &mut progress, 30);
        let resume = &checkpoint.splits["s"];
        assert_eq!(resume.latest_rule().before, Some(20));
        let rules = resume.rules();
        let committed = |position, time| rules.iter().any(|r| r.covers(position, time));
        // Run 1 emitted the record at 30 at its own time 5 and committed it; run 2 skipped it.
        assert!(committed(30, 5), "a third run would write it again");
        // Run 2 read the record at 45 after passing 30, so emitted it at 30 or later: not committed.
        assert!(!committed(45, 12));
        // Serialised and read back, the rule survives.
        let text = serde_json::to_string(&checkpoint).unwrap();
        let back: Checkpoint = serde_json::from_str(&text).unwrap();
        assert_eq!(back, checkpoint);

        // Once reading has moved past 40 (run 1's read position), run 1's rule is dropped.
        let mut progress = vec![state(31, 60, 60)];
        apply_progress(&mut checkpoint, &mut progress, 31);
        assert!(checkpoint.splits["s"].earlier.is_empty());
    }
}
