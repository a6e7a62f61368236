//! `cohort-benches cluster --events N`: cluster mode on loopback against one process.
//!
//! The same generated JSON Lines file goes through the whole ingest path (file → lake + serving
//! commit) twice, each in fresh child processes: one process with 2 workers, and a cluster of 2
//! processes with 1 worker each (timely's TCP communication on 127.0.0.1). It isolates what the
//! cluster costs: serialising exchanged records and stagings, and one more process start. Both are
//! timed from the first spawn to the last exit, and their results (checkpoint totals per kind and
//! reason) must be identical.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// `cohort-benches cluster`.
#[derive(clap::Args)]
pub struct ClusterBench {
    /// Events to generate.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Directory for the input and the data directories (default: a temporary one).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// One layout measured: its wall time and what it committed.
struct Measured {
    seconds: f64,
    records: u64,
    rows: u64,
    totals: BTreeMap<String, u64>,
}

/// Runs the bench and prints a Markdown table.
pub fn run(bench: ClusterBench) -> Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = bench.dir.unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let input = dir.join(format!("cluster-{}.jsonl", bench.events));
    crate::write_generated(bench.events, &input)?;
    let exe = std::env::current_exe()?;

    let single = measure(&exe, &input, &dir.join("data-1x2"), 1, 2)?;
    let cluster = measure(&exe, &input, &dir.join("data-2x1"), 2, 1)?;
    println!("\n| layout | events | wall s | events/s | committed rows |");
    println!("|---|---|---|---|---|");
    for (name, m) in [
        ("1 process × 2 workers", &single),
        ("2 processes × 1 worker", &cluster),
    ] {
        println!(
            "| {name} | {} | {:.2} | {:.0} | {} |",
            m.records,
            m.seconds,
            m.records as f64 / m.seconds,
            m.rows
        );
    }
    if single.totals != cluster.totals {
        bail!(
            "the results differ: 1 process {:?}, cluster {:?}",
            single.totals,
            cluster.totals
        );
    }
    println!(
        "\nresults identical: same committed events per kind and dead letters per reason \
         (committed rows also count every intermediate moderation alert state, which depends on \
         commit timing; jobs/tests/cluster.rs compares the tables row for row)"
    );
    Ok(())
}

/// Runs `processes` child processes of `threads` workers each over `input` into a fresh `data`.
fn measure(
    exe: &Path,
    input: &Path,
    data: &Path,
    processes: usize,
    threads: usize,
) -> Result<Measured> {
    if data.exists() {
        std::fs::remove_dir_all(data)?;
    }
    let hosts = data.with_extension("hosts");
    let ports: Vec<u16> = (0..processes)
        .map(|_| -> Result<u16> {
            Ok(std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port())
        })
        .collect::<Result<_>>()?;
    let text: String = ports.iter().map(|p| format!("127.0.0.1:{p}\n")).collect();
    std::fs::write(&hosts, text)?;
    let started = Instant::now();
    let children = (0..processes)
        .map(|process| {
            let mut cmd = Command::new(exe);
            cmd.args(["ingest-once", "--workers", &threads.to_string(), "--input"])
                .arg(input)
                .arg("--data-dir")
                .arg(data)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            if processes > 1 {
                cmd.args(["--processes", &processes.to_string()])
                    .args(["--process", &process.to_string(), "--hosts"])
                    .arg(&hosts);
            }
            cmd.spawn().context("starting ingest-once")
        })
        .collect::<Result<Vec<_>>>()?;
    let mut records = 0;
    let mut rows = 0;
    for child in children {
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!(
                "ingest-once failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let r: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        records += r["records"].as_u64().unwrap_or(0);
        rows += r["rows"].as_u64().unwrap_or(0);
    }
    let seconds = started.elapsed().as_secs_f64();
    let store = cohort_sinks::SqliteStore::open(&data.join("serving.db"), "ingest")?;
    let totals = store
        .last_checkpoint()?
        .map(|c| c.totals)
        .unwrap_or_default();
    Ok(Measured {
        seconds,
        records,
        rows,
        totals,
    })
}
