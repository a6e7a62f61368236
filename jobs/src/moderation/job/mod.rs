//! The moderation job inside `cohort run`: alerts on chat and payments as they are ingested.
//!
//! Two steps, so the expensive one scales with the workers and the stateful one sees a whole
//! community:
//!
//! 1. on the worker that read it, every chat message is scanned once ([`scan`]: personal data,
//!    lexicon phrases, classifier scores), *before* the stored-text policy redacts it, and reduced
//!    to the small signal the flood rules need;
//! 2. findings, signals, payments, joins and verdicts go to their community's owner, which runs the
//!    flood and payment rules and the [`book`] of alerts on event time: it takes what timely's
//!    frontier (the ingest watermark) has passed in event-time order, so the alerts do not depend
//!    on how the input was split between workers or batched.
//!
//! The owner's alert states join the records the stage operator commits (serving `alerts`, lake
//! `moderation_alerts`, then the Kafka alert topic). `docs/moderation.md` ("The job") says what a
//! restart restores.

pub mod book;
pub mod config;
mod resume;
pub mod scan;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cohort_pipeline::{Metrics, Record};
use cohort_schemas::event::{Chat, Event, MemberAction, Payload};
use cohort_schemas::moderation::{ChatScan, VerdictOutcome};
use cohort_schemas::time::second_start_ms;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::Concat;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Map;

use crate::moderation::classifier::features::Scratch;
use crate::moderation::flood::{ChatSignal, FloodDetector};
use crate::moderation::lexicon::{ConfigLoader, ReloadableLexicons};
use crate::moderation::payments::PaymentDetector;
use crate::moderation::stable_hash::{FNV_OFFSET, mix, step};
use book::{AlertBook, VerdictEffect};
pub use config::{ClassifierKind, ClassifierSpec, ModerationJobConfig};
pub use resume::{ModerationStart, ResumePoint, read_lake_moderation};
use scan::{LoadedClassifier, MessageScanner};

