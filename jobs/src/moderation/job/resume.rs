//! What the moderation job starts from after a restart: everything it takes, read back from the
//! lake, from far enough back that every alert still open or still awaiting a verdict is rebuilt.
//!
//! The lake holds exactly the committed events and, written with each chat message by the same
//! worker in the same commit, its [`ChatScan`](cohort_schemas::moderation::ChatScan). So the
//! owner replays the scans, payments, joins and verdicts before the resume point into fresh rules
//! and a fresh book (their alert changes were committed then) and takes those at or after it
//! (committed by a worker that got further) with the live stream, in order. Nothing is scanned
//! again: the stored text is redacted, and the lexicons or models may have changed since.
//!
//! Because the state is rebuilt from the lake rather than from the serving table, it does not
//! matter that the workers' last commits reached different points, nor how many workers there
//! were.

use std::path::Path;

use cohort_schemas::Kind;
use cohort_schemas::lake::{LakeTable, chat_scans_from_batch, events_from_batch};

use super::config::ModerationJobConfig;
use super::{Routed, owner_of, sort_routed};
use crate::lake_replay::{ReplayError, partition_start_ms, read_batches, table_files};

/// One worker's share of the restart state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModerationStart {
    /// What the lake holds before the resume point, in order.
    pub before: Vec<Routed>,
    /// What it holds at or after it (the live stream's replay does not bring those again).
    pub after: Vec<Routed>,
    /// Just below the resume point (ms), where the rules' clocks stood at the last commit; `None`
    /// when the last run read its input to the end.
    pub resume_ms: Option<i64>,
}

/// Where a run resumes: the committed epoch (ms), and the first sighting of the oldest alert the
/// serving table holds open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResumePoint {
    /// The checkpoint's epoch in ms (`None`: the last run read its input to the end).
    pub epoch_ms: Option<i64>,
    /// The earliest `first_seen` of an open alert.
    pub oldest_open_ms: Option<i64>,
}

/// Everything the lake holds for the moderation owners since far enough back, in order.
pub fn read_lake_moderation(
    lake_root: &Path,
    resume: ResumePoint,
    config: &ModerationJobConfig,
) -> Result<Vec<Routed>, ReplayError> {
    const HOUR_MS: i64 = 3_600_000;
    let tables = [
        LakeTable::ChatScans,
        LakeTable::Events(Kind::Payment),
        LakeTable::Events(Kind::Member),
        LakeTable::Events(Kind::ModerationVerdict),
    ];
    let mut files = Vec::new();
    for table in tables {
        files.extend(
            table_files(lake_root, table.name(), None)?
                .into_iter()
                .map(|path| (table, path)),
        );
    }
    let Some(newest) = files
        .iter()
        .filter_map(|(_, f)| partition_start_ms(f))
        .max()
    else {
        return Ok(Vec::new());
    };
    let end = newest.saturating_add(HOUR_MS);
    let end = resume.epoch_ms.map_or(end, |e| e.min(end));
    let reach = config.lookback_ms().max(
        config
            .keep_closed_ms()
            .saturating_add(config.dedupe_window_ms()),
    );
    let mut from_ms = end.saturating_sub(reach);
    if let Some(oldest) = resume.oldest_open_ms {
        from_ms = from_ms.min(oldest);
    }
    let hour_start = from_ms - from_ms.rem_euclid(HOUR_MS);
    let mut items = Vec::new();
    for (table, path) in files {
        if partition_start_ms(&path).is_some_and(|start| start < hour_start) {
            continue;
        }
        read_batches(&path, |batch| {
            match table {
                LakeTable::Events(kind) => {
                    let events = events_from_batch(kind, batch).map_err(|e| e.to_string())?;
                    items.extend(events.into_iter().filter_map(Routed::of_event));
                }
                _ => {
                    let scans = chat_scans_from_batch(batch).map_err(|e| e.to_string())?;
                    items.extend(scans.into_iter().map(Routed::Scan));
                }
            }
            Ok(())
        })?;
    }
    items.retain(|r| r.ts_ms() >= from_ms);
    sort_routed(&mut items);
    Ok(items)
}

impl ModerationStart {
    /// Shares `items` (in order) out among `peers` owners, each share split at `resume`.
    pub fn share_out(
        items: Vec<Routed>,
        resume: ResumePoint,
        peers: usize,
    ) -> Vec<ModerationStart> {
        let mut starts: Vec<ModerationStart> = (0..peers.max(1))
            .map(|_| ModerationStart {
                resume_ms: resume.epoch_ms.map(|e| e - 1),
                ..ModerationStart::default()
            })
            .collect();
        for item in items {
            let start = &mut starts[owner_of(item.community(), peers)];
            match resume.epoch_ms {
                Some(e) if item.ts_ms() >= e => start.after.push(item),
                _ => start.before.push(item),
            }
        }
        starts
    }
}
