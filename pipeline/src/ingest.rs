//! The ingest operator: reads a worker's splits, decodes and validates every record, applies the
//! watermark, and emits events at their event-time second, dead letters at the watermark's second, and
//! each split's resume state whenever the worker's capability moves on.

use std::collections::BTreeMap;
use std::sync::Arc;

use cohort_schemas::lake::DeadLetter;
use cohort_schemas::{Decoder, Reason};
use timely::dataflow::operators::generic::operator::source;
use timely::dataflow::{Scope, Stream};

use crate::checkpoint::{SplitResume, SplitState};
use crate::metrics::Metrics;
use crate::record::Record;
use crate::source::{SourceError, Split};
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
}

impl Default for IngestSettings {
    fn default() -> Self {
        IngestSettings {
            allowed_lateness_ms: 5 * 60 * 1000,
            batch: 4096,
            decoder: Decoder::default(),
        }
    }
}

/// One split with its watermark and the bookkeeping that yields its resume state.
struct Reader {
    split: Box<dyn Split>,
    watermark: Watermark,
    /// Records assigned a time below this were committed by an earlier run: dropped on replay.
    committed_upto: u64,
    /// For each open timely time: the position of the first record assigned to it, and the
    /// watermark state just before that record.
    open: BTreeMap<u64, (u64, Option<i64>)>,
    done: bool,
}

impl Reader {
    /// The time below which this split will emit nothing more.
    fn frontier(&self) -> u64 {
        self.watermark.frontier().max(self.committed_upto)
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
        }
    }
}

/// Builds the ingest source over `splits`, resuming each from `resume` when it has an entry.
pub fn ingest<'s>(
    scope: Scope<'s, u64>,
    splits: Vec<Box<dyn Split>>,
    resume: &BTreeMap<String, SplitResume>,
    settings: IngestSettings,
    metrics: Arc<Metrics>,
) -> Result<Stream<'s, u64, Vec<Record>>, SourceError> {
    let mut readers = Vec::new();
    for mut split in splits {
        let (watermark, committed_upto) = match resume.get(split.id()) {
            Some(r) => {
                split.seek(r.position)?;
                (
                    Watermark::new(settings.allowed_lateness_ms, r.max_ts_ms),
                    r.committed_upto,
                )
            }
            None => (Watermark::new(settings.allowed_lateness_ms, None), 0),
        };
        readers.push(Reader {
            split,
            watermark,
            committed_upto,
            open: BTreeMap::new(),
            done: false,
        });
    }
    let start = readers.iter().map(Reader::frontier).min().unwrap_or(0);
    let stream = source(scope, "Ingest", move |capability, info| {
        let activator = scope.activator_for(info.address);
        let mut capability = Some(capability);
        let mut started = false;
        let mut batch: Vec<(u64, Record)> = Vec::new();
        move |output| {
            let Some(cap) = capability.as_mut() else {
                return;
            };
            if !started {
                cap.downgrade(&start);
                started = true;
            }
            for reader in readers.iter_mut().filter(|r| !r.done) {
                let more = read_batch(reader, &settings, &metrics, &mut batch);
                reader.done = !more;
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
            let active = readers
                .iter()
                .filter(|r| !r.done)
                .map(Reader::frontier)
                .min();
            let next = active.map(|f| f.max(*cap.time()));
            if next != Some(*cap.time()) {
                let boundary = next.unwrap_or(u64::MAX);
                let mut session = output.session(&*cap);
                for reader in readers.iter_mut() {
                    session.give(Record::Progress(reader.state_for(boundary)));
                }
            }
            match next {
                Some(t) => {
                    cap.downgrade(&t);
                    activator.activate();
                }
                None => capability = None,
            }
        }
    });
    Ok(stream)
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
        committed_upto,
        open,
        ..
    } = reader;
    let label = split.label().to_string();
    let result = split.read(settings.batch, &mut |position, bytes| {
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
        if time < *committed_upto {
            metrics.replay_skipped();
            return;
        }
        match &record {
            Record::Event(e) => metrics.event(e.kind()),
            Record::Dead(d) => metrics.dead_letter(d.reason),
            Record::Progress(_) => {}
        }
        open.entry(time).or_insert((position, before));
        out.push((time, record));
    });
    match result {
        Ok(more) => more,
        Err(e) => panic!("source failed, stopping at the last checkpoint (rerun to resume): {e}"),
    }
}
