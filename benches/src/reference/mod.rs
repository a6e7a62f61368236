//! `cohort-benches reference --job count|cooc --input FILE --out FILE [--workers N]`: the two reference
//! jobs of the peer comparison (`../shared/bench/peers/README.md`), run on cohort's own ingest path.
//!
//! - **J1 count**: events per (community_id, item_id, kind); CSV `community_id,item_id,kind,count`.
//! - **J2 cooc**: per community, for each pair of distinct items a < b (string order) touched by one
//!   user, the number of distinct users who touched both; CSV `community_id,item_a,item_b,count`.
//!
//! The input goes through exactly what `cohort run` does with a file source (byte-range splits per
//! worker, the validating decoder, the watermark; see [`input`]) and the jobs are differential
//! operators as the recommendation dataflow uses them ([`jobs`]), so the figures are the product's,
//! not a fast path's. The output is headerless `key…,count`, sorted by key: the format the kit's
//! `compare.py` reads as a Bytewax result.

mod error;
mod input;
mod jobs;
mod output;
mod run;

use std::path::PathBuf;

pub use error::ReferenceError;

/// Which reference job to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Job {
    /// J1: events per (community_id, item_id, kind).
    Count,
    /// J2: distinct users per (community_id, item_a, item_b), a < b.
    Cooc,
}

impl Job {
    /// The name the peers' kit uses for the job, and the one `--job` takes.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Job::Count => ("J1", "count"),
            Job::Cooc => ("J2", "cooc"),
        }
    }
}

/// Arguments of `cohort-benches reference`.
#[derive(clap::Args)]
pub struct ReferenceBench {
    /// The job to run.
    #[arg(long, value_enum)]
    job: Job,
    /// JSON Lines events (the kit's gen_events.py output, or any file of view and like events).
    #[arg(long)]
    input: PathBuf,
    /// Where to write the CSV result.
    #[arg(long)]
    out: PathBuf,
    /// Timely worker threads.
    #[arg(long, default_value_t = 1)]
    workers: usize,
}

/// Runs the job and prints its figures (events, wall seconds, events/s) on one line of stdout.
pub fn run(bench: ReferenceBench) -> Result<(), ReferenceError> {
    let report = run::run(bench.job, &bench.input, &bench.out, bench.workers)?;
    let events = report.events as f64;
    let (kit_name, name) = bench.job.names();
    println!(
        "reference {} ({}), {} worker(s): {} events in {:.3} s ({:.0} events/s; dataflow {:.3} s, \
         CSV {:.3} s), {} rows written to {}{}",
        kit_name,
        name,
        bench.workers,
        report.events,
        report.total.as_secs_f64(),
        events / report.total.as_secs_f64(),
        report.dataflow.as_secs_f64(),
        report.write.as_secs_f64(),
        report.rows,
        bench.out.display(),
        match report.other_kinds {
            0 => String::new(),
            n => format!(" ({n} events of other kinds than view and like skipped)"),
        }
    );
    Ok(())
}
