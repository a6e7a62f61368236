//! `cohort-benches recs`: the recommendation dataflow on generated traffic, one timely worker (one
//! core), through [`RecsSession`].
//!
//! 1. Preload: `--preload` interactions in steps of `--step`; interactions/s, then resident memory per
//!    retained interaction (distinct member-item pairs) from the RSS before and after.
//! 2. Sustained updates: `--updates` more interactions in steps of `--step`; interactions/s.
//! 3. Freshness: events arrive on the clock at `--rate` events/s for `--seconds`; the driver applies
//!    everything that has arrived as one step, and an event's freshness is from its arrival to the end
//!    of the step that computed its changed rows. This is the dataflow (event → changed rows), not the
//!    SQLite commit; one commit of a step's row changes is timed separately afterwards.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use cohort_jobs::recs::session::RecsSession;
use cohort_jobs::recs::{Fact, RecsConfig, Signal};
use cohort_pipeline::checkpoint::{Checkpoint, CommitStore, ServingUpdates};
use cohort_schemas::serving::{ServingChange, ServingRow};
use cohort_sinks::serving::SqliteStore;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// Share of members, items and traffic of each generated community: one big, a long tail.
const COMMUNITY_SHARES: [f64; 10] = [0.40, 0.15, 0.10, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.02];

/// Items of a community are dealt into taste clusters of about this many items.
const CLUSTER_ITEMS: u32 = 50;

/// Share of a member's interactions that follow the community's popularity rather than their taste.
const POPULAR_SHARE: f64 = 0.6;

/// Member activity skew: a member's index within its community is `n · u^ACTIVITY_SKEW`.
const ACTIVITY_SKEW: f64 = 2.0;

/// Event time of the first generated interaction (2026-11-01T00:00:00Z), ms.
const START_MS: i64 = 1_793_491_200_000;

/// What to measure (`cohort-benches recs --help`).
#[derive(clap::Args)]
pub struct RecsBench {
    /// Members of the generated traffic.
    #[arg(long, default_value_t = 100_000)]
    members: u32,
    /// Items of the generated traffic.
    #[arg(long, default_value_t = 20_000)]
    items: u32,
    /// Interactions applied before measuring.
    #[arg(long, default_value_t = 1_000_000)]
    preload: usize,
    /// Interactions of the sustained-update run.
    #[arg(long, default_value_t = 200_000)]
    updates: usize,
    /// Interactions per step in the preload and the sustained-update run (and the most a freshness
    /// step takes).
    #[arg(long, default_value_t = 20_000)]
    step: usize,
    /// Offered rate of the freshness run, events/s.
    #[arg(long, default_value_t = 20_000)]
    rate: u32,
    /// Length of the freshness run, seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u32,
    /// Stop the freshness run this many seconds after the last arrival if it has not caught up.
    #[arg(long, default_value_t = 30)]
    max_lag: u32,
    /// Per member, the most recent H distinct items count (H; issue 4 specifies 100).
    #[arg(long, default_value_t = 100)]
    history: usize,
    /// Neighbours kept per item (M; issue 4 specifies 50 for this benchmark).
    #[arg(long, default_value_t = 50)]
    neighbours: usize,
    /// Recommendations per member (K; issue 4 specifies 20).
    #[arg(long, default_value_t = 20)]
    top_k: usize,
    /// Seed of the generated traffic.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Skip timing the SQLite commit of a step's row changes.
    #[arg(long)]
    no_commit: bool,
}

/// One generated interaction, compact: the community follows from the member.
#[derive(Clone, Copy)]
struct Interaction {
    member: u32,
    item: u32,
    signal: Signal,
}

/// Members and items dealt into communities by [`COMMUNITY_SHARES`].
struct Population {
    /// Per community: (first member, members, first item, items).
    communities: Vec<(u32, u32, u32, u32)>,
    /// Community of each member.
    community_of: Vec<u8>,
}

