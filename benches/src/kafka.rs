//! `cohort-benches kafka`: the Kafka source against a real broker.
//!
//! 1. Throughput: preload N generated events into fresh topics with `cohort produce`'s code, then run
//!    the pipeline with `exit_when_caught_up` (consume → decode/validate → Parquet lake + serving
//!    commit) and report events/s.
//! 2. Latency: run the pipeline continuously while a producer offers events stamped with the current
//!    time at a fixed rate; an event's latency is from its production to the first commit whose epoch
//!    covers its event-time second. Reports p50/p99.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use cohort_jobs::config::{self, Config};
use cohort_jobs::{ingest_job, produce};
use cohort_pipeline::SourceSpec;
use cohort_pipeline::generate::{Generator, GeneratorConfig};
use cohort_pipeline::source::KafkaConfig;
use cohort_sinks::kafka::{KafkaProducer, OutRecord};

/// What to measure.
pub struct KafkaBench {
    /// Events preloaded for the throughput run.
    pub events: u64,
    /// Timely workers.
    pub workers: usize,
    /// Offered rate of the latency run (events/s).
    pub rate: u64,
    /// Length of the latency run.
    pub seconds: u64,
}

fn repo_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/kafka-broker.sh")
}

fn script(args: &[&str]) -> Result<String> {
    let out = Command::new(repo_script()).args(args).output()?;
    if !out.status.success() {
        bail!(
            "kafka-broker.sh {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn fresh_config(brokers: &str, prefix: &str, data_dir: &Path, workers: usize) -> Result<Config> {
    script(&["topics", prefix, "3"])?;
    let mut config = config::load(None, Vec::new())?;
    config.source = SourceSpec::Kafka(KafkaConfig {
        brokers: brokers.to_string(),
        topic_prefix: prefix.to_string(),
        ..KafkaConfig::default()
    });
    config.output.data_dir = data_dir.to_path_buf();
    config.runtime.workers = workers;
    Ok(config)
}

/// Runs both measurements and prints their figures.
pub fn run(bench: KafkaBench) -> Result<()> {
    // The test broker (topics are created with its own CLI, so the bench needs that broker).
    let brokers = script(&["start"])?;
    let dir = tempfile::tempdir()?;
    let stamp = now_ms();
    println!("broker {brokers}, {} workers", bench.workers);

    // 1. Throughput over a preloaded backlog.
    let input = dir.path().join("events.jsonl");
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&input)?);
    Generator::new(GeneratorConfig {
        events: bench.events,
        ..GeneratorConfig::default()
    })
    .write_all(&mut file)?;
    std::io::Write::flush(&mut file)?;
    drop(file);
    let prefix = format!("bench{stamp}.");
    let mut config = fresh_config(&brokers, &prefix, &dir.path().join("data"), bench.workers)?;
    let SourceSpec::Kafka(kafka) = &mut config.source else {
        unreachable!("set above")
    };
    let loaded = produce::produce(kafka, &input, |_, _| {})?;
    println!(
        "preload: {} events produced in {:.2} s ({:.0} events/s)",
        loaded.records,
        loaded.elapsed.as_secs_f64(),
        loaded.records as f64 / loaded.elapsed.as_secs_f64()
    );
    kafka.exit_when_caught_up = true;
    let report = ingest_job::run(&config, &Arc::default(), |_| {})?;
    let read = report.metrics.records_read();
    let secs = report.elapsed.as_secs_f64();
    println!(
        "throughput: {read} records consumed → lake + serving in {secs:.2} s: {:.0} events/s",
        read as f64 / secs
    );
    if read != bench.events {
        bail!("read {read} records, expected {}", bench.events);
    }

    // 2. Latency at a fixed offered rate.
    let prefix = format!("latency{stamp}.");
    let mut config = fresh_config(
        &brokers,
        &prefix,
        &dir.path().join("latency"),
        bench.workers,
    )?;
    config.runtime.allowed_lateness_ms = 0;
    config.runtime.checkpoint_interval_ms = 200;
    let SourceSpec::Kafka(kafka) = &mut config.source else {
        unreachable!("set above")
    };
    kafka.idle_timeout_ms = 500;
    let kafka = kafka.clone();
    let latencies = measure_latency(&config, &kafka, bench.rate, bench.seconds)?;
    print_latency(&latencies, bench.rate, &config);
    Ok(())
}

