//! A worker's series after a restart, rebuilt from what the last checkpoint committed: the lake's
//! `activity_hourly` (closed hours, so the model state), the serving table's open alerts, and the
//! lake's events of the hours still open.
//!
//! A worker's series close together, hour by hour, and a commit holds a time prefix of each
//! worker's outputs, so the committed closed hours of a worker end at one hour for all its live
//! series: everything after it is open and rebuilt from the events committed to the lake; events
//! not committed yet are replayed by the source. An event of an hour already committed as closed
//! (replayed because its own worker's commit lagged) was already counted and is dropped as too late.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use cohort_schemas::Kind;
use cohort_schemas::activity::ActivityAlert;
use cohort_schemas::event::Event;
use cohort_schemas::lake::{activity_hours_from_batch, events_from_batch};

use super::owner::owner_of;
use super::state::{WorkerSeries, series_id};
use crate::forecast::ForecastJobConfig;
use crate::forecast::monitor::SeriesMonitor;
use crate::forecast::series::{HOUR_MS, Metric, SeriesBuilder, SeriesKey, contributions, hour_of};
use crate::lake_replay::{ReplayError, partition_start_ms, read_batches, table_files};

/// The event kinds that feed series.
const KINDS: [Kind; 6] = [
    Kind::View,
    Kind::Like,
    Kind::Payment,
    Kind::Chat,
    Kind::Checkin,
    Kind::Member,
];

/// What the lake holds for the forecast job's restart, read once for all workers (each worker
/// keeps its own series of it in [`resume_worker`]).
pub struct LakeActivity {
    /// Every committed closed hour: (series, hour start ms, value).
    closed: Vec<(SeriesKey, i64, i64)>,
    /// The events of every partition a worker may still have open: (partition start ms, events of
    /// one file).
    open_events: Vec<(Option<i64>, Vec<Event>)>,
}

/// Reads the committed closed hours, and the events of the hours that some worker of `peers` has
/// not closed yet.
pub fn read_lake_activity(lake_root: &Path, peers: usize) -> Result<LakeActivity, ReplayError> {
    let mut closed = Vec::new();
    for path in table_files(lake_root, "activity_hourly", None)? {
        read_batches(&path, |batch| {
            for h in activity_hours_from_batch(batch).map_err(|e| e.to_string())? {
                let Ok(metric) = Metric::from_str(&h.series.metric) else {
                    continue;
                };
                let key = SeriesKey::new(&h.series.community_id, &h.series.channel_id, metric);
                closed.push((key, h.hour_ms, h.value));
            }
            Ok(())
        })?;
    }
    // The earliest hour any worker still has open: a worker with nothing closed needs every file.
    let from = (0..peers)
        .map(|index| next_to_close(&closed, index, peers))
        .min()
        .flatten();
    let mut open_events = Vec::new();
    for kind in KINDS {
        for path in table_files(lake_root, kind.table(), from)? {
            let mut events = Vec::new();
            read_batches(&path, |batch| {
                events.extend(events_from_batch(kind, batch).map_err(|e| e.to_string())?);
                Ok(())
            })?;
            open_events.push((partition_start_ms(&path), events));
        }
    }
    Ok(LakeActivity {
        closed,
        open_events,
    })
}

/// The first hour worker `index` of `peers` has not closed: its series close together, so this is
/// the hour after the last one any of them closed (`None` when none closed any).
fn next_to_close(closed: &[(SeriesKey, i64, i64)], index: usize, peers: usize) -> Option<i64> {
    closed
        .iter()
        .filter(|(key, _, _)| owner_of(key, peers) == index)
        .map(|(_, hour, _)| *hour)
        .max()
        .map(|h| h + HOUR_MS)
}

/// Worker `index` of `peers`' series as the last checkpoint left them, from `lake` (read once by
/// [`read_lake_activity`]). `alerts` are the activity alerts of the serving table (every worker's;
/// each keeps its own series' open ones).
pub fn resume_worker(
    lake: &LakeActivity,
    alerts: &[ActivityAlert],
    index: usize,
    peers: usize,
    config: &ForecastJobConfig,
    lateness_ms: i64,
) -> WorkerSeries {
    let owned = |key: &SeriesKey| owner_of(key, peers) == index;
    let mut closed: BTreeMap<SeriesKey, Vec<(i64, i64)>> = BTreeMap::new();
    for (key, hour, value) in lake.closed.iter().filter(|(key, _, _)| owned(key)) {
        closed.entry(key.clone()).or_default().push((*hour, *value));
    }
    let next_to_close = next_to_close(&lake.closed, index, peers);
    let last_closed = next_to_close.map(|h| h - HOUR_MS);
    let monitor_config = config.monitor();
    let mut monitors = BTreeMap::new();
    let mut first_hours = Vec::new();
    for (key, mut hours) in closed {
        hours.sort_unstable();
        hours.dedup_by_key(|(h, _)| *h);
        let run = trailing_run(&hours);
        let idle = run.iter().rev().take_while(|(_, v)| *v == 0).count() as u64;
        // Series that stopped closing hours before the others were evicted, as were those idle
        // for the eviction window.
        if run.last().map(|(h, _)| *h) != last_closed || idle >= config.evict_after_hours {
            continue;
        }
        let id = series_id(&key);
        let open = alerts
            .iter()
            .filter(|a| a.series == id)
            .max_by_key(|a| a.first_hour_ms)
            .cloned();
        first_hours.push((key.clone(), run[0].0));
        monitors.insert(key, SeriesMonitor::resume(id, run, open, &monitor_config));
    }
    let builder = SeriesBuilder::resume(lateness_ms, next_to_close, first_hours);
    let mut state = WorkerSeries::new(
        builder,
        monitors,
        monitor_config,
        config.evict_after_hours,
        lateness_ms,
    );
    // The files this worker's own open hours need, as if it had listed them itself.
    let needed = |start: &Option<i64>| match (next_to_close, start) {
        (Some(from), Some(start)) => *start >= from,
        _ => true,
    };
    for (_, events) in lake.open_events.iter().filter(|(start, _)| needed(start)) {
        for event in events {
            // Every event, owned or not: the latest decides the closing at the input's end.
            state.saw(event.ts_ms);
            let hour = hour_of(event.ts_ms);
            for c in contributions(event) {
                if owned(&c.key) {
                    state.add(hour, c);
                }
            }
        }
    }
    state
}

/// The consecutive hours at the end of `hours` (sorted, distinct).
fn trailing_run(hours: &[(i64, i64)]) -> &[(i64, i64)] {
    let mut start = hours.len().saturating_sub(1);
    while start > 0 && hours[start - 1].0 + HOUR_MS == hours[start].0 {
        start -= 1;
    }
    &hours[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trailing_run_starts_after_the_last_gap() {
        let h = |i: i64| (i * HOUR_MS, i);
        assert_eq!(trailing_run(&[h(1), h(2), h(5), h(6)]), &[h(5), h(6)]);
        assert_eq!(trailing_run(&[h(1), h(2)]), &[h(1), h(2)]);
        assert!(trailing_run(&[]).is_empty());
    }
}