impl Population {
    fn new(members: u32, items: u32) -> Self {
        let (mut m0, mut i0) = (0, 0);
        let last = COMMUNITY_SHARES.len() - 1;
        let mut communities = Vec::new();
        let mut community_of = Vec::with_capacity(members as usize);
        for (c, share) in COMMUNITY_SHARES.iter().enumerate() {
            let part = |total: u32, start: u32| {
                let n = if c == last {
                    total - start
                } else {
                    (f64::from(total) * share).round() as u32
                };
                n.max(1)
            };
            let (m, i) = (part(members, m0), part(items, i0));
            communities.push((m0, m, i0, i));
            community_of.extend(std::iter::repeat_n(c as u8, m as usize));
            (m0, i0) = (m0 + m, i0 + i);
        }
        Population {
            communities,
            community_of,
        }
    }

    /// The fact of one interaction, at event time `ts_ms`.
    fn fact(&self, i: &Interaction, ts_ms: i64) -> Fact {
        Fact::Signal {
            community_id: format!("c{}", self.community_of[i.member as usize]),
            user_id: format!("u{}", i.member),
            item_id: format!("i{}", i.item),
            signal: i.signal,
            ts_ms,
        }
    }
}

/// Deterministic traffic: community by share, skewed member activity, Zipf(1) item popularity mixed
/// with each member's taste cluster; 85% views, 11% likes, 4% purchases.
fn generate(population: &Population, n: usize, seed: u64) -> Vec<Interaction> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut unit = move || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let cumulative: Vec<f64> = COMMUNITY_SHARES
        .iter()
        .scan(0.0, |sum, s| {
            *sum += s;
            Some(*sum)
        })
        .collect();
    (0..n)
        .map(|_| {
            let u = unit();
            let c = cumulative
                .iter()
                .position(|&x| u < x)
                .unwrap_or(cumulative.len() - 1);
            let (m0, members, i0, items) = population.communities[c];
            let member = m0 + skewed(members, unit());
            let item = if unit() < POPULAR_SHARE {
                zipf(items, unit())
            } else {
                // Cluster k holds items k, k + clusters, k + 2·clusters, …: a mix of popularities.
                let clusters = items.div_ceil(CLUSTER_ITEMS);
                let k = (member.wrapping_mul(2_654_435_761) >> 7) % clusters;
                let size = (items - k).div_ceil(clusters);
                k + zipf(size, unit()) * clusters
            };
            let s = unit();
            let signal = if s < 0.85 {
                Signal::View
            } else if s < 0.96 {
                Signal::Like
            } else {
                Signal::Purchase
            };
            Interaction {
                member,
                item: i0 + item,
                signal,
            }
        })
        .collect()
}

/// An index in `[0, n)` skewed towards 0 (a few members do most of the interacting).
fn skewed(n: u32, u: f64) -> u32 {
    ((f64::from(n) * u.powf(ACTIVITY_SKEW)) as u32).min(n - 1)
}

/// A Zipf(1) rank in `[0, n)`, by inverting the continuous CDF ln(x + 1) / ln(n + 1).
fn zipf(n: u32, u: f64) -> u32 {
    ((f64::from(n) + 1.0).powf(u) as u32)
        .saturating_sub(1)
        .min(n - 1)
}

/// (distinct member-item pairs, and those within each member's `history` most recent items).
fn retained(events: &[Interaction], history: usize) -> (usize, usize) {
    let mut keys: Vec<u64> = events
        .iter()
        .map(|i| (u64::from(i.member) << 32) | u64::from(i.item))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let capped = keys
        .chunk_by(|a, b| a >> 32 == b >> 32)
        .map(|member| member.len().min(history))
        .sum();
    (keys.len(), capped)
}

/// The session, the generated traffic and the next interaction to apply.
struct Driver {
    session: RecsSession,
    population: Population,
    events: Vec<Interaction>,
    next: usize,
    /// Event-time spacing of consecutive interactions (the offered rate), ms.
    spacing_ms: f64,
}

