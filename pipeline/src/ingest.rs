//! The ingest operator: reads a worker's splits, decodes and validates every record, applies the
//! watermark, and emits events at their event-time second, dead letters at the watermark's second, and
//! each split's resume state whenever the worker's capability moves on.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use cohort_schemas::lake::DeadLetter;
use cohort_schemas::{Decoder, Reason};
use timely::dataflow::operators::generic::operator::source;
use timely::dataflow::{Scope, Stream};

use crate::checkpoint::{CommittedRule, SplitResume, SplitState};
use crate::metrics::Metrics;
use crate::record::Record;
use crate::source::{Discover, SourceError, Split, WorkerSplits};
use crate::watermark::{Verdict, Watermark};

/// How the ingest operator reads and judges records.
#[derive(Debug, Clone)]
pub struct IngestSettings {
    /// How far behind the newest event time an event may arrive and still count.
    pub allowed_lateness_ms: i64,
    /// Records read from each split per activation; bounds latency and memory per step.
    pub batch: usize,
    /// The validating decoder.
    pub decoder: Decoder,
    /// Set (by a signal handler) to stop reading: every split ends where it is, the last commit
    /// runs, and a later run resumes exactly there.
    pub stop: Arc<AtomicBool>,
    /// The highest capability any worker of this process has reached. A worker whose splits are all
    /// idle (or that owns none) moves up to it instead of holding everyone back.
    pub progress_hint: Arc<AtomicU64>,
}

impl Default for IngestSettings {
    fn default() -> Self {
        IngestSettings {
            allowed_lateness_ms: 5 * 60 * 1000,
            batch: 4096,
            decoder: Decoder::default(),
            stop: Arc::new(AtomicBool::new(false)),
            progress_hint: Arc::new(AtomicU64::new(0)),
        }
    }
}

/// Unbounded sources with nothing to read are polled again after this long.
const IDLE_POLL: Duration = Duration::from_millis(10);

/// How long a worker without any split waits before it counts as caught up (see
/// [`Metrics::worker_drained`]).
const DRAIN_GRACE: Duration = Duration::from_secs(5);

/// One split with its watermark and the bookkeeping that yields its resume state.
struct Reader {
    split: Box<dyn Split>,
    watermark: Watermark,
    /// What earlier runs committed: a record one of these covers is dropped on replay (see
    /// [`SplitResume::uncommitted_from`] and [`SplitResume::earlier`]).
    committed: Vec<CommittedRule>,
    /// Records are emitted no earlier than this: the worker's capability, which may have moved past
    /// the split's own watermark while the split was idle.
    floor: u64,
    /// For each open timely time: the position of the first record assigned to it, and the
    /// watermark state just before that record.
    open: BTreeMap<u64, (u64, Option<i64>)>,
    done: bool,
}

impl Reader {
    /// A reader for `split`, resumed from `resume` when the split has a checkpoint.
    fn open(
        mut split: Box<dyn Split>,
        resume: Option<&SplitResume>,
        lateness_ms: i64,
        floor: u64,
    ) -> Result<Self, SourceError> {
        let (watermark, committed) = match resume {
            Some(r) => {
                split.seek(r.position)?;
                (Watermark::new(lateness_ms, r.max_ts_ms), r.rules())
            }
            None => (Watermark::new(lateness_ms, None), Vec::new()),
        };
        // Output below the highest committed bound is complete: nothing more may be emitted there.
        // (Checkpoints of older versions end a finished split with the bound `u64::MAX`; stamping
        // everything there would leave no later time to stage it at, so such a bound is no floor.)
        let committed_upto = committed
            .iter()
            .map(|r| r.upto)
            .filter(|&upto| upto != u64::MAX)
            .max()
            .unwrap_or(0);
        Ok(Reader {
            split,
            watermark,
            committed,
            floor: floor.max(committed_upto),
            open: BTreeMap::new(),
            done: false,
        })
    }

    /// The time below which this split will emit nothing more.
    fn frontier(&self) -> u64 {
        self.watermark.frontier().max(self.floor)
    }

