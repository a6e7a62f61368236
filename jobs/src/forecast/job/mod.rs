//! The forecast job inside `cohort run`: hourly series from the ingest stream, closed as timely's
//! frontier (the ingest watermark) passes each hour's end, a [`SeriesMonitor`] per series issuing a
//! forecast and judging alerts on every closed hour. Its outputs join the records the stage
//! operator commits, so each commit carries the closed hours, forecasts and alerts of the events it
//! commits (`docs/forecast.md`, "The job").
//!
//! [`SeriesMonitor`]: crate::forecast::monitor::SeriesMonitor

mod owner;
mod resume;
mod state;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use cohort_pipeline::{Metrics, Record};
use cohort_schemas::activity::{ActivityOutput, AlertStatus};
use cohort_schemas::time::second_start_ms;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::generic::Operator;

use crate::forecast::series::{Contribution, contributions, hour_of};

pub use owner::{owner_of, series_hash};
pub use resume::{LakeActivity, read_lake_activity, resume_worker};
pub use state::{WorkerSeries, series_id};

/// What travels to the series' owners: an event's contribution (to its series' owner), or the
/// latest event time one worker has ingested (to every worker, so each can close the hours that the
/// input's last watermark passed when a bounded input ends).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
enum Routed {
    /// (event ms, hour start ms, contribution).
    Contribution(i64, i64, Contribution),
    /// (target worker, latest event ms).
    Latest(u64, i64),
    /// (target worker): a stop ended one worker's reading.
    Stopped(u64),
}

impl Routed {
    fn target(&self) -> u64 {
        match self {
            Routed::Contribution(_, _, c) => series_hash(&c.key),
            Routed::Latest(worker, _) | Routed::Stopped(worker) => *worker,
        }
    }
}

/// The forecast job's outputs (`Record::Activity`) for the events of `records`, starting from this
/// worker's resumed `state`.
///
/// When a bounded input ends, the hours its last events' watermark has passed close too (as if the
/// frontier had moved once more). When a stop (SIGINT, SIGTERM, `stop` set) ends a worker's reading,
/// no hour closes any more in this run: the frontier then follows the workers still reading, past
/// hours the stopped one may still bring events for. They stay open for the next run, which
/// rebuilds them from the lake.
pub fn activity_outputs<'s>(
    records: Stream<'s, u64, Vec<Record>>,
    state: WorkerSeries,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
) -> Stream<'s, u64, Vec<Record>> {
    let peers = records.scope().peers() as u64;
    let routed = records.unary::<CapacityContainerBuilder<Vec<Routed>>, _, _, _>(
        Pipeline,
        "ActivityContributions",
        move |_, _| {
            let mut latest = i64::MIN;
            move |input, output| {
                input.for_each(|cap, data| {
                    let mut session = output.session(&cap);
                    let before = latest;
                    for record in data.iter() {
                        if let Record::Progress(split) = record
                            && split.stopped
                        {
                            session.give_iterator((0..peers).map(Routed::Stopped));
                        }
                        if let Record::Event(e) = record {
                            latest = latest.max(e.ts_ms);
                            let hour = hour_of(e.ts_ms);
                            session.give_iterator(
                                contributions(e)
                                    .into_iter()
                                    .map(|c| Routed::Contribution(e.ts_ms, hour, c)),
                            );
                        }
                    }
                    if latest > before {
                        session.give_iterator((0..peers).map(|w| Routed::Latest(w, latest)));
                    }
                });
            }
        },
    );
    routed.unary_frontier::<CapacityContainerBuilder<Vec<Record>>, _, _, _>(
        Exchange::new(Routed::target),
        "ActivityHours",
        move |initial, _| {
            let mut held = Some(initial);
            let mut state = Some(state);
            let mut stopping = false;
            move |(input, frontier), output| {
                let Some(series) = state.as_mut() else {
                    input.for_each(|_, _| {});
                    return;
                };
                input.for_each(|_, data| {
                    for routed in data.drain(..) {
                        match routed {
                            Routed::Contribution(_, hour, c) => {
                                if !series.add(hour, c) {
                                    metrics.activity_too_late();
                                }
                            }
                            Routed::Latest(_, ts_ms) => series.saw(ts_ms),
                            Routed::Stopped(_) => stopping = true,
                        }
                    }
                });
                let Some(cap) = held.as_mut() else { return };
                let outputs = match frontier.frontier().iter().min().copied() {
                    Some(upto) => {
                        if upto <= *cap.time() {
                            return;
                        }
                        cap.downgrade(&upto);
                        if stopping {
                            return;
                        }
                        series.close_before(second_start_ms(upto))
                    }
                    None if stopping || stop.load(Ordering::SeqCst) => Vec::new(),
                    None => series.close_at_end(),
                };
                // An alert's first state (one anomalous hour, open) is emitted once: its raising.
                let raised = outputs.iter().filter(|o| {
                    matches!(o, ActivityOutput::Alert(a) if a.hours == 1 && a.status == AlertStatus::Open)
                });
                raised.for_each(|_| metrics.alert_raised("activity"));
                if !outputs.is_empty() {
                    output
                        .session(&*cap)
                        .give_iterator(outputs.into_iter().map(Record::Activity));
                }
                if frontier.is_empty() {
                    held = None;
                    state = None;
                }
            }
        },
    )
}