impl Driver {
    /// Applies the next `n` interactions as one step; returns how long it took.
    fn step(&mut self, n: usize) -> Duration {
        let started = Instant::now();
        let end = (self.next + n).min(self.events.len());
        let facts = (self.next..end)
            .map(|k| {
                let ts_ms = START_MS + (k as f64 * self.spacing_ms) as i64;
                self.population.fact(&self.events[k], ts_ms)
            })
            .collect();
        self.session.apply(facts);
        self.next = end;
        started.elapsed()
    }

    /// Applies `n` interactions in steps of `step`; returns the step durations.
    fn run(&mut self, n: usize, step: usize) -> Vec<f64> {
        let end = self.next + n;
        let mut steps = Vec::new();
        while self.next < end {
            steps.push(self.step(step.min(end - self.next)).as_secs_f64());
        }
        steps
    }
}

/// Figures of a run of steps: interactions/s and the step durations.
fn throughput(name: &str, n: usize, steps: &[f64]) -> serde_json::Value {
    let seconds: f64 = steps.iter().sum();
    let q = Quantiles::of(steps);
    println!(
        "{name}: {n} interactions in {} steps, {seconds:.2} s: {:.0} interactions/s; step p50 {:.3} s, max {:.3} s",
        steps.len(),
        n as f64 / seconds,
        q.at(0.5),
        q.at(1.0)
    );
    json!({
        "interactions": n,
        "steps": steps.len(),
        "seconds": seconds,
        "interactions_per_s": n as f64 / seconds,
        "step_p50_s": q.at(0.5),
        "step_max_s": q.at(1.0),
    })
}

/// Sorted samples, read by quantile.
struct Quantiles(Vec<f64>);

impl Quantiles {
    fn of(samples: &[f64]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        Quantiles(sorted)
    }