    /// The state to resume from so that every record with a time at or above `boundary` is replayed.
    fn state_for(&mut self, boundary: u64) -> SplitState {
        let earliest = self
            .open
            .range(boundary..)
            .map(|(_, v)| *v)
            .min_by_key(|(pos, _)| *pos);
        let (position, max_ts_ms) =
            earliest.unwrap_or((self.split.position(), self.watermark.max_ts_ms()));
        self.open = self.open.split_off(&boundary);
        SplitState {
            split: self.split.id().to_string(),
            boundary,
            position,
            max_ts_ms,
            read_upto: self.split.position(),
            ended_at: None,
            stopped: false,
        }
    }

    /// The split's last state of this run, when the worker's capability `now` is dropped (because
    /// the run was `stopped`, or the input ended): every record read so far is emitted, so it
    /// resumes where reading stopped.
    fn last_state(&mut self, now: u64, stopped: bool) -> SplitState {
        SplitState {
            ended_at: Some(now),
            stopped,
            ..self.state_for(u64::MAX)
        }
    }
}

/// Builds the ingest source over a worker's splits, resuming each from `resume` when it has an entry.
/// Splits found later by the source's discovery start at the worker's capability.
pub fn ingest<'s>(
    scope: Scope<'s, u64>,
    splits: WorkerSplits,
    resume: &BTreeMap<String, SplitResume>,
    settings: IngestSettings,
    metrics: Arc<Metrics>,
) -> Result<Stream<'s, u64, Vec<Record>>, SourceError> {
    let lateness = settings.allowed_lateness_ms;
    let mut readers = Vec::new();
    for split in splits.splits {
        let resumed = resume.get(split.id());
        readers.push(Reader::open(split, resumed, lateness, 0)?);
    }
    let mut discovery: Option<Box<dyn Discover>> = splits.discovery;
    let resume = resume.clone();
    let start = readers.iter().map(Reader::frontier).min().unwrap_or(0);
    let worker = scope.index();
    let stream = source(scope, "Ingest", move |capability, info| {
        let activator = scope.activator_for(info.address);
        let mut capability = Some(capability);
        let mut started = false;
        let mut batch: Vec<(u64, Record)> = Vec::new();
        let mut drained = false;
        let started_at = std::time::Instant::now();
        move |output| {
            let Some(cap) = capability.as_mut() else {
                return;
            };
            if !started {
                cap.downgrade(&start);
                started = true;
                // Every split's state at the start, so that a commit whose bound falls before the
                // first capability move still records where each split resumes.
                let mut session = output.session(&*cap);
                for reader in readers.iter_mut() {
                    session.give(Record::Progress(reader.state_for(start)));
                }
            }
            let now = *cap.time();
            let stopping = settings.stop.load(Ordering::Relaxed);
            if stopping {
                readers.iter_mut().for_each(|r| r.done = true);
                discovery = None;
            }
            if let Some(discovery) = discovery.as_mut() {
                for split in discovery.discover() {
                    let resumed = resume.get(split.id());
                    match Reader::open(split, resumed, lateness, now) {
                        Ok(mut reader) => {
                            // A state at the current time, so a commit never covers records of
                            // this split without also storing where it resumes.
                            let state = reader.state_for(now);
                            output.session(&*cap).give(Record::Progress(state));
                            readers.push(reader);
                        }
                        Err(e) => panic!("source failed, stopping at the last checkpoint: {e}"),
                    }
                }
            }
            for reader in readers.iter_mut().filter(|r| !r.done) {
                reader.floor = reader.floor.max(now);
                let more = read_batch(reader, &settings, &metrics, &mut batch);
                reader.done = !more;
            }
            let read_any = !batch.is_empty();
            // A worker has caught up the first time a poll finds nothing to read and every split
            // says it holds nothing more (a Kafka partition's first fetch takes a moment: an empty
            // poll before it says nothing about the backlog). A worker that owns no split at all
            // counts after a grace, once its partitions would have been assigned.
            let finished = discovery.is_none() && readers.iter().all(|r| r.done);
            let all_read = readers.iter().all(|r| r.done || r.split.caught_up());
            let owns_some = !readers.is_empty() || started_at.elapsed() >= DRAIN_GRACE;
            if !read_any && !drained && (finished || (all_read && owns_some)) {
                drained = true;
                metrics.worker_drained();
            }
            batch.sort_by_key(|(time, _)| *time);
            let mut records = batch.drain(..).peekable();
            while let Some((time, record)) = records.next() {
                let delayed = cap.delayed(&time);
                let mut session = output.session(&delayed);
                session.give(record);
                while let Some((_, record)) = records.next_if(|(t, _)| *t == time) {
                    session.give(record);
                }
            }
            drop(records);
            let grows = discovery.as_ref().is_some_and(|d| d.grows());
            let next = next_capability(&readers, grows, now, &settings);
            if next != Some(now) {
                let mut session = output.session(&*cap);
                for reader in readers.iter_mut() {
                    let state = match next {
                        Some(boundary) => reader.state_for(boundary),
                        None => reader.last_state(now, stopping),
                    };
                    session.give(Record::Progress(state));
                }
            }
            match next {
                Some(t) => {
                    cap.downgrade(&t);
                    metrics.frontier(worker, t);
                    settings.progress_hint.fetch_max(t, Ordering::Relaxed);
                    if read_any {
                        activator.activate();
                    } else {
                        activator.activate_after(IDLE_POLL);
                    }
                }
                None => capability = None,
            }
        }
    });
    Ok(stream)
}

