//! The ingest job: source → decode/validate/watermark → Parquet lake + serving checkpoint, on timely.
//!
//! Before the dataflow starts, the serving database finishes any publish a crash interrupted and
//! discards uncommitted staging; the last checkpoint then tells each split where to resume. The run
//! holds the data directory's lock throughout, so `cohort compact` never rewrites the lake under it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cohort_pipeline::checkpoint::Checkpoint;
use cohort_pipeline::commit::commit;
use cohort_pipeline::ingest::{IngestSettings, ingest};
use cohort_pipeline::stage::stage;
use cohort_pipeline::{Metrics, SourceSpec};
use cohort_schemas::Decoder;
use cohort_schemas::time::second_start_ms;
use cohort_sinks::{DataDirLock, LakeLayout, ParquetEpochWriter, PostgresMirror, SqliteStore};
use timely::dataflow::operators::Concat;
use timely::dataflow::operators::vec::Map;

use crate::kafka_outputs::KafkaOutputs;

use crate::config::Config;
use crate::forecast::job::{activity_outputs, read_lake_activity, resume_worker};
use crate::moderation::job::{ModerationRun, ResumePoint, RunEnd, moderation_outputs};
use crate::privacy::{PrivacyConfig, Pseudonymizer, SecretKey, StoredText, key_check, keys};
use crate::recs::replay::lake_facts;
use crate::recs::serve::{RecsStart, serving_changes};

/// The job name under which checkpoints are stored.
pub const JOB: &str = "ingest";

/// How often `on_tick` sees the live counters (fine enough for commit-latency measurements).
const TICK: Duration = Duration::from_millis(10);

/// How often the lexicon files are checked for changes.
const RELOAD: Duration = Duration::from_secs(2);

