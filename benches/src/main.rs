//! Benchmark harnesses of cohort. Each prints its figures; record them in `benches/RESULTS.md` with the
//! command that produced them.
//!
//! `cohort-benches ingest --events N`: generates N events to a JSON Lines file, then measures
//! 1. decode + validate alone, on one thread (events/s per core), and
//! 2. the whole path file → decode/validate → Parquet lake + serving commit, with 1 and 2 workers
//!    (events/s and peak resident memory, each run in a fresh child process so peaks do not mix).
//!
//! `cohort-benches kafka --events N`: Kafka consume → lake + serving throughput over a preloaded
//! backlog, and end-to-end latency at a fixed offered rate (see [`kafka`]).
//!
//! `cohort-benches recs`: the recommendation dataflow's interactions/s per core, freshness at a fixed
//! offered rate and resident memory per retained interaction (see [`recs`]).
//!
//! `cohort-benches moderation`: the moderation path (normalisation, PII detection, classifier score)
//! in messages/s on one core, per stage and whole (see [`moderation`]).
//!
//! `cohort-benches cluster --events N`: the whole path with 1 process × 2 workers and with a
//! 2-process × 1-worker cluster on loopback; events/s of each, and identical results (see
//! [`cluster`]).
//!
//! `cohort-benches reference --job count|cooc --input FILE --out FILE [--workers N]`: the peer
//! comparison's reference jobs J1 and J2 on cohort's own ingest path and differential operators,
//! writing the CSV the peers write (see [`reference`]; `benches/peers/run.sh` runs it against
//! Pathway and Bytewax).

mod cluster;
mod kafka;
mod moderation;
mod recs;
mod reference;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use cohort_jobs::{config, ingest_job};
use cohort_pipeline::SourceSpec;
use cohort_pipeline::generate::{Generator, GeneratorConfig};
use cohort_schemas::{Decoder, Kind};
use serde_json::json;