/// Where the worker's capability goes next, `None` once every split is exhausted (and the source
/// cannot grow). Splits that have gone idle do not hold it back: with no active split left it follows
/// the idle splits' watermarks and the other workers' progress.
fn next_capability(
    readers: &[Reader],
    grows: bool,
    now: u64,
    settings: &IngestSettings,
) -> Option<u64> {
    let live = readers.iter().filter(|r| !r.done);
    let active = live
        .clone()
        .filter(|r| !r.split.idle())
        .map(Reader::frontier)
        .min();
    if let Some(t) = active {
        return Some(t.max(now));
    }
    let idle = live.map(Reader::frontier).max();
    if idle.is_none() && !grows {
        return None;
    }
    let hint = settings.progress_hint.load(Ordering::Relaxed);
    Some(idle.unwrap_or(0).max(hint).max(now))
}

/// Reads one batch from a split into `out`; returns whether the split has more.
fn read_batch(
    reader: &mut Reader,
    settings: &IngestSettings,
    metrics: &Metrics,
    out: &mut Vec<(u64, Record)>,
) -> bool {
    let Reader {
        split,
        watermark,
        committed,
        floor,
        open,
        ..
    } = reader;
    let label = split.label().to_string();
    let result = split.read(settings.batch, &mut |position, bytes, key| {
        metrics.record_read();
        let before = watermark.max_ts_ms();
        let dead = |ts_sec: u64, reason: Reason, detail: String, kind: Option<String>, id: Option<String>| {
            DeadLetter {
                ts_ms: (ts_sec as i64).saturating_mul(1000),
                reason,
                detail,
                source: label.clone(),
                position: position as i64,
                kind,
                event_id: id,
                raw: bytes.to_vec(),
                key: key.map(<[u8]>::to_vec),
            }
        };
        let (time, record) = match settings.decoder.decode(bytes) {
            Ok(event) => match watermark.observe(event.ts_ms) {
                Verdict::OnTime(t) => (t, Record::Event(event)),
                Verdict::Late(t) => {
                    let detail = format!(
                        "event time {} is more than the allowed lateness behind the newest event of its source",
                        cohort_schemas::time::format_rfc3339_ms(event.ts_ms)
                    );
                    let kind = Some(event.kind().name().to_string());
                    (t, Record::Dead(dead(t, Reason::Late, detail, kind, Some(event.event_id))))
                }
            },
            Err(rejection) => {
                let t = watermark.frontier();
                (t, Record::Dead(dead(t, rejection.reason, rejection.detail, None, None)))
            }
        };
        if committed.iter().any(|rule| rule.covers(position, time)) {
            metrics.replay_skipped();
            return;
        }
        let time = time.max(*floor);
        match &record {
            Record::Event(e) => metrics.event(e.kind()),
            Record::Dead(d) => metrics.dead_letter(d.reason),
            Record::Progress(_)
            | Record::Serving(_)
            | Record::Activity(_)
            | Record::ChatScan(_)
            | Record::Moderation(_)
            | Record::MemberId { .. } => {}
        }
        open.entry(time).or_insert((position, before));
        out.push((time, record));
    });
    if let Some(lag) = split.lag() {
        metrics.split_lag(&label, lag);
    }
    match result {
        Ok(more) => more,
        Err(e) => panic!("source failed, stopping at the last checkpoint (rerun to resume): {e}"),
    }
}