/// Why a run could not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Another process (a run or a compaction) is writing the data directory.
    #[error(transparent)]
    Lock(#[from] cohort_sinks::lake::LockError),
    /// The serving database failed.
    #[error(transparent)]
    Store(#[from] cohort_sinks::serving::StoreError),
    /// The source could not be opened.
    #[error(transparent)]
    Source(#[from] cohort_pipeline::source::SourceError),
    /// The lake could not be read back to resume the forecast job.
    #[error(transparent)]
    LakeReplay(#[from] crate::lake_replay::ReplayError),
    /// The moderation job could not start.
    #[error(transparent)]
    Moderation(#[from] crate::moderation::job::StartError),
    /// The privacy settings need a secret key that could not be had.
    #[error(transparent)]
    SecretKey(#[from] crate::privacy::SecretKeyError),
    /// The data directory's member ids were written under another key or setting.
    #[error(transparent)]
    MemberKey(#[from] crate::privacy::KeyMismatch),
    /// The data directory was written with another worker count for this source.
    #[error(
        "{data_dir} was written by a run of this source with {previous} workers; resume with --workers {previous}, or use a new --data-dir"
    )]
    WorkersChanged {
        /// The data directory.
        data_dir: PathBuf,
        /// The worker count of the checkpoint.
        previous: usize,
    },
    /// Timely or a worker failed.
    #[error("a worker failed: {0}")]
    Worker(String),
}

/// What a finished run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Counters of this run.
    pub metrics: Arc<Metrics>,
    /// The last committed checkpoint (totals over all runs on this data directory).
    pub checkpoint: Option<Checkpoint>,
    /// Wall time of the dataflow.
    pub elapsed: Duration,
    /// Committed files published by recovery before the run.
    pub recovered_files: usize,
}

/// Runs the ingest job to completion (bounded sources) and reports. `on_tick` is called every
/// [`TICK`] with the live counters, for progress display and latency measurement.
///
/// Setting `stop` ends the run early but cleanly: every split stops where it is, the last commit runs,
/// and the next run resumes there (the binary sets it on SIGINT and SIGTERM).
pub fn run(
    config: &Config,
    stop: &Arc<AtomicBool>,
    on_tick: impl FnMut(&Metrics),
) -> Result<RunReport, RunError> {
    run_with(config, stop, Arc::new(Metrics::default()), on_tick)
}

/// [`run`], counting into `metrics` (shared with whoever else reads them: the HTTP API of
/// `cohort run --http`).
pub fn run_with(
    config: &Config,
    stop: &Arc<AtomicBool>,
    metrics: Arc<Metrics>,
    mut on_tick: impl FnMut(&Metrics),
) -> Result<RunReport, RunError> {
    let data_dir = config.output.data_dir.clone();
    let layout = LakeLayout::new(&data_dir);
    let db = data_dir.join("serving.db");
    let manifest = layout.root.join("_manifest").join(format!("{JOB}.json"));
    let source = config.source.describe();
    let workers = config.runtime.workers;
    // One writer per data directory, held until the run returns: `cohort compact` takes it too.
    let _lock = DataDirLock::acquire(&data_dir)?;
    let (checkpoint, recovered_files, committed_rows) = {
        let store = SqliteStore::open(&db, JOB)?;
        let recovery = store.recover(&layout)?;
        let last = store.last_checkpoint()?;
        let rows = store.derived_rows()?;
        let alerts = store.activity_alerts()?;
        let moderation = store
            .open_moderation_alerts()?
            .iter()
            .map(|a| a.first_seen_ms)
            .min();
        (last, recovery.published, (rows, alerts, moderation))
    };
    let (committed_rows, committed_alerts, oldest_open_alert) = committed_rows;
    // Privacy first: a data directory written under another key fails before anything is read.
    let configured_key = keys::configured(&config.privacy)?;
    let stored_text = stored_text_policy(&config.privacy, configured_key.clone())?;
    let pseudonyms = keys::for_members(&config.privacy, configured_key, &data_dir)?
        .map(|key| Arc::new(Pseudonymizer::new(key)));
    let member_key_id = pseudonyms.as_ref().map(|p| p.key_id().to_string());
    if let Some(c) = &checkpoint {
        key_check::check_run(
            &data_dir,
            c.member_key_id.as_deref(),
            member_key_id.as_deref(),
        )?;
    }
    let forecast = config.forecast.enabled.then(|| config.forecast.clone());
    let committed_alerts = Arc::new(committed_alerts);
    // Read once here rather than once per worker: every worker keeps its own series of it.
    let lake_activity = match &forecast {
        Some(_) => Some(Arc::new(read_lake_activity(&layout.root, workers)?)),
        None => None,
    };
    let recs = config.recs.enabled.then(|| config.recs.clone());
    let moderation_config = config.moderation.clone();
    let moderation = match config.moderation.enabled {
        true => Some(Arc::new(ModerationRun::prepare(
            &moderation_config,
            config
                .loaded_from
                .clone()
                .map(|file| (file.clone(), crate::config::lexicon_loader(file))),
            &layout.root,
            checkpoint.as_ref().map(|c| ResumePoint {
                epoch_ms: epoch_ms(c.epoch),
                oldest_open_ms: oldest_open_alert,
            }),
            workers,
        )?)),
        false => None,
    };
    let lexicons = moderation.as_ref().map(|m| Arc::clone(&m.lexicons));
    let committed_rows = std::sync::Mutex::new(Some(committed_rows));
    // Kafka checkpoints are per partition, whoever owns it: any worker count can resume them.
    let rescalable = matches!(config.source, SourceSpec::Kafka(_));
    let mut resume = match checkpoint {
        Some(c) if c.source == source && c.workers != workers && !rescalable => {
            return Err(RunError::WorkersChanged {
                data_dir,
                previous: c.workers,
            });
        }
        Some(mut c) => {
            c.source = source.clone();
            c.workers = workers;
            c
        }
        None => Checkpoint::empty(workers, source),
    };
    resume.member_key_id = member_key_id;
    // Open every worker's splits up front so a bad path fails before timely starts (Kafka waits for
    // its broker instead, inside the workers).
    if !rescalable {
        config.source.splits_for(0, workers)?;
    }

    let run_id = run_id();
    let settings = IngestSettings {
        allowed_lateness_ms: config.runtime.allowed_lateness_ms,
        batch: config.runtime.batch,
        decoder: Decoder::new(config.validation.clone()),
        stop: Arc::clone(stop),
        progress_hint: Arc::default(),
    };
    let interval = Duration::from_millis(config.runtime.checkpoint_interval_ms);
    let max_buffered = config.runtime.max_buffered_records;
    let spec: SourceSpec = config.source.clone();
    let started = Instant::now();
    let worker_metrics = Arc::clone(&metrics);
    let worker_stop = Arc::clone(stop);
    let postgres_url = config.serving.postgres().map(str::to_string);
    let keep_raw_ids = config.serving.raw_member_ids;
    let guards = timely::execute(timely::Config::process(workers), move |worker| {
        let index = worker.index();
        let peers = worker.peers();
        let splits = spec.splits_for(index, peers).map_err(|e| e.to_string())?;
        let (store, mut outputs) = if index == 0 {
            let store = open_serving_store(&db, &manifest, postgres_url.as_deref())
                .map_err(|e| e.to_string())?;
            let outputs = KafkaOutputs::for_source(&spec, &db).map_err(|e| e.to_string())?;
            (Some(store), outputs)
        } else {
            (None, None)
        };
        let writer = ParquetEpochWriter::new(layout.clone(), &run_id, index);
        let resume_splits = resume.splits.clone();
        let checkpoint = resume.clone();
        let metrics = Arc::clone(&worker_metrics);
        let settings = settings.clone();
        let recs_start = match &recs {
            Some(_) => Some(RecsStart {
                replay: lake_facts(&layout.root, index, peers).map_err(|e| e.to_string())?,
                committed: if index == 0 {
                    committed_rows
                        .lock()
                        .ok()
                        .and_then(|mut rows| rows.take())
                        .unwrap_or_default()
                } else {
                    Vec::new()
                },
            }),
            None => None,
        };
        let recs = recs.clone();
        let stored_text = stored_text.clone();
        let pseudonyms = pseudonyms.clone();
        let moderation = moderation.as_ref().map(|m| {
            (
                Arc::clone(&m.scanner),
                m.owner_state(&moderation_config, index, &metrics),
            )
        });
        let stop = Arc::clone(&worker_stop);
        let activity_state = match (&forecast, &lake_activity) {
            (Some(forecast), Some(lake)) => Some(resume_worker(
                lake,
                &committed_alerts,
                index,
                peers,
                forecast,
                settings.allowed_lateness_ms,
            )),
            _ => None,
        };
        let settings_lateness = settings.allowed_lateness_ms;
        worker.dataflow::<u64, _, _>(move |scope| -> Result<(), String> {
            let records = ingest(
                scope,
                splits,
                &resume_splits,
                settings,
                Arc::clone(&metrics),
            )
            .map_err(|e| e.to_string())?;
            // Member ids become pseudonyms first, before any job or the lake sees a record. Only
            // records read from the source pass here: what the jobs rebuild from the lake at start
            // is pseudonymised already.
            let records = match pseudonyms {
                Some(p) => crate::privacy::raw_ids::pseudonymize(records, p, keep_raw_ids),
                None => records,
            };
            // Moderation reads the text as written; then, before anything else sees the events,
            // every output (the lake's included) gets the stored text only.
            let moderation = moderation.map(|(scanner, state)| {
                let ends = RunEnd {
                    lateness_ms: settings_lateness,
                };
                moderation_outputs(records.clone(), scanner, state, ends, Arc::clone(&metrics))
            });
            let records = match stored_text {
                Some(policy) => records.map_in_place(move |record| policy.apply(record)),
                None => records,
            };
            let activity = activity_state.map(|state| {
                activity_outputs(
                    records.clone(),
                    state,
                    Arc::clone(&metrics),
                    Arc::clone(&stop),
                )
            });
            let records = match (recs, recs_start) {
                (Some(recs), Some(start)) => {
                    let changes = serving_changes(records.clone(), &recs, start);
                    records.concat(changes)
                }
                _ => records,
            };
            let records = match activity {
                Some(activity) => records.concat(activity),
                None => records,
            };
            let records = match moderation {
                Some(alerts) => records.concat(alerts),
                None => records,
            };
            let staged = stage(records, writer, interval, max_buffered);
            commit(
                staged,
                store,
                checkpoint,
                interval,
                metrics,
                move |checkpoint, last| {
                    if let Some(outputs) = outputs.as_mut() {
                        outputs.after_commit(checkpoint, last);
                    }
                },
            );
            Ok(())
        })
    })
    .map_err(RunError::Worker)?;

    let done = Arc::new(AtomicBool::new(false));
    let joiner = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let results = guards.join();
            done.store(true, Ordering::SeqCst);
            results
        })
    };
    let mut last_reload = Instant::now();
    while !done.load(Ordering::SeqCst) {
        on_tick(&metrics);
        std::thread::sleep(TICK);
        if let Some(lexicons) = lexicons
            .as_ref()
            .filter(|_| last_reload.elapsed() >= RELOAD)
        {
            last_reload = Instant::now();
            match lexicons.reload_if_changed() {
                Ok(true) => tracing::info!("lexicons reloaded"),
                Ok(false) => {}
                Err(e) => tracing::error!("lexicons not reloaded, the previous ones stay: {e}"),
            }
        }
    }
    on_tick(&metrics);
    let results = joiner
        .join()
        .map_err(|_| RunError::Worker("the worker join thread panicked".into()))?;
    for result in results {
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) | Err(e) => return Err(RunError::Worker(e)),
        }
    }
    let elapsed = started.elapsed();
    let store = SqliteStore::open(&config.output.data_dir.join("serving.db"), JOB)?;
    // Everything is published; this clears the (now empty) staging directories.
    store.recover(&LakeLayout::new(&config.output.data_dir))?;
    let checkpoint = store.last_checkpoint()?;
    Ok(RunReport {
        metrics,
        checkpoint,
        elapsed,
        recovered_files,
    })
}