#[derive(Parser)]
#[command(about = "cohort benchmark harnesses")]
struct Cli {
    #[command(subcommand)]
    command: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// Ingest throughput: decode + validate, and file → committed Parquet with 1 and 2 workers.
    Ingest {
        /// Events to generate.
        #[arg(long, default_value_t = 2_000_000)]
        events: u64,
        /// Worker counts to measure the whole path with.
        #[arg(long, value_delimiter = ',', default_value = "1,2")]
        workers: Vec<usize>,
        /// Directory for the input and the data directories (default: a temporary one).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Kafka source throughput (preloaded backlog) and produce → commit latency at a fixed rate,
    /// against the test broker (scripts/kafka-broker.sh; COHORT_KAFKA_DIR selects a running one).
    Kafka {
        /// Events to preload for the throughput run.
        #[arg(long, default_value_t = 500_000)]
        events: u64,
        /// Worker threads.
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// Offered rate of the latency run, events/s.
        #[arg(long, default_value_t = 2_000)]
        rate: u64,
        /// Length of the latency run, seconds.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
    /// Recommendations: interactions/s per core, freshness at a fixed rate, memory per interaction.
    Recs(recs::RecsBench),
    /// Moderation path: messages/s per core for normalisation, PII detection, classifier, whole.
    Moderation(moderation::ModerationBench),
    /// Reference job J1 (count) or J2 (cooc) of the peer comparison, on a JSON Lines file.
    Reference(reference::ReferenceBench),
    /// Cluster mode on loopback: 1 process × 2 workers against 2 processes × 1 worker.
    Cluster(cluster::ClusterBench),
    /// One whole-path run in this process; prints a JSON line (used by `ingest`).
    #[command(hide = true)]
    IngestOnce {
        /// Input JSON Lines file.
        #[arg(long)]
        input: PathBuf,
        /// Data directory (must be fresh).
        #[arg(long)]
        data_dir: PathBuf,
        /// Worker threads.
        #[arg(long)]
        workers: usize,
        /// Cluster mode: processes of the cluster (1: none).
        #[arg(long, default_value_t = 1)]
        processes: usize,
        /// Cluster mode: this process.
        #[arg(long, default_value_t = 0)]
        process: usize,
        /// Cluster mode: the hostfile.
        #[arg(long)]
        hosts: Option<PathBuf>,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Bench::Ingest {
            events,
            workers,
            dir,
        } => ingest(events, &workers, dir),
        Bench::Kafka {
            events,
            workers,
            rate,
            seconds,
        } => kafka::run(kafka::KafkaBench {
            events,
            workers,
            rate,
            seconds,
        }),
        Bench::Recs(bench) => recs::run(bench),
        Bench::Moderation(bench) => moderation::run(bench),
        Bench::Reference(bench) => Ok(reference::run(bench)?),
        Bench::Cluster(bench) => cluster::run(bench),
        Bench::IngestOnce {
            input,
            data_dir,
            workers,
            processes,
            process,
            hosts,
        } => {
            let cluster = cohort_jobs::cluster::ClusterConfig {
                processes,
                process,
                hosts,
                ..Default::default()
            };
            ingest_once(&input, &data_dir, workers, cluster)
        }
    }
}

fn ingest(events: u64, workers: &[usize], dir: Option<PathBuf>) -> Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = dir.unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let input = dir.join(format!("events-{events}.jsonl"));
    let bytes = write_generated(events, &input)?;

    let text = std::fs::read(&input)?;
    let decoder = Decoder::default();
    let mut best = f64::MAX;
    let mut ok = 0;
    for _ in 0..3 {
        let t = Instant::now();
        ok = 0;
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &text) {
            ok += usize::from(decoder.decode(&text[start..end]).is_ok());
            start = end + 1;
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "decode + validate, 1 thread: {:.0} events/s ({:.0} MB/s), {ok} valid (best of 3)",
        events as f64 / best,
        bytes as f64 / 1e6 / best
    );

    println!("\n| workers | events | wall s | events/s | peak RSS MiB | files | commits |");
    println!("|---|---|---|---|---|---|---|");
    let exe = std::env::current_exe()?;
    for &w in workers {
        let data = dir.join(format!("data-w{w}"));
        if data.exists() {
            std::fs::remove_dir_all(&data)?;
        }
        let out = Command::new(&exe)
            .args(["ingest-once", "--workers", &w.to_string(), "--input"])
            .arg(&input)
            .arg("--data-dir")
            .arg(&data)
            .output()?;
        if !out.status.success() {
            bail!(
                "ingest-once failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let r: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        println!(
            "| {w} | {} | {:.2} | {:.0} | {:.0} | {} | {} |",
            r["records"],
            r["seconds"].as_f64().unwrap_or(0.0),
            r["events_per_s"].as_f64().unwrap_or(0.0),
            r["peak_rss_mib"].as_f64().unwrap_or(0.0),
            r["files"],
            r["commits"]
        );
    }
    Ok(())
}

/// Writes `events` generated events (default generator settings) to `path`; returns its size.
fn write_generated(events: u64, path: &Path) -> Result<u64> {
    let started = Instant::now();
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    Generator::new(GeneratorConfig {
        events,
        ..GeneratorConfig::default()
    })
    .write_all(&mut file)?;
    std::io::Write::flush(&mut file)?;
    drop(file);
    let bytes = std::fs::metadata(path)?.len();
    println!(
        "generated {events} events ({:.1} MB) in {:.2} s ({:.0} events/s)",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        events as f64 / started.elapsed().as_secs_f64()
    );
    Ok(bytes)
}

fn ingest_once(
    input: &Path,
    data_dir: &Path,
    workers: usize,
    cluster: cohort_jobs::cluster::ClusterConfig,
) -> Result<()> {
    let mut config = config::load(None, Vec::new())?;
    config.source = SourceSpec::File {
        path: input.to_path_buf(),
    };
    config.output.data_dir = data_dir.to_path_buf();
    config.runtime.workers = workers;
    config.cluster = cluster;
    let report = ingest_job::run(&config, &Default::default(), |_| {})?;
    let m = &report.metrics;
    let (files, rows, commits) = m.commit_totals();
    let secs = report.elapsed.as_secs_f64();
    let events: u64 = Kind::ALL.iter().map(|k| m.events(*k)).sum();
    println!(
        "{}",
        json!({
            "records": m.records_read(),
            "events": events,
            "rows": rows,
            "files": files,
            "commits": commits,
            "seconds": secs,
            "events_per_s": m.records_read() as f64 / secs,
            "peak_rss_mib": peak_rss_mib().context("reading /proc/self/status")?,
        })
    );
    Ok(())
}

/// Peak resident set size of this process (VmHWM), in MiB.
fn peak_rss_mib() -> Result<f64> {
    status_mib("VmHWM:")
}

/// A memory figure of this process from /proc/self/status (`field` with its colon, e.g. `VmRSS:`),
/// in MiB.
fn status_mib(field: &str) -> Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} line in /proc/self/status"))?;
    Ok(kb / 1024.0)
}
