//! The ingest job: source → decode/validate/watermark → Parquet lake + serving checkpoint, on timely.
//!
//! Before the dataflow starts, the serving database finishes any publish a crash interrupted and
//! discards uncommitted staging; the last checkpoint then tells each split where to resume. The run
//! holds the data directory's lock throughout, so `cohort compact` never rewrites the lake under it.
//!
//! In cluster mode (`[cluster] processes > 1`, [`crate::cluster`]) this is one process of the
//! cluster. Process 0 does all of the above and commits; the others hold no lock, never recover or
//! commit, and read their start state only once connected to process 0, which connects only after
//! it has prepared the data directory: every process starts from the same checkpoint.

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

use crate::cluster::{self, ClusterPlan, peer_loss};
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

/// How long a cluster process waits for its workers to wind down after a failure before it
/// reports the failure anyway (a worker blocked outside timely would otherwise keep it alive).
const WIND_DOWN: Duration = Duration::from_secs(10);

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
    /// `[cluster]` or its hostfile is unusable, or the cluster could not form.
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    /// Another process of the cluster stopped (or the network between them failed) mid-run.
    #[error(
        "process {process} lost its peer{peer} ({cause}); a timely cluster cannot go on without a \
         process, so this one stops too. Restart the whole cluster (every process): it resumes from \
         the last checkpoint"
    )]
    PeerLost {
        /// This process.
        process: usize,
        /// " process N" when known.
        peer: String,
        /// What timely saw.
        cause: String,
    },
    /// The data directory was written with another worker count for this source.
    #[error(
        "{data_dir} was written by a run of this source with {previous} workers (over all processes of a cluster); resume with as many (--workers, or --processes × --workers), or use a new --data-dir"
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
    // Worker threads of this process, and workers of the whole cluster (what splits are cut for).
    let threads = config.runtime.workers;
    let cluster = config.cluster.plan()?;
    let workers = cluster
        .as_ref()
        .map_or(threads, |c| c.processes() * threads);
    let commits = cluster.as_ref().is_none_or(ClusterPlan::commits);
    if cluster.is_some() {
        peer_loss::watch();
    }
    // One writer per data directory, held until the run returns: `cohort compact` takes it too. In
    // a cluster, process 0 holds it for all (the others write only staged files it publishes).
    let _lock = match commits {
        true => Some(DataDirLock::acquire(&data_dir)?),
        false => None,
    };
    // The other processes read the data directory only once process 0 has prepared it.
    let mut connected = match (&cluster, commits) {
        (Some(plan), false) => Some(cluster::connect(plan, threads)?),
        _ => None,
    };
    let (checkpoint, recovered_files, committed_rows) = {
        let store = SqliteStore::open(&db, JOB)?;
        let recovery = match commits {
            true => store.recover(&layout)?,
            false => Default::default(),
        };
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
    // Process 0 has recovered and has its key (generated into the data directory when there was
    // none): the others may connect and read. What process 0 reads from here on is read-only, and
    // nothing commits before every process has built its dataflow.
    if let (Some(plan), true) = (&cluster, commits) {
        connected = Some(cluster::connect(plan, threads)?);
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
    let body = move |worker: &mut timely::worker::Worker| -> Result<(), String> {
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
    };
    let (builders, communication) = match connected {
        Some(c) => c.into_parts(),
        None => timely::CommunicationConfig::Process(threads)
            .try_build()
            .map_err(RunError::Worker)?,
    };
    let in_cluster = cluster.is_some();
    let guards = timely::execute::execute_from(
        builders,
        communication,
        timely::WorkerConfig::default(),
        move |worker| {
            let result = body(worker);
            // A worker that returns would let its process end the connections cleanly, and the
            // other processes would wait for it forever; a panic breaks them, so they stop too.
            if let (true, Err(e)) = (in_cluster, &result) {
                panic!("worker {} of the cluster failed: {e}", worker.index());
            }
            result
        },
    )
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
    let mut failed_at: Option<Instant> = None;
    // (The joiner can also end by a panic: timely's guard panics joining communication threads
    // that panicked, as they do when a peer is lost.)
    while !done.load(Ordering::SeqCst) && !joiner.is_finished() {
        on_tick(&metrics);
        std::thread::sleep(TICK);
        // A cluster that lost a process cannot finish; give the workers a moment to wind down,
        // then report whatever they are still doing.
        if let Some(plan) = &cluster {
            let failure = failed_at.or_else(|| peer_loss::first().map(|_| Instant::now()));
            failed_at = failure;
            if failure.is_some_and(|at| at.elapsed() >= WIND_DOWN) {
                return Err(cluster_failure(plan, None));
            }
        }
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
    let joined = joiner.join();
    if let Some(plan) = &cluster {
        // Timely's guard panics when it joins a communication thread that panicked.
        let error = match &joined {
            Ok(results) => results.iter().find_map(|r| match r {
                Ok(Ok(())) => None,
                Ok(Err(e)) | Err(e) => Some(e.clone()),
            }),
            Err(_) => Some("the worker join thread panicked".to_string()),
        };
        if let Some(error) = error {
            return Err(cluster_failure(plan, Some(error)));
        }
    }
    let results = joined.map_err(|_| RunError::Worker("the worker join thread panicked".into()))?;
    for result in results {
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) | Err(e) => return Err(RunError::Worker(e)),
        }
    }
    let elapsed = started.elapsed();
    let store = SqliteStore::open(&config.output.data_dir.join("serving.db"), JOB)?;
    // Everything is published; this clears the (now empty) staging directories (process 0's to
    // do: in a cluster, the others may still be winding down).
    if commits {
        store.recover(&LakeLayout::new(&config.output.data_dir))?;
    }
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
            tracing::info!(
                "serving tables are copied to PostgreSQL at {}",
                mirror.target()
            );
            store.with_mirror(mirror)
        }
        None => Ok(store),
    }
}

/// The error of a cluster process whose run failed: a lost peer when the panic hook saw one, else
/// the worker's panic as the hook saw it, else the worker's own error.
fn cluster_failure(plan: &ClusterPlan, error: Option<String>) -> RunError {
    match peer_loss::first() {
        Some(peer_loss::Failure::PeerLost { peer, cause }) => RunError::PeerLost {
            process: plan.process,
            peer: peer.map(|p| format!(" process {p}")).unwrap_or_default(),
            cause,
        },
        // The hook kept the panic's message; the join's error only says `Any { .. }`.
        Some(peer_loss::Failure::Worker(message)) => RunError::Worker(message),
        None => RunError::Worker(error.unwrap_or_else(|| "a worker failed".into())),
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
