//! Where structural events (new items, deletions, joins, leaves, role changes) fall in the stream.
//!
//! Blocks are generated independently, so "how many items exist at event `i`" must be computable from
//! `i` alone. Structural events therefore sit on a jittered lattice: after the prelude, slot `s` is at
//! index `prelude + s * SPACING + offset(s)` with a hashed offset below `SPACING`, and the slot's type
//! follows a fixed 40-slot [`PATTERN`]. Which community a new item or member belongs to follows a
//! weighted [`Cycle`]. Counting, locating and inverting all take a few divisions.

use super::rng::hash3;

/// What a structural slot does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// A new item is published.
    NewItem,
    /// An existing item is edited (new title or price).
    ItemUpdate,
    /// An item is deleted.
    ItemDelete,
    /// A new member joins.
    Join,
    /// A member leaves.
    Leave,
    /// A member's role or tier changes.
    Role,
    /// Nothing structural: a regular event.
    Free,
}

impl Slot {
    /// Every slot type, in the order of the per-type tables.
    const ALL: [Slot; 7] = [
        Slot::NewItem,
        Slot::ItemUpdate,
        Slot::ItemDelete,
        Slot::Join,
        Slot::Leave,
        Slot::Role,
        Slot::Free,
    ];

    /// Position in [`Slot::ALL`].
    fn ord(self) -> usize {
        self as usize
    }
}

/// One structural slot every `SPACING` events after the prelude (2% of the regular traffic).
pub(crate) const SPACING: u64 = 50;

use Slot::{
    Free, ItemDelete as D, ItemUpdate as U, Join as J, Leave as L, NewItem as N, Role as R,
};

/// The repeating sequence of slot types: 14 new items, 4 updates, 1 deletion, 12 joins, 4 leaves, 1 role
/// change and 4 free slots per 2,000 regular events.
pub(crate) const PATTERN: [Slot; 40] = [
    N, J, N, J, L, N, J, U, N, J, //
    N, J, Free, N, L, J, N, D, J, N, //
    U, N, J, R, N, L, J, Free, N, J, //
    N, U, J, Free, N, L, Free, N, U, J,
];

/// The structural lattice of one stream.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    prelude: u64,
    seed: u64,
    /// `prefix[t][p]`: slots of type `t` among `PATTERN[..p]`.
    prefix: [[u32; 41]; 7],
    /// `positions[t]`: the pattern positions of type `t`.
    positions: [Vec<u32>; 7],
}

impl Schedule {
    /// The lattice after a prelude of `prelude` events.
    pub(crate) fn new(seed: u64, prelude: u64) -> Self {
        let mut prefix = [[0u32; 41]; 7];
        let mut positions: [Vec<u32>; 7] = Default::default();
        for (p, slot) in PATTERN.iter().enumerate() {
            for t in Slot::ALL {
                prefix[t.ord()][p + 1] = prefix[t.ord()][p] + u32::from(t == *slot);
            }
            positions[slot.ord()].push(p as u32);
        }
        Self {
            prelude,
            seed,
            prefix,
            positions,
        }
    }

    /// The jitter of slot `s` inside its stretch of `SPACING` events.
    fn offset(&self, s: u64) -> u64 {
        hash3(self.seed, 0x736c_6f74, s) % SPACING
    }

    /// The event index of slot `s`.
    fn slot_index(&self, s: u64) -> u64 {
        self.prelude + s * SPACING + self.offset(s)
    }

    /// How many slots lie strictly before event `i`.
    fn slots_before(&self, i: u64) -> u64 {
        let Some(r) = i.checked_sub(self.prelude) else {
            return 0;
        };
        let q = r / SPACING;
        q + u64::from(self.offset(q) < r % SPACING)
    }

    /// How many slots of type `t` are among the first `s` slots.
    fn count_in(&self, t: Slot, s: u64) -> u64 {
        let table = &self.prefix[t.ord()];
        (s / 40) * u64::from(table[40]) + u64::from(table[(s % 40) as usize])
    }

    /// The structural slot at event `i`, with its ordinal among slots of its type, if `i` is one.
    pub(crate) fn slot_at(&self, i: u64) -> Option<(Slot, u64)> {
        let r = i.checked_sub(self.prelude)?;
        let q = r / SPACING;
        if self.offset(q) != r % SPACING {
            return None;
        }
        let t = PATTERN[(q % 40) as usize];
        Some((t, self.count_in(t, q)))
    }