/// Why the moderation job could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The lexicons could not be built.
    #[error(transparent)]
    Lexicons(#[from] crate::moderation::lexicon::LexiconError),
    /// A classifier's model file could not be read.
    #[error("moderation.classifiers: {0}")]
    Model(#[from] crate::moderation::classifier::file::ModelFileError),
    /// The lake could not be read back to warm the detectors up.
    #[error(transparent)]
    Lake(#[from] crate::lake_replay::ReplayError),
}

/// Everything a run of the moderation job shares between its workers.
pub struct ModerationRun {
    /// The per-message rules.
    pub scanner: Arc<MessageScanner>,
    /// The lexicons the scanner matches, to reload when their files change.
    pub lexicons: Arc<ReloadableLexicons>,
    /// Each worker's share of what the lake holds for the owners, taken by the worker when its
    /// dataflow is built (so the replay is not held for the whole run).
    starts: Mutex<Vec<Option<ModerationStart>>>,
}

impl ModerationRun {
    /// Builds the lexicons, loads the models and, when resuming, reads the lake back and shares it
    /// out among `workers` owners. With a `config_file` (and the loader that reads
    /// `[moderation.lexicons]` from it), the lexicons are rebuilt when that file changes, not only
    /// when their own files do.
    pub fn prepare(
        config: &ModerationJobConfig,
        config_file: Option<(PathBuf, ConfigLoader)>,
        lake_root: &Path,
        resume: Option<ResumePoint>,
        workers: usize,
    ) -> Result<ModerationRun, StartError> {
        let lexicons = Arc::new(match config_file {
            Some((path, loader)) => ReloadableLexicons::with_config_file(path, loader)?,
            None => ReloadableLexicons::new(config.lexicons.clone())?,
        });
        let classifiers = config
            .classifiers
            .iter()
            .map(LoadedClassifier::load)
            .collect::<Result<Vec<_>, _>>()?;
        let scanner =
            MessageScanner::new(Arc::clone(&lexicons), classifiers, config.evidence_chars);
        let (replay, resume) = match resume {
            Some(point) => (read_lake_moderation(lake_root, point, config)?, point),
            None => (Vec::new(), ResumePoint::default()),
        };
        let starts = ModerationStart::share_out(replay, resume, workers);
        Ok(ModerationRun {
            scanner: Arc::new(scanner),
            lexicons,
            starts: Mutex::new(starts.into_iter().map(Some).collect()),
        })
    }

    /// Worker `index`'s rules, resumed from its share (once: a second call starts afresh).
    pub fn owner_state(
        &self,
        config: &ModerationJobConfig,
        index: usize,
        metrics: &Metrics,
    ) -> OwnerState {
        let start = self
            .starts
            .lock()
            .ok()
            .and_then(|mut starts| starts.get_mut(index).and_then(Option::take))
            .unwrap_or_default();
        OwnerState::new(config, start, metrics)
    }
}

/// What the community's owner takes, from the live stream or from the lake after a restart.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Routed {
    /// A scanned chat message: its per-message findings and its flood signal.
    Scan(ChatScan),
    /// A payment or a join, for the payment and newcomer rules.
    Traffic(Event),
    /// A moderator's verdict: (community, event ms, event id, alert id, outcome).
    Verdict(String, i64, String, String, VerdictOutcome),
}

impl Routed {
    /// What the owner takes of an event other than a chat message, if anything (chat messages
    /// come as their [`ChatScan`]).
    pub fn of_event(event: Event) -> Option<Routed> {
        match &event.payload {
            Payload::Payment(_) => Some(Routed::Traffic(event)),
            Payload::Member(m) if m.action == MemberAction::Join => Some(Routed::Traffic(event)),
            Payload::ModerationVerdict(v) => Some(Routed::Verdict(
                event.community_id.clone(),
                event.ts_ms,
                event.event_id.clone(),
                v.alert_id.clone(),
                v.verdict,
            )),
            _ => None,
        }
    }

    /// The community whose owner takes it.
    pub fn community(&self) -> &str {
        match self {
            Routed::Scan(s) => &s.community_id,
            Routed::Traffic(e) => &e.community_id,
            Routed::Verdict(c, ..) => c,
        }
    }

    /// Its event time, ms.
    pub fn ts_ms(&self) -> i64 {
        self.order().0
    }

    /// Event-time order, then the event id: a total order on what one run can route (event ids
    /// are unique), so the owner's result does not depend on arrival order.
    fn order(&self) -> (i64, &str) {
        match self {
            Routed::Scan(s) => (s.ts_ms, &s.event_id),
            Routed::Traffic(e) => (e.ts_ms, &e.event_id),
            Routed::Verdict(_, ts, id, ..) => (*ts, id),
        }
    }
}

/// Sorts items in the order the owner takes them.
pub fn sort_routed(items: &mut [Routed]) {
    items.sort_by(|a, b| a.order().cmp(&b.order()));
}

/// The routing hash of a community: a fixed function (not `std`'s hasher), so that a restart
/// gives every community the same owner as the run before.
pub fn community_hash(community_id: &str) -> u64 {
    mix(community_id
        .bytes()
        .fold(FNV_OFFSET, |h, b| step(h, u64::from(b))))
}

/// The worker (of `peers`) that owns a community's moderation state.
pub fn owner_of(community_id: &str, peers: usize) -> usize {
    (community_hash(community_id) % peers.max(1) as u64) as usize
}

/// The stateful rules of the communities one worker owns.
pub struct OwnerState {
    flood: FloodDetector,
    payments: PaymentDetector,
    book: AlertBook,
    /// What the lake holds at or after the resume point: taken with the live stream, in order.
    resumed: Vec<Routed>,
}

impl OwnerState {
    /// Fresh rules, brought to where the last run committed by `start.before` (whose alert
    /// changes were committed then, so they are not sent again), with the clock just below the
    /// resume point: what closed before it was committed too.
    pub fn new(
        config: &ModerationJobConfig,
        start: ModerationStart,
        metrics: &Metrics,
    ) -> OwnerState {
        let mut state = OwnerState {
            flood: FloodDetector::new(&config.flood),
            payments: PaymentDetector::new(&config.payments),
            book: AlertBook::new(config.dedupe_window_ms(), config.keep_closed_ms()),
            resumed: start.after,
        };
        for item in start.before {
            state.take(item, metrics);
        }
        if let Some(ms) = start.resume_ms {
            state.advance_to(ms);
        }
        state.book.drain_changes();
        state
    }

    fn take(&mut self, routed: Routed, metrics: &Metrics) {
        let mut findings = Vec::new();
        match routed {
            Routed::Scan(mut scan) => {
                let event = scan_event(&scan);
                let signal = ChatSignal::of_scan(&scan);
                self.payments.advance_to(scan.ts_ms);
                findings = std::mem::take(&mut scan.findings);
                findings.extend(self.flood.observe_signal(&event, &signal));
            }
            Routed::Traffic(event) => {
                findings = self.flood.observe(&event);
                findings.extend(self.payments.observe(&event));
            }
            Routed::Verdict(_, ts_ms, _, id, outcome) => {
                if self.book.verdict(&id, outcome, ts_ms) == VerdictEffect::Unknown {
                    metrics.moderation_verdict_unmatched();
                }
            }
        }
        for finding in &findings {
            if self.book.record(finding) {
                metrics.alert_raised(finding.kind.name());
            }
        }
    }

    /// Moves every clock to `now_ms` (the watermark): idle state ages out, alerts close.
    fn advance_to(&mut self, now_ms: i64) {
        self.flood.advance_to(now_ms);
        self.payments.advance_to(now_ms);
        self.book.advance_to(now_ms);
    }
}

/// The chat event a scan stands for, as far as the flood rules look at it (who, where, when).
fn scan_event(scan: &ChatScan) -> Event {
    Event {
        event_id: scan.event_id.clone(),
        ts_ms: scan.ts_ms,
        community_id: scan.community_id.clone(),
        user_id: scan.member_id.clone(),
        payload: Payload::Chat(Chat {
            channel_id: scan.channel_id.clone(),
            message_id: String::new(),
            text: String::new(),
            reply_to: None,
            mentions: Vec::new(),
            item_mentions: Vec::new(),
        }),
        extra: None,
    }
}

/// What travels to the owners: an item for its community's owner, or the latest event time one
/// worker has ingested (to every worker, for the watermark at the end of a bounded input).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[allow(clippy::large_enum_variant)] // `Latest` is rare: one per worker and batch
enum ToOwner {
    Item(Routed),
    /// (target worker, latest event ms).
    Latest(u64, i64),
    /// (target worker, the capability at which a stop ended one worker's reading).
    Stopped(u64, u64),
}

/// How a run's end is judged. Whether it was stopped comes with the input (the splits' last
/// states say so, and the committer reads the same flag), so the owners and the checkpoint agree.
#[derive(Debug, Clone)]
pub struct RunEnd {
    /// `runtime.allowed_lateness_ms`: when the input ended, the watermark is the latest event time
    /// less it.
    pub lateness_ms: i64,
}

/// The moderation job's outputs for the events of `records` (their text as written: call this
/// before the stored-text policy rewrites it), starting from this worker's resumed `state`:
/// `Record::ChatScan` for every chat message (at the message's time, on the worker that read it,
/// so it is committed with the message) and `Record::Moderation` for every alert state.
pub fn moderation_outputs<'s>(
    records: Stream<'s, u64, Vec<Record>>,
    scanner: Arc<MessageScanner>,
    state: OwnerState,
    ends: RunEnd,
    metrics: Arc<Metrics>,
) -> Stream<'s, u64, Vec<Record>> {
    let peers = records.scope().peers() as u64;
    // One pass over the ingest stream: chat messages are scanned, the other events the owners
    // take are moved on, the rest is dropped here.
    let routed = records.unary::<CapacityContainerBuilder<Vec<ToOwner>>, _, _, _>(
        Pipeline,
        "ModerationScan",
        move |_, _| {
            let mut scratch = Scratch::default();
            let mut latest = i64::MIN;
            move |input, output| {
                input.for_each(|cap, data| {
                    let mut session = output.session(&cap);
                    let before = latest;
                    for record in data.drain(..) {
                        let e = match record {
                            Record::Event(e) => e,
                            Record::Progress(split) => {
                                if let (Some(end), true) = (split.ended_at, split.stopped) {
                                    let to_all = (0..peers).map(|w| ToOwner::Stopped(w, end));
                                    session.give_iterator(to_all);
                                }
                                continue;
                            }
                            _ => continue,
                        };
                        latest = latest.max(e.ts_ms);
                        let item = match &e.payload {
                            Payload::Chat(chat) => {
                                Some(Routed::Scan(scanner.scan(&e, chat, &mut scratch)))
                            }
                            _ => Routed::of_event(e),
                        };
                        if let Some(item) = item {
                            session.give(ToOwner::Item(item));
                        }
                    }
                    if latest > before {
                        session.give_iterator((0..peers).map(|w| ToOwner::Latest(w, latest)));
                    }
                });
            }
        },
    );
    // The scans go to the lake from the worker that made them, at the message's time: committed
    // with the message.
    let scans = routed.clone().flat_map(|item| match item {
        ToOwner::Item(Routed::Scan(scan)) => Some(Record::ChatScan(scan)),
        _ => None,
    });
    let alerts = routed.unary_frontier::<CapacityContainerBuilder<Vec<Record>>, _, _, _>(
        Exchange::new(move |r: &ToOwner| match r {
            ToOwner::Item(item) => community_hash(item.community()) % peers.max(1),
            ToOwner::Latest(worker, _) | ToOwner::Stopped(worker, _) => *worker,
        }),
        "ModerationAlerts",
        move |initial, _| {
            let mut held = Some(initial);
            let mut state = Some(state);
            let mut pending: BTreeMap<u64, Vec<Routed>> = BTreeMap::new();
            let mut latest = i64::MIN;
            // The lowest capability at which a stop ended a worker's reading: the epoch this run
            // commits last. Once set the run is stopping, and the owner waits for the end.
            let mut stopped: Option<u64> = None;
            if let Some(owner) = state.as_mut() {
                for item in std::mem::take(&mut owner.resumed) {
                    let second = u64::try_from(item.ts_ms().max(0) / 1000).unwrap_or(0);
                    pending.entry(second).or_default().push(item);
                }
            }
            move |(input, frontier), output| {
                input.for_each_stamp(|cap, data| {
                    if let Some(time) = cap.least().copied() {
                        let slot = pending.entry(time).or_default();
                        for batch in data {
                            for item in batch.drain(..) {
                                match item {
                                    ToOwner::Item(item) => slot.push(item),
                                    ToOwner::Latest(_, ts) => latest = latest.max(ts),
                                    ToOwner::Stopped(_, end) => {
                                        stopped = Some(stopped.map_or(end, |e| e.min(end)));
                                    }
                                }
                            }
                        }
                    }
                });
                let (Some(cap), Some(owner)) = (held.as_mut(), state.as_mut()) else {
                    return;
                };
                let upto = frontier.frontier().iter().min().copied();
                if upto.is_some_and(|u| u <= *cap.time()) {
                    return;
                }
                // A stopping run's frontier no longer follows the input: a worker that stopped
                // reading let go of its capability, and the frontier jumps to where the others
                // are. So nothing is taken or closed until the end.
                let stopped_at = stopped.map(second_start_ms);
                let ready = match (upto, stopped_at) {
                    (Some(_), Some(_)) => BTreeMap::new(),
                    (Some(u), None) => {
                        let later = pending.split_off(&u);
                        std::mem::replace(&mut pending, later)
                    }
                    (None, _) => std::mem::take(&mut pending),
                };
                let mut items: Vec<Routed> = ready.into_values().flatten().collect();
                sort_routed(&mut items);
                if let Some(epoch_ms) = stopped_at {
                    // A stopped run commits the epoch where the slowest stopped worker's reading
                    // ended; the next run takes what the lake holds before it as done and what
                    // lies at or after it afresh (see `resume`). So this run takes exactly the
                    // former, and its clocks stop just below the epoch, where the next run's start.
                    items.retain(|item| item.ts_ms() < epoch_ms);
                }
                for item in items {
                    owner.take(item, &metrics);
                }
                match (upto, stopped_at) {
                    (Some(u), None) => owner.advance_to(second_start_ms(u)),
                    (Some(_), Some(_)) => {}
                    (None, Some(epoch_ms)) => owner.advance_to(epoch_ms - 1),
                    // A bounded input ended: the watermark its last events give closes what it
                    // passed, the same in every run however the frontier moved on the way.
                    (None, None) if latest > i64::MIN => {
                        owner.advance_to(latest.saturating_sub(ends.lateness_ms));
                    }
                    (None, None) => {}
                }
                let changes = owner.book.drain_changes();
                if !changes.is_empty() {
                    output
                        .session(&*cap)
                        .give_iterator(changes.into_iter().map(Record::Moderation));
                }
                match upto {
                    Some(u) => cap.downgrade(&u),
                    None => {
                        held = None;
                        state = None;
                    }
                }
            }
        },
    );
    scans.concat(alerts)
}
