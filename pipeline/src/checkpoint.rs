//! The checkpoint protocol: what a commit records, and the traits sinks implement to take part.
//!
//! ## Delivery rules
//! - Sinks *stage* output (files under a temporary name, rows in memory) and make nothing visible.
//! - One committer (worker 0) writes, in a single transaction of the serving database, the checkpoint
//!   row and the list of staged files, then publishes the files (rename). A crash before the
//!   transaction loses only staged work; a crash after it is rolled forward on the next start.
//! - A checkpoint stores, per split, where to resume reading, the split's watermark state, and the
//!   timely time below which that split's output is committed. On restart, the split is replayed from
//!   its position and every record it assigns a time below that bound is dropped, because it is
//!   already in the lake: nothing is lost and nothing is written twice.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A split's resume state for one timely time boundary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitState {
    /// The split's stable id.
    pub split: String,
    /// Replaying from `position` with watermark `max_ts_ms` reproduces every record the split
    /// assigned a time at or above this boundary.
    pub boundary: u64,
    /// Where to resume reading.
    pub position: u64,
    /// The split's watermark state at `position`.
    pub max_ts_ms: Option<i64>,
    /// The split's read position when the state was taken, i.e. when its worker's capability moved
    /// up to `boundary`: every record read from here on was emitted at `boundary` or later.
    #[serde(default)]
    pub read_upto: u64,
    /// Set on a split's last state of a run: the worker's capability when reading ended. The
    /// split is committed up to this bound, not up to "every time" nor up to where other workers
    /// had got when this state was staged: a later run over more input (a stopped run's rest, new
    /// Kafka records, a grown file) starts its floor here, as this run would have gone on, and
    /// stamps what it reads at the times this run would have given it.
    ///
    /// (Never skipped when serialised: split states cross processes in a cluster through timely's
    /// bincode, which reads fields by position and cannot tell a skipped one.)
    #[serde(default)]
    pub ended_at: Option<u64>,
    /// Set with `ended_at` when reading ended because the run was stopped (SIGINT, SIGTERM), not
    /// because the input did: then the worker's output is complete only below `ended_at`, and the
    /// checkpoint's epoch stays there.
    #[serde(default)]
    pub stopped: bool,
}

/// Where a split resumes after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitResume {
    /// Where to resume reading.
    pub position: u64,
    /// The split's watermark state at `position`.
    pub max_ts_ms: Option<i64>,
    /// Records this split assigns a time below this are already committed...
    pub committed_upto: u64,
    /// ...unless they lie at or after this position: those were read after the worker's capability
    /// passed `committed_upto`, so they were emitted later than their own time (a split that was idle
    /// while others moved on) and are not committed yet. `None` in checkpoints of older versions.
    #[serde(default)]
    pub uncommitted_from: Option<u64>,
    /// The same rule as committed by earlier runs, still needed for positions at or after
    /// `position`. A record is committed if *any* run committed it: a later run can pass a higher
    /// bound at an earlier read position (its splits looked idle at start while another worker was
    /// far ahead), so its rule alone does not cover what an earlier run committed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<CommittedRule>,
}

/// One run's replay rule for a split: records it assigned a time below `upto` and read before
/// position `before` (`None`: any position) are committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommittedRule {
    /// The run's committed bound for the split.
    pub upto: u64,
    /// The split's read position when that run's capability passed `upto`.
    pub before: Option<u64>,
}

impl CommittedRule {
    /// Whether the record at `position`, assigned `time` by the split's own watermark, is covered.
    pub fn covers(&self, position: u64, time: u64) -> bool {
        time < self.upto && self.before.is_none_or(|before| position < before)
    }

    /// Whether every record this rule covers is also covered by `other`.
    fn within(&self, other: &CommittedRule) -> bool {
        self.upto <= other.upto
            && match (self.before, other.before) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some(a), Some(b)) => a <= b,
            }
    }
}

impl SplitResume {
    /// The rule of the run that committed last.
    pub fn latest_rule(&self) -> CommittedRule {
        CommittedRule {
            upto: self.committed_upto,
            before: self.uncommitted_from,
        }
    }

    /// The latest run's rule followed by the earlier runs' rules.
    pub fn rules(&self) -> Vec<CommittedRule> {
        std::iter::once(self.latest_rule())
            .chain(self.earlier.iter().copied())
            .collect()
    }

    /// Keeps the earlier rules that still matter: some record at or after `position` that the latest
    /// rule does not cover. Keeps checkpoints small as reading moves on.
    pub fn prune_earlier(&mut self) {
        let latest = self.latest_rule();
        let position = self.position;
        let mut kept: Vec<CommittedRule> = Vec::new();
        for rule in std::mem::take(&mut self.earlier) {
            let reaches_replay = rule.before.is_none_or(|before| before > position);
            if reaches_replay && !rule.within(&latest) && !kept.iter().any(|k| rule.within(k)) {
                kept.retain(|k| !k.within(&rule));
                kept.push(rule);
            }
        }
        self.earlier = kept;
    }
}

/// What one commit records: enough to resume every split exactly where the committed output ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Every timely time below this is committed on every worker (the lowest per-worker bound).
    pub epoch: u64,
    /// The worker count that produced the splits (resuming needs the same).
    pub workers: usize,
    /// What was read (the source's description), to refuse resuming a different source.
    pub source: String,
    /// Resume state per split id.
    pub splits: BTreeMap<String, SplitResume>,
    /// Counters as of this commit, so a resumed run can report totals.
    pub totals: BTreeMap<String, u64>,
    /// The id of the secret key that pseudonymised the member ids of everything committed (`None`:
    /// member ids are stored as they arrived, which is also what checkpoints of versions before
    /// pseudonymisation mean). Recorded so that a run or a server under another key refuses the
    /// data directory instead of mixing two sets of pseudonyms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_key_id: Option<String>,
}