/// Produces `rate` events/s for `seconds` while the pipeline runs; returns per-event latencies (ms).
fn measure_latency(
    config: &Config,
    kafka: &KafkaConfig,
    rate: u64,
    seconds: u64,
) -> Result<Vec<f64>> {
    let stop = Arc::new(AtomicBool::new(false));
    // (wall ms, committed epoch) whenever the epoch moves.
    let commits: Arc<Mutex<Vec<(i64, u64)>>> = Arc::default();
    let pipeline = {
        let config = config.clone();
        let stop = Arc::clone(&stop);
        let commits = Arc::clone(&commits);
        std::thread::spawn(move || {
            let mut last = 0;
            ingest_job::run(&config, &stop, |m| {
                let epoch = m.committed_epoch();
                if epoch != last {
                    last = epoch;
                    if let Ok(mut c) = commits.lock() {
                        c.push((now_ms(), epoch));
                    }
                }
            })
        })
    };
    // Let the workers connect before offering load.
    std::thread::sleep(Duration::from_secs(2));
    let producer = KafkaProducer::new(kafka, "bench")?;
    let template = latency_template()?;
    let topic = kafka.topic("views");
    let mut produced: Vec<(i64, i64)> = Vec::new();
    let started = Instant::now();
    let total = rate * seconds;
    for i in 0..total {
        let due = Duration::from_secs_f64(i as f64 / rate as f64);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        let ts = now_ms();
        let line = template
            .replace("{ID}", &format!("lat-{i}"))
            .replace("{TS}", &cohort_schemas::time::format_rfc3339_ms(ts))
            .replace(
                "{COMMUNITY}",
                ["rust-circle", "course-hub", "creator-club"][(i % 3) as usize],
            );
        producer.send(OutRecord {
            topic: &topic,
            key: Some(format!("k{}", i % 3).as_bytes()),
            payload: line.as_bytes(),
            headers: &[],
        })?;
        producer.poll();
        produced.push((ts, ts.div_euclid(1000)));
    }
    producer.flush(Duration::from_secs(30));
    // Wait until the last event's second is committed (or give up after 30 s).
    let last_second = produced.last().map_or(0, |p| p.1) as u64;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let done = commits
            .lock()
            .map(|c| c.last().is_some_and(|(_, e)| *e > last_second))
            .unwrap_or(false);
        if done {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    pipeline
        .join()
        .map_err(|_| anyhow::anyhow!("pipeline thread panicked"))??;
    let commits = commits.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    let mut latencies = Vec::with_capacity(produced.len());
    for (sent, second) in produced {
        let second = u64::try_from(second).unwrap_or(0);
        let at = commits
            .iter()
            .find(|(_, epoch)| *epoch > second)
            .map(|(t, _)| *t)
            .context("an event's second was never committed")?;
        latencies.push((at - sent) as f64);
    }
    Ok(latencies)
}

/// A valid view event with placeholders for id, time and community.
fn latency_template() -> Result<String> {
    Ok(serde_json::json!({
        "v": 1,
        "kind": "view",
        "event_id": "{ID}",
        "ts": "{TS}",
        "community_id": "{COMMUNITY}",
        "user_id": "u-bench",
        "item_id": "post-1-1",
        "dwell_ms": 1000,
        "surface": "feed",
    })
    .to_string())
}

fn print_latency(latencies: &[f64], rate: u64, config: &Config) {
    let mut sorted = latencies.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    if sorted.is_empty() {
        println!("latency: no events");
        return;
    }
    println!(
        "latency at {rate} events/s offered ({} events, lateness {} ms, checkpoint interval {} ms): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        sorted.len(),
        config.runtime.allowed_lateness_ms,
        config.runtime.checkpoint_interval_ms,
        at(0.5),
        at(0.99),
        at(1.0)
    );
}
