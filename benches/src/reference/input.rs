//! The reference jobs' input, read the way `cohort run` reads a file source: the worker's splits of
//! [`SourceSpec::File`] (one byte range of the file per worker), the ingest operator (validating
//! decoder, watermark, event-time stamps) with the settings of cohort's configuration, and the
//! resulting events entering differential at the event-time second ingest stamped them with.

use std::collections::BTreeMap;
use std::sync::Arc;

use cohort_jobs::config::Config;
use cohort_pipeline::ingest::{IngestSettings, ingest};
use cohort_pipeline::source::SourceError;
use cohort_pipeline::{Metrics, Record, SourceSpec};
use cohort_schemas::{Decoder, Event, Kind, Payload, Reason};
use differential_dataflow::{AsCollection, VecCollection};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::Scope;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

/// A collection over event-time seconds, as cohort's dataflows use.
pub(crate) type Coll<'s, D> = VecCollection<'s, u64, D>;

/// The settings the ingest job runs with under `config` (lateness, batch size, validation limits);
/// one value shared by all workers, as in the ingest job, so the progress hint is common to them.
pub(crate) fn settings(config: &Config) -> IngestSettings {
    IngestSettings {
        allowed_lateness_ms: config.runtime.allowed_lateness_ms,
        batch: config.runtime.batch,
        decoder: Decoder::new(config.validation.clone()),
        ..IngestSettings::default()
    }
}

/// An event of the kinds the reference jobs read (view and like), reduced to what they need.
pub(crate) struct Touch {
    /// The community.
    pub community_id: String,
    /// The member.
    pub user_id: String,
    /// The item viewed or liked.
    pub item_id: String,
    /// View or like.
    pub kind: Kind,
}

impl Touch {
    /// The touch an event is, moving its strings out; `None` for kinds other than view and like.
    fn of(event: Event) -> Option<Touch> {
        let kind = event.kind();
        let item_id = match event.payload {
            Payload::View(v) => v.item_id,
            Payload::Like(l) => l.item_id,
            _ => return None,
        };
        Some(Touch {
            community_id: event.community_id,
            user_id: event.user_id,
            item_id,
            kind,
        })
    }
}

/// This worker's share of the file's view and like events as a collection of `select(touch)`, at the
/// times the ingest operator gives them. Dead letters and progress records are dropped here; the
/// caller reads how many there were from `metrics`.
pub(crate) fn touches<'s, D, F>(
    scope: Scope<'s, u64>,
    spec: &SourceSpec,
    settings: IngestSettings,
    metrics: Arc<Metrics>,
    mut select: F,
) -> Result<Coll<'s, D>, SourceError>
where
    D: differential_dataflow::Data,
    F: FnMut(Touch) -> D + 'static,
{
    let splits = spec.splits_for(scope.index(), scope.peers())?;
    let records = ingest(scope, splits, &BTreeMap::new(), settings, metrics)?;
    let updates = records.unary::<CapacityContainerBuilder<Vec<(D, u64, isize)>>, _, _, _>(
        Pipeline,
        "ReferenceTouches",
        |_, _| {
            move |input, output| {
                input.for_each(|cap, records| {
                    // Ingest sends each batch at one time; a message without one claims no time.
                    let Some(cap) = cap.retain_least(0) else {
                        return;
                    };
                    let time = *cap.time();
                    let touches = records.drain(..).filter_map(|record| match record {
                        Record::Event(event) => Touch::of(event).map(|t| (select(t), time, 1)),
                        _ => None,
                    });
                    output.session(&cap).give_iterator(touches);
                });
            }
        },
    );
    Ok(updates.as_collection())
}

/// What the ingest operator counted over a run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counted {
    /// Records read from the file (non-blank lines).
    pub read: u64,
    /// Valid events of other kinds (skipped by the reference jobs).
    pub other_kinds: u64,
    /// Dead letters: rejected or late records.
    pub rejected: u64,
}

impl Counted {
    /// The figures of `metrics` at the end of a run.
    pub(crate) fn of(metrics: &Metrics) -> Counted {
        let touches = metrics.events(Kind::View) + metrics.events(Kind::Like);
        let valid: u64 = Kind::ALL.iter().map(|k| metrics.events(*k)).sum();
        Counted {
            read: metrics.records_read(),
            other_kinds: valid - touches,
            rejected: Reason::ALL.iter().map(|r| metrics.dead_letters(*r)).sum(),
        }
    }
}