impl Checkpoint {
    /// The checkpoint of a run that has committed nothing yet.
    pub fn empty(workers: usize, source: String) -> Self {
        Checkpoint {
            epoch: 0,
            workers,
            source,
            splits: BTreeMap::new(),
            totals: BTreeMap::new(),
            member_key_id: None,
        }
    }
}

/// A file a sink has written under a temporary name, to be published at commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedFile {
    /// The lake table it belongs to.
    pub table: String,
    /// Where it was written (invisible to readers).
    pub staged: PathBuf,
    /// Where it goes when published.
    pub path: PathBuf,
    /// Rows in the file.
    pub rows: u64,
}

/// What one worker's sink hands the committer after staging everything below `upto`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staged {
    /// The worker that staged it.
    pub worker: usize,
    /// Per-worker sequence number, so the committer applies stagings in order.
    pub seq: u64,
    /// Everything the worker's sources assigned a time below this is in `files`, or in earlier stagings.
    pub upto: u64,
    /// The files written.
    pub files: Vec<StagedFile>,
    /// Split states that passed through the sink with times below `upto`.
    pub progress: Vec<SplitState>,
    /// Counters of what was staged (events per kind, dead letters per reason).
    pub counts: BTreeMap<String, u64>,
    /// Changes of derived serving tables below `upto`, consolidated.
    #[serde(default)]
    pub serving: Vec<cohort_schemas::serving::ServingChange>,
    /// Forecasts and alerts below `upto`, in time order (closed hours only go to the lake).
    #[serde(default)]
    pub activity: Vec<cohort_schemas::activity::ActivityOutput>,
    /// Moderation alert states below `upto`.
    #[serde(default)]
    pub moderation: Vec<cohort_schemas::moderation::ModerationAlert>,
    /// Members (as stored) whose erasure request is below `upto`.
    #[serde(default)]
    pub erased: Vec<String>,
    /// (stored, raw) member ids first seen below `upto` (`serving.raw_member_ids`).
    #[serde(default)]
    pub member_ids: Vec<(String, String)>,
}

/// What a commit changes in the serving tables besides the checkpoint and the file list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServingUpdates {
    /// Ranked-list changes, consolidated: each row once, -1 deletes it, +1 inserts it.
    pub changes: Vec<cohort_schemas::serving::ServingChange>,
    /// Forecasts (replacing their series' rows) and alerts (upserted by id), applied in order.
    pub activity: Vec<cohort_schemas::activity::ActivityOutput>,
    /// Moderation alert states (upserted by id, the newest kept).
    pub moderation: Vec<cohort_schemas::moderation::ModerationAlert>,
    /// Members (as stored) erased in this commit: their rows leave every serving table the jobs
    /// do not retract themselves (moderation alerts, raw member ids), and never come back.
    pub erased: Vec<String>,
    /// (stored, raw) member ids to keep in the serving table `member_ids`
    /// (`serving.raw_member_ids`); those of erased members are never written.
    pub member_ids: Vec<(String, String)>,
}

/// A sink or store failure. The pipeline stops at the last good checkpoint; a restart resumes there.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {source}")]
pub struct SinkError {
    /// What was being done.
    pub context: String,
    /// The cause.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl SinkError {
    /// Wraps a cause with what was being done.
    pub fn new(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        SinkError {
            context: context.into(),
            source: source.into(),
        }
    }
}

/// Writes a worker's records to staged storage. Implemented by the Parquet lake sink.
pub trait EpochWriter {
    /// Stages events and dead letters (each with its timely time) and returns the files written.
    fn stage(
        &mut self,
        records: &[(u64, crate::record::Record)],
    ) -> Result<Vec<StagedFile>, SinkError>;
}

/// Makes staged output visible together with the checkpoint. Implemented by the serving database.
pub trait CommitStore {
    /// Atomically records `checkpoint`, `files` and the derived-table `updates`, then publishes the
    /// files.
    fn commit(
        &mut self,
        checkpoint: &Checkpoint,
        files: &[StagedFile],
        updates: &ServingUpdates,
    ) -> Result<(), SinkError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use timely::communication::Bytesable;

    /// A value as another process of a cluster receives it: through timely's bincode, which
    /// (unlike JSON) cannot skip a field, since it reads fields by position.
    fn over_the_wire<T: timely::ExchangeData + Clone>(value: &T) -> T {
        let mut bytes = Vec::new();
        timely::Bincode::from(value.clone()).into_bytes(&mut bytes);
        let bytes = timely::bytes::arc::BytesMut::from(bytes).freeze();
        timely::Bincode::<T>::from_bytes(bytes).payload
    }

    #[test]
    fn a_staging_reaches_the_committer_of_a_cluster_unchanged() {
        let state = |ended_at, stopped| SplitState {
            split: "file:0".into(),
            boundary: 7,
            position: 11,
            max_ts_ms: None,
            read_upto: 13,
            ended_at,
            stopped,
        };
        let staged = Staged {
            worker: 1,
            seq: 2,
            upto: 42,
            files: vec![StagedFile {
                table: "events_view".into(),
                staged: "staging/x.parquet".into(),
                path: "lake/x.parquet".into(),
                rows: 5,
            }],
            progress: vec![
                state(None, false),
                state(Some(9), true),
                state(Some(3), false),
            ],
            counts: BTreeMap::from([("events_view".to_string(), 5)]),
            serving: Vec::new(),
            activity: Vec::new(),
            moderation: Vec::new(),
            erased: vec!["pm_1".into()],
            member_ids: vec![("pm_1".into(), "u1".into())],
        };
        assert_eq!(over_the_wire(&vec![staged.clone()]), vec![staged]);
    }
}