/// The serving store the committing worker writes: SQLite, with the lake's manifest, and copied to
/// PostgreSQL when `postgres_url` is set (waiting for PostgreSQL to catch up before the first commit).
fn open_serving_store(
    db: &Path,
    manifest: &Path,
    postgres_url: Option<&str>,
) -> Result<SqliteStore, cohort_sinks::serving::StoreError> {
    let store = SqliteStore::open(db, JOB)?.with_manifest(manifest.to_path_buf());
    match postgres_url {
        Some(url) => {
            let mirror = PostgresMirror::new(url, JOB)?;
            tracing::info!("serving tables are copied to PostgreSQL at {}", mirror.target());
            store.with_mirror(mirror)
        }
        None => Ok(store),
    }
}

/// The run's stored-text policy with the configured key (read now, so a missing key fails before
/// timely starts); `None` when chat text is stored as written.
fn stored_text_policy(
    privacy: &PrivacyConfig,
    key: Option<SecretKey>,
) -> Result<Option<Arc<StoredText>>, RunError> {
    let policy = StoredText::new(privacy.stored_chat_pii, key)?;
    Ok(policy.rewrites().then(|| Arc::new(policy)))
}

/// The start (ms) of a checkpoint's epoch (timely times are event-time seconds); `None` after a
/// run that read its input to the end (its last commit covers every time).
fn epoch_ms(epoch: u64) -> Option<i64> {
    (epoch != u64::MAX).then(|| second_start_ms(epoch))
}

/// A run id that orders by start time and differs between concurrent processes.
fn run_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{}{:09}x{}",
        now.as_secs(),
        now.subsec_nanos(),
        std::process::id()
    )
}