    fn at(&self, q: f64) -> f64 {
        let last = self.0.len().saturating_sub(1);
        self.0
            .get((last as f64 * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    }
}

/// Runs the three phases (and the commit timing) and prints their figures.
pub fn run(bench: RecsBench) -> Result<()> {
    let config = RecsConfig {
        history: bench.history,
        neighbours: bench.neighbours,
        top_k: bench.top_k,
        ..RecsConfig::default()
    };
    let started = Instant::now();
    let population = Population::new(bench.members, bench.items);
    let freshness_events = bench.rate as usize * bench.seconds as usize;
    let total = bench.preload + bench.updates + freshness_events;
    let events = generate(&population, total, bench.seed);
    let (pairs, capped) = retained(&events[..bench.preload], config.history);
    println!(
        "generated {total} interactions of {} members and {} items in {} communities ({:.2} s); H={} M={} K={}, step {}, 1 timely worker",
        bench.members,
        bench.items,
        COMMUNITY_SHARES.len(),
        started.elapsed().as_secs_f64(),
        config.history,
        config.neighbours,
        config.top_k,
        bench.step
    );

    // 1. Preload, and memory per retained interaction.
    let rss_before = crate::status_mib("VmRSS:")?;
    let mut driver = Driver {
        session: RecsSession::new(config),
        population,
        events,
        next: 0,
        spacing_ms: 1000.0 / f64::from(bench.rate),
    };
    let preload = throughput(
        "preload",
        bench.preload,
        &driver.run(bench.preload, bench.step),
    );
    let rss_after = crate::status_mib("VmRSS:")?;
    let per_pair = (rss_after - rss_before) * 1_048_576.0 / pairs as f64;
    println!(
        "memory: RSS {rss_before:.0} MiB before the session, {rss_after:.0} MiB after the preload; {pairs} retained interactions (distinct member-item pairs; {capped} within H): {per_pair:.0} bytes per retained interaction"
    );

    // 2. Sustained updates.
    let sustained = throughput(
        "sustained updates",
        bench.updates,
        &driver.run(bench.updates, bench.step),
    );

    // 3. Freshness on the clock.
    let fresh = freshness(
        &mut driver,
        freshness_events,
        f64::from(bench.rate),
        bench.step,
        f64::from(bench.max_lag),
    );
    let rss_end = crate::status_mib("VmRSS:")?;
    let peak = crate::status_mib("VmHWM:")?;
    println!("memory at the end: RSS {rss_end:.0} MiB, peak {peak:.0} MiB");

    let commit = if bench.no_commit {
        println!("commit: skipped (--no-commit)");
        serde_json::Value::Null
    } else {
        time_commit(
            &mut driver,
            fresh["step_p50_events"].as_f64().unwrap_or(1.0) as usize,
        )?
    };

    println!(
        "{}",
        json!({
            "bench": "recs",
            "members": bench.members,
            "items": bench.items,
            "history": bench.history,
            "neighbours": bench.neighbours,
            "top_k": bench.top_k,
            "step": bench.step,
            "preload": preload,
            "rss_before_mib": rss_before,
            "rss_after_preload_mib": rss_after,
            "retained_interactions": pairs,
            "retained_within_history": capped,
            "bytes_per_retained_interaction": per_pair,
            "sustained": sustained,
            "freshness": fresh,
            "rss_end_mib": rss_end,
            "peak_rss_mib": peak,
            "commit": commit,
            "total_s": started.elapsed().as_secs_f64(),
        })
    );
    Ok(())
}

/// Phase 3: event k of `n` arrives at k / `rate` s; every step takes all that has arrived, up to
/// `max_step` events (so one slow step does not snowball into a giant one). The run stops once
/// everything is applied or `max_lag` s after the last arrival; events still waiting then count with
/// their wait so far (a lower bound).
fn freshness(
    driver: &mut Driver,
    n: usize,
    rate: f64,
    max_step: usize,
    max_lag: f64,
) -> serde_json::Value {
    let first = driver.next;
    let deadline = n as f64 / rate + max_lag;
    let t0 = Instant::now();
    let mut fresh = Vec::with_capacity(n);
    let mut sizes = Vec::new();
    let mut backlog = None;
    let mut now = 0.0;
    while driver.next < first + n && now < deadline {
        let arrived = ((now * rate) as usize + 1).min(n);
        let done = driver.next - first;
        if arrived == n && backlog.is_none() {
            backlog = Some(n - done);
        }
        if arrived <= done {
            std::thread::sleep(Duration::from_secs_f64((done as f64 / rate - now).max(0.0)));
        } else {
            let end = arrived.min(done + max_step);
            driver.step(end - done);
            let out = t0.elapsed().as_secs_f64();
            fresh.extend((done..end).map(|k| out - k as f64 / rate));
            sizes.push((end - done) as f64);
        }
        now = t0.elapsed().as_secs_f64();
    }
    let applied = fresh.len();
    fresh.extend((applied..n).map(|k| now - k as f64 / rate));
    let backlog = backlog.unwrap_or(n - applied);
    let (q, steps) = (Quantiles::of(&fresh), Quantiles::of(&sizes));
    // The run kept up when the last event's rows were out within a second of its arrival.
    let lag_end = fresh.last().copied().unwrap_or(0.0);
    let kept_up = applied == n && lag_end <= 1.0;
    let bound = if applied < n { "≥ " } else { "" };
    println!(
        "freshness at {rate:.0} events/s offered for {:.0} s ({n} events, {} steps of p50 {:.0} / max {:.0} events): p50 {bound}{:.0} ms, p99 {bound}{:.0} ms, max {bound}{:.0} ms",
        n as f64 / rate,
        sizes.len(),
        steps.at(0.5),
        steps.at(1.0),
        q.at(0.5) * 1e3,
        q.at(0.99) * 1e3,
        q.at(1.0) * 1e3,
    );
    println!(
        "  backlog when the last event arrived: {backlog} events; last event's rows out {bound}{:.0} ms after it arrived; {}",
        lag_end * 1e3,
        if kept_up {
            "kept up".to_string()
        } else if applied < n {
            format!(
                "did NOT keep up: stopped {max_lag:.0} s after the last arrival with {} events unapplied (their freshness counts as their wait so far)",
                n - applied
            )
        } else {
            "did NOT keep up (more than 1 s behind at the end)".to_string()
        }
    );
    println!(
        "  (freshness = event arrival → the step's changed rows computed by the dataflow; the SQLite commit is not included)"
    );
    json!({
        "rate": rate,
        "events": n,
        "applied": applied,
        "steps": sizes.len(),
        "step_p50_events": steps.at(0.5),
        "step_max_events": steps.at(1.0),
        "p50_ms": q.at(0.5) * 1e3,
        "p99_ms": q.at(0.99) * 1e3,
        "max_ms": q.at(1.0) * 1e3,
        "lower_bounds": applied < n,
        "backlog_at_last_arrival": backlog,
        "lag_at_end_ms": lag_end * 1e3,
        "kept_up": kept_up,
    })
}

/// Commits every current row to a fresh serving database (the initial load), then applies one
/// more step of `step` interactions (generated past the measured traffic) and times the commit of
/// its row changes into that database.
fn time_commit(driver: &mut Driver, step: usize) -> Result<serde_json::Value> {
    let dir = tempfile::tempdir()?;
    let mut store = SqliteStore::open(&dir.path().join("serving.db"), "recs-bench")?;
    let before = driver.session.rows();
    let mut epoch = 0;
    let mut commit = |changes: &[ServingChange]| -> Result<f64> {
        epoch += 1;
        let mut checkpoint = Checkpoint::empty(1, "bench".into());
        checkpoint.epoch = epoch;
        let updates = ServingUpdates {
            changes: changes.to_vec(),
            activity: Vec::new(),
            ..ServingUpdates::default()
        };
        let t = Instant::now();
        store
            .commit(&checkpoint, &[], &updates)
            .context("committing row changes")?;
        Ok(t.elapsed().as_secs_f64())
    };
    let load: Vec<ServingChange> = before
        .iter()
        .map(|row| ServingChange {
            row: row.clone(),
            diff: 1,
        })
        .collect();
    let load_s = commit(&load)?;

    let extra = generate(&driver.population, step, driver.events.len() as u64);
    driver.events.extend(extra);
    let compute_s = driver.step(step).as_secs_f64();
    let changes = row_changes(&before, &driver.session.rows());
    let step_s = commit(&changes)?;
    println!(
        "commit (SQLite, WAL, synchronous=FULL): initial load of {} rows {load_s:.2} s; one step of {step} interactions (dataflow {:.0} ms) changed {} rows, committed in {:.0} ms",
        load.len(),
        compute_s * 1e3,
        changes.len(),
        step_s * 1e3
    );
    Ok(json!({
        "initial_rows": load.len(),
        "initial_load_s": load_s,
        "step_interactions": step,
        "step_dataflow_ms": compute_s * 1e3,
        "step_changed_rows": changes.len(),
        "step_commit_ms": step_s * 1e3,
    }))
}

/// The changes from `old` to `new` (both sorted, each row once): removals and additions.
fn row_changes(old: &[ServingRow], new: &[ServingRow]) -> Vec<ServingChange> {
    let (mut a, mut b) = (old.iter().peekable(), new.iter().peekable());
    let mut changes = Vec::new();
    loop {
        let change = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x == y => {
                a.next();
                b.next();
                continue;
            }
            (Some(x), Some(y)) if x < y => (a.next(), -1),
            (Some(_), None) => (a.next(), -1),
            (_, Some(_)) => (b.next(), 1),
            (None, None) => break,
        };
        if let (Some(row), diff) = change {
            changes.push(ServingChange {
                row: row.clone(),
                diff,
            });
        }
    }
    changes
}