    /// How many slots of type `t` lie strictly before event `i`.
    pub(crate) fn count_before(&self, t: Slot, i: u64) -> u64 {
        self.count_in(t, self.slots_before(i))
    }

    /// The event index of the `n`-th slot of type `t` (`t` must occur in the pattern).
    pub(crate) fn index_of(&self, t: Slot, n: u64) -> u64 {
        let pos = &self.positions[t.ord()];
        let per = pos.len() as u64;
        self.slot_index((n / per) * 40 + u64::from(pos[(n % per) as usize]))
    }
}

/// A weighted round-robin over the communities, deciding which one the `n`-th new item (member, deletion,
/// leave) belongs to, and inverting that.
#[derive(Debug, Clone)]
pub(crate) struct Cycle {
    order: Vec<u8>,
    /// `prefix[p][c]`: entries of community `c` among `order[..p]`.
    prefix: Vec<[u32; 4]>,
    /// `positions[c]`: the positions of community `c` in `order`.
    positions: [Vec<u32>; 4],
}

impl Cycle {
    /// A cycle giving each community `weights[c]` entries (every weight must be positive).
    pub(crate) fn new(weights: [u32; 4]) -> Self {
        let total: i64 = weights.iter().map(|&w| i64::from(w)).sum();
        let mut current = [0i64; 4];
        let mut order = Vec::with_capacity(total as usize);
        let mut prefix = vec![[0u32; 4]];
        let mut positions: [Vec<u32>; 4] = Default::default();
        for p in 0..total {
            // Smooth weighted round-robin (as in nginx): spreads each community evenly over the cycle.
            for (cur, &w) in current.iter_mut().zip(&weights) {
                *cur += i64::from(w);
            }
            let mut best = 0;
            for c in 1..4 {
                if current[c] > current[best] {
                    best = c;
                }
            }
            current[best] -= total;
            order.push(best as u8);
            positions[best].push(p as u32);
            let mut next = prefix[prefix.len() - 1];
            next[best] += 1;
            prefix.push(next);
        }
        Self {
            order,
            prefix,
            positions,
        }
    }

    /// The community of entry `n` and its ordinal among that community's entries.
    pub(crate) fn nth(&self, n: u64) -> (usize, u64) {
        let len = self.order.len() as u64;
        let p = (n % len) as usize;
        let c = usize::from(self.order[p]);
        (c, self.count(c, n))
    }

    /// The global number of the `k`-th entry of community `c`.
    pub(crate) fn global(&self, c: usize, k: u64) -> u64 {
        let pos = &self.positions[c];
        let per = pos.len() as u64;
        (k / per) * self.order.len() as u64 + u64::from(pos[(k % per) as usize])
    }

    /// How many of the first `n` entries belong to community `c`.
    pub(crate) fn count(&self, c: usize, n: u64) -> u64 {
        let len = self.order.len() as u64;
        let full = self.prefix[self.order.len()][c];
        (n / len) * u64::from(full) + u64::from(self.prefix[(n % len) as usize][c])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_has_the_documented_mix() {
        let count = |t: Slot| PATTERN.iter().filter(|&&s| s == t).count();
        assert_eq!(
            [
                count(N),
                count(U),
                count(D),
                count(J),
                count(L),
                count(R),
                count(Free)
            ],
            [14, 4, 1, 12, 4, 1, 4]
        );
    }

    #[test]
    fn lattice_counts_and_inverts() {
        let s = Schedule::new(9, 1000);
        let mut seen = [0u64; 7];
        for i in 0..60_000 {
            for t in Slot::ALL {
                assert_eq!(s.count_before(t, i), seen[t.ord()], "type {t:?} at {i}");
            }
            if let Some((t, n)) = s.slot_at(i) {
                assert_eq!(n, seen[t.ord()]);
                assert_eq!(s.index_of(t, n), i);
                seen[t.ord()] += 1;
            }
        }
        assert_eq!(seen.iter().sum::<u64>(), 59_000 / SPACING);
    }

    #[test]
    fn cycle_inverts() {
        let cy = Cycle::new([8, 6, 4, 2]);
        let mut per = [0u64; 4];
        for n in 0..500 {
            let (c, k) = cy.nth(n);
            assert_eq!(k, per[c]);
            assert_eq!(cy.global(c, k), n);
            per[c] += 1;
            for (cc, &p) in per.iter().enumerate() {
                assert_eq!(cy.count(cc, n + 1), p);
            }
        }
        assert_eq!(per, [200, 150, 100, 50]);
    }
}
