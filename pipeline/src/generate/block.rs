//! One block of events: the per-block random stream, the short-lived state that makes neighbouring
//! events coherent (likes to undo, messages to answer, floods and payment bursts in progress), and the
//! dispatch of each event index to the writer of its kind.

use super::Generator;
use super::communities::COMMUNITIES;
use super::json::{TsStyle, push_ts, push_u64};
use super::rng::Rand;
use super::schedule::Slot;

/// Hours in milliseconds, for late events.
const HOUR_MS: i64 = 3_600_000;

/// A small ring of recent entries per community, for undos and replies within a block.
#[derive(Debug)]
pub(crate) struct Recent<T: Copy, const N: usize> {
    slots: [Option<T>; N],
    next: usize,
}

impl<T: Copy, const N: usize> Recent<T, N> {
    /// An empty ring.
    pub(crate) fn new() -> Self {
        Self {
            slots: [None; N],
            next: 0,
        }
    }

    /// Remembers `x`, forgetting the oldest entry when full.
    pub(crate) fn push(&mut self, x: T) {
        self.slots[self.next] = Some(x);
        self.next = (self.next + 1) % N;
    }

    /// A random remembered entry, if the chosen slot holds one; `take` also forgets it.
    pub(crate) fn sample(&mut self, rng: &mut Rand, take: bool) -> Option<T> {
        let k = rng.below(N as u64) as usize;
        if take {
            self.slots[k].take()
        } else {
            self.slots[k]
        }
    }
}

/// A flood in progress: one member repeating the same message in one channel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flood {
    /// Messages still to come.
    pub(crate) remaining: u32,
    /// Community and member flooding.
    pub(crate) community: usize,
    /// The member flooding.
    pub(crate) user: u64,
    /// Index into the community's channels.
    pub(crate) channel: usize,
    /// Which spam text is repeated.
    pub(crate) variant: u64,
}

/// A burst of suspicious payments in progress.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Burst {
    /// Payments still to come.
    pub(crate) remaining: u32,
    /// The community.
    pub(crate) community: usize,
    /// The item paid for or refunded.
    pub(crate) item: u64,
    /// `Some(member)`: one fresh account tests a card with tiny purchases; `None`: many members ask for
    /// refunds of the same item.
    pub(crate) tester: Option<u64>,
}

/// Writes the events of one block into `out`.
pub(crate) struct BlockWriter<'a> {
    /// The generator (configuration, timeline, population).
    pub(crate) generator: &'a Generator,
    /// The block's random stream.
    pub(crate) rng: Rand,
    /// Where lines go.
    pub(crate) out: &'a mut Vec<u8>,
    /// Scratch space for texts and titles.
    pub(crate) text: String,
    /// Recent likes per community: (member, item).
    pub(crate) likes: Vec<Recent<(u64, u64), 32>>,
    /// Recent chat messages per community: (channel, event index, member).
    pub(crate) messages: Vec<Recent<(usize, u64, u64), 16>>,
    /// A flood in progress.
    pub(crate) flood: Option<Flood>,
    /// A payment burst in progress.
    pub(crate) burst: Option<Burst>,
}

impl<'a> BlockWriter<'a> {
    /// A writer for block `b`.
    pub(crate) fn new(generator: &'a Generator, b: u64, out: &'a mut Vec<u8>) -> Self {
        let n = COMMUNITIES.len();
        Self {
            generator,
            rng: Rand::for_block(generator.config.seed, b),
            out,
            text: String::with_capacity(256),
            likes: (0..n).map(|_| Recent::new()).collect(),
            messages: (0..n).map(|_| Recent::new()).collect(),
            flood: None,
            burst: None,
        }
    }

    /// Writes events `start..end`.
    pub(crate) fn run(&mut self, start: u64, end: u64) {
        self.out.reserve(((end - start) * 240) as usize);
        for i in start..end {
            self.event(i);
        }
    }

