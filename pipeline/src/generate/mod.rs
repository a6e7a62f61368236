//! A deterministic, seeded generator of realistic community traffic, in the wire format of
//! `docs/events.md`.
//!
//! Demos, benchmarks and the later jobs (recommendations, forecasts, moderation) need a stream that looks
//! like a real paid-knowledge community: four communities of different sizes, a catalogue published at
//! the start, members with tastes and very uneven activity, Zipf item popularity, daily and weekly
//! seasonality, payments with card-testing and refund bursts, chat with spam, floods, abuse and leaked
//! contact details, plus a controlled share of malformed and late lines.
//!
//! Blocks of [`Generator::BLOCK`] events are the unit of determinism: block `b` depends only on the
//! configuration and `b` (its own ChaCha8 stream, times from the inverted intensity curve, and a
//! structural schedule computable from the event index), so workers can generate blocks in any order
//! and concatenate them into byte-identical output.

mod activity;
mod block;
mod catalogue;
mod chat;
mod communities;
mod invalid;
mod json;
mod population;
mod retire;
mod rng;
mod schedule;
mod structural;
mod text;
mod timeline;

#[cfg(test)]
mod tests;

use population::Population;
use timeline::Timeline;

/// Settings of the generator.
///
/// The defaults give two weeks of traffic (a million events) starting on Monday 2026-11-02 00:00 UTC,
/// with one malformed and one late line in two thousand.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneratorConfig {
    /// Number of lines to write.
    pub events: u64,
    /// Seed of every random choice: the same config always gives the same bytes.
    pub seed: u64,
    /// Start of the period, in epoch milliseconds.
    pub start_ms: i64,
    /// Length of the period in days.
    pub days: u32,
    /// Share of lines that are deliberately malformed (dead-lettered by the pipeline).
    pub invalid_rate: f64,
    /// Share of valid events whose `ts` is 2-6 hours older than their neighbours (dead-lettered as `late`).
    pub late_rate: f64,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            events: 1_000_000,
            seed: 42,
            // 2026-11-02T00:00:00Z, a Monday.
            start_ms: 1_793_577_600_000,
            days: 14,
            invalid_rate: 0.0005,
            late_rate: 0.0005,
        }
    }
}

/// The generator of one configuration: precomputed intensity curve and population, shared read-only by
/// every block.
#[derive(Debug, Clone)]
pub struct Generator {
    config: GeneratorConfig,
    timeline: Timeline,
    population: Population,
}

impl Generator {
    /// Events per block: blocks are the unit of determinism and parallelism.
    pub const BLOCK: u64 = 4096;

    /// Prepares the generator of `config` (a few microseconds; nothing is generated yet).
    pub fn new(config: GeneratorConfig) -> Self {
        let timeline = Timeline::new(&config);
        let population = Population::new(&config);
        Self {
            config,
            timeline,
            population,
        }
    }

    /// The configuration this generator was built from.
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// Number of blocks (the last one may be partial).
    pub fn block_count(&self) -> u64 {
        self.config.events.div_ceil(Self::BLOCK)
    }

    /// Appends the JSON Lines of block `b` (events `b*BLOCK .. min((b+1)*BLOCK, events)`), each line
    /// ending in `'\n'`, to `out`. Depends only on the configuration and `b`, so any worker can generate
    /// any block, in any order, and get the same bytes. A block past the end appends nothing.
    pub fn write_block(&self, b: u64, out: &mut Vec<u8>) {
        let start = b.saturating_mul(Self::BLOCK);
        let end = start.saturating_add(Self::BLOCK).min(self.config.events);
        if start < end {
            block::BlockWriter::new(self, b, out).run(start, end);
        }
    }

    /// Writes all blocks in order (what `cohort generate --events N --seed S --out FILE` calls).
    pub fn write_all(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(Self::BLOCK as usize * 256);
        for b in 0..self.block_count() {
            buf.clear();
            self.write_block(b, &mut buf);
            out.write_all(&buf)?;
        }
        out.flush()
    }
}