    /// Writes event `i`: prelude, structural slot, malformed line or regular traffic.
    fn event(&mut self, i: u64) {
        let g = self.generator;
        if i < g.population.prelude {
            return self.prelude(i);
        }
        if let Some((slot, n)) = g.population.schedule.slot_at(i)
            && slot != Slot::Free
        {
            return self.structural(i, slot, n);
        }
        if self.rng.chance(g.config.invalid_rate) {
            return self.invalid(i);
        }
        let mut ts = self.time(i);
        if self.rng.chance(g.config.late_rate) {
            ts -= self.rng.between(2 * HOUR_MS, 6 * HOUR_MS);
        }
        if self.flood.is_some() && self.rng.chance(0.45) {
            return self.flood_message(i, ts);
        }
        if self.burst.is_some() && self.rng.chance(0.45) {
            return self.burst_payment(i, ts);
        }
        self.regular(i, ts);
    }

    /// A regular event: a community by traffic share, a member by activity, a kind by the mix.
    fn regular(&mut self, i: u64, ts: i64) {
        let g = self.generator;
        let c = self.community();
        let m = g.population.pick_member(&mut self.rng, c, i);
        let weekend = ((ts + 8 * HOUR_MS).div_euclid(86_400_000) + 3).rem_euclid(7) >= 5;
        let checkins = if weekend { 2.2 } else { 0.6 };
        let x = self.rng.unit() * (60.0 + 14.0 + 3.0 + 18.0 + checkins + 0.0005);
        if x < 60.0 {
            self.view(i, ts, c, m);
        } else if x < 74.0 {
            self.like(i, ts, c, m);
        } else if x < 77.0 {
            self.payment(i, ts, c, m);
        } else if x < 95.0 {
            self.chat(i, ts, c, m);
        } else if x < 95.0 + checkins {
            self.checkin(i, ts, c, m);
        } else {
            self.begin("erasure", i, ts, TsStyle::Epoch, c, m);
            self.end();
        }
    }

    /// A community by traffic share.
    pub(crate) fn community(&mut self) -> usize {
        let mut x = self.rng.unit();
        for (c, spec) in COMMUNITIES.iter().enumerate() {
            if x < spec.traffic {
                return c;
            }
            x -= spec.traffic;
        }
        0
    }

    /// The time of event `i`: the intensity curve's time plus a little out-of-order jitter (mostly
    /// ±1.5 s, sometimes ±15 s, rarely up to two minutes early).
    pub(crate) fn time(&mut self, i: u64) -> i64 {
        let t = &self.generator.timeline;
        let u = self.rng.unit();
        let jitter = if u < 0.9 {
            self.rng.between(-1500, 1500)
        } else if u < 0.99 {
            self.rng.between(-15_000, 15_000)
        } else {
            self.rng.between(-120_000, 30_000)
        };
        t.clamp(t.base_ms(i) + jitter)
    }

    /// How a client writes `ts`: payments and check-ins come from servers (epoch ms), the rest from
    /// apps in UTC or Beijing time.
    pub(crate) fn style(&mut self, server: bool) -> TsStyle {
        if server {
            TsStyle::Epoch
        } else if self.rng.chance(0.22) {
            TsStyle::Beijing
        } else {
            TsStyle::Utc
        }
    }

    /// Opens an event line with the common fields.
    pub(crate) fn begin(
        &mut self,
        kind: &str,
        i: u64,
        ts: i64,
        style: TsStyle,
        c: usize,
        user: u64,
    ) {
        let out = &mut *self.out;
        out.extend_from_slice(b"{\"v\":1,\"kind\":\"");
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(b"\",\"event_id\":\"g");
        push_u64(out, self.generator.config.seed);
        out.push(b'-');
        push_u64(out, i);
        out.extend_from_slice(b"\",\"ts\":");
        push_ts(out, ts, style);
        out.extend_from_slice(b",\"community_id\":\"");
        out.extend_from_slice(COMMUNITIES[c].slug.as_bytes());
        out.extend_from_slice(b"\",\"user_id\":\"");
        push_user(out, c, user);
        out.push(b'"');
    }

    /// Closes an event line.
    pub(crate) fn end(&mut self) {
        self.out.extend_from_slice(b"}\n");
    }
}

/// Appends a member id (`u<community>-<n>`), without quotes.
pub(crate) fn push_user(out: &mut Vec<u8>, c: usize, m: u64) {
    out.push(b'u');
    push_u64(out, c as u64);
    out.push(b'-');
    push_u64(out, m);
}
