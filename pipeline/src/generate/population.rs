//! Who and what exists at event `i`: communities, their members and items, and which have gone.
//!
//! Members and items are numbered per community in order of creation: the initial ones are created by
//! the prelude (the first events of the stream), later ones by structural slots of the [`Schedule`]. So
//! "the items of community `c` at event `i`" is always the prefix `0..items_at(c, i)`. Leaves and
//! deletions only touch the less popular half of the initial members and items, through a fixed
//! permutation ([`Retire`]) that can be inverted to ask "has this one gone before event `i`?".

use super::GeneratorConfig;
use super::communities::{COMMUNITIES, Spec};
use super::retire::Retire;
use super::rng::{Rand, hash3};
use super::schedule::{Cycle, Schedule, Slot};

/// Item popularity exponent inside a community.
const ZIPF_S: f64 = 1.1;

/// One community at the stream's scale.
#[derive(Debug, Clone)]
pub(crate) struct Community {
    /// Its fixed description.
    pub(crate) spec: &'static Spec,
    /// Items published by the prelude.
    pub(crate) initial_items: u64,
    /// Members who join in the prelude.
    pub(crate) initial_members: u64,
    items_gone: Retire,
    members_gone: Retire,
}

impl Community {
    /// The first members, who author items: the owner (member 0) and up to 39 staff.
    pub(crate) fn staff(&self) -> u64 {
        self.initial_members.min(40)
    }
}

/// What a prelude event creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prelude {
    /// Catalogue item `j` of community `c`.
    Item(usize, u64),
    /// Initial member `m` of community `c` joins.
    Join(usize, u64),
}

/// Every community plus the structural schedule of the stream.
#[derive(Debug, Clone)]
pub(crate) struct Population {
    /// The communities, in [`COMMUNITIES`] order.
    pub(crate) communities: Vec<Community>,
    /// Where structural events fall.
    pub(crate) schedule: Schedule,
    /// Length of the prelude in events.
    pub(crate) prelude: u64,
    item_cycle: Cycle,
    member_cycle: Cycle,
    seed: u64,
}

impl Population {
    /// The population of `config`: sizes grow with the square root of the stream size, and the prelude
    /// stays below about 4% of the events.
    pub(crate) fn new(config: &GeneratorConfig) -> Self {
        let scale = (config.events as f64 / 1e6).sqrt().clamp(0.02, 5.0);
        let wanted: f64 = COMMUNITIES
            .iter()
            .map(|s| (s.items + s.members) as f64 * scale)
            .sum();
        let fit = (0.04 * config.events as f64 / wanted).min(1.0);
        let communities: Vec<Community> = COMMUNITIES
            .iter()
            .map(|spec| {
                let initial_items = ((spec.items as f64 * scale * fit) as u64).max(6);
                let initial_members = ((spec.members as f64 * scale * fit) as u64).max(12);
                Community {
                    spec,
                    initial_items,
                    initial_members,
                    items_gone: Retire::new(initial_items),
                    members_gone: Retire::new(initial_members),
                }
            })
            .collect();
        let prelude: u64 = communities
            .iter()
            .map(|c| c.initial_items + c.initial_members)
            .sum();
        Self {
            communities,
            schedule: Schedule::new(config.seed, prelude),
            prelude,
            item_cycle: Cycle::new([6, 8, 4, 2]),
            member_cycle: Cycle::new([7, 5, 3, 1]),
            seed: config.seed,
        }
    }

    /// What prelude event `k` (< `prelude`) creates: first the staff of each community join (they author
    /// the catalogue), then the catalogue is published, then the other initial members join.
    pub(crate) fn prelude_event(&self, k: u64) -> Prelude {
        let mut rest = k;
        for (c, com) in self.communities.iter().enumerate() {
            if rest < com.staff() {
                return Prelude::Join(c, rest);
            }
            rest -= com.staff();
        }
        for (c, com) in self.communities.iter().enumerate() {
            if rest < com.initial_items {
                return Prelude::Item(c, rest);
            }
            rest -= com.initial_items;
        }
        for (c, com) in self.communities.iter().enumerate() {
            let others = com.initial_members - com.staff();
            if rest < others {
                return Prelude::Join(c, com.staff() + rest);
            }
            rest -= others;
        }
        Prelude::Join(0, 0)
    }

    /// Items of community `c` published before event `i` (all of them are `0..items_at`).
    pub(crate) fn items_at(&self, c: usize, i: u64) -> u64 {
        let new = self.schedule.count_before(Slot::NewItem, i);
        self.communities[c].initial_items + self.item_cycle.count(c, new)
    }

    /// Members of community `c` who joined before event `i` (regular events come after the prelude).
    pub(crate) fn members_at(&self, c: usize, i: u64) -> u64 {
        let new = self.schedule.count_before(Slot::Join, i);
        self.communities[c].initial_members + self.member_cycle.count(c, new)
    }

    /// The item published by the `n`-th new-item slot.
    pub(crate) fn new_item(&self, n: u64) -> (usize, u64) {
        let (c, k) = self.item_cycle.nth(n);
        (c, self.communities[c].initial_items + k)
    }

    /// The member joining in the `n`-th join slot.
    pub(crate) fn new_member(&self, n: u64) -> (usize, u64) {
        let (c, k) = self.member_cycle.nth(n);
        (c, self.communities[c].initial_members + k)
    }

    /// The item deleted by the `n`-th deletion slot, if any candidate is left.
    pub(crate) fn deletion(&self, n: u64) -> Option<(usize, u64)> {
        let (c, k) = self.item_cycle.nth(n);
        self.communities[c].items_gone.entity(k).map(|j| (c, j))
    }

    /// The member leaving in the `n`-th leave slot, if any candidate is left.
    pub(crate) fn leave(&self, n: u64) -> Option<(usize, u64)> {
        let (c, k) = self.member_cycle.nth(n);
        self.communities[c].members_gone.entity(k).map(|m| (c, m))
    }

    /// Whether item `j` of community `c` was deleted before event `i`.
    pub(crate) fn item_deleted(&self, c: usize, j: u64, i: u64) -> bool {
        self.communities[c].items_gone.ordinal(j).is_some_and(|k| {
            self.schedule
                .index_of(Slot::ItemDelete, self.item_cycle.global(c, k))
                < i
        })
    }

    /// Whether member `m` of community `c` left before event `i`.
    pub(crate) fn member_left(&self, c: usize, m: u64, i: u64) -> bool {
        self.communities[c]
            .members_gone
            .ordinal(m)
            .is_some_and(|k| {
                self.schedule
                    .index_of(Slot::Leave, self.member_cycle.global(c, k))
                    < i
            })
    }

    /// A member of `c` present at event `i`, drawn by activity: a power law favours the oldest members.
    pub(crate) fn pick_member(&self, rng: &mut Rand, c: usize, i: u64) -> u64 {
        let n = self.members_at(c, i);
        for _ in 0..4 {
            let m = if rng.chance(0.8) {
                rng.skewed(n, 2.0)
            } else {
                rng.below(n)
            };
            if !self.member_left(c, m, i) {
                return m;
            }
        }
        0
    }

    /// One of the most recent members of `c` (spammers and card testers use fresh accounts).
    pub(crate) fn pick_newcomer(&self, rng: &mut Rand, c: usize, i: u64) -> u64 {
        let n = self.members_at(c, i);
        let m = n - 1 - rng.below(n.min(20 + n / 50));
        if self.member_left(c, m, i) { n - 1 } else { m }
    }

    /// The preferred and secondary topic of member `m` of `c`.
    pub(crate) fn taste(&self, c: usize, m: u64) -> (u64, u64) {
        let topics = self.communities[c].spec.topics.len() as u64;
        let h = hash3(self.seed, c as u64, m);
        let first = h % topics;
        (
            first,
            (first + 1 + (h >> 32) % (topics - 1).max(1)) % topics,
        )
    }

    /// An item of `c` live at event `i` that member `m` opens: recent items, items of the member's
    /// topics, or anything, each by Zipf popularity.
    pub(crate) fn pick_item(&self, rng: &mut Rand, c: usize, m: u64, i: u64) -> u64 {
        let n = self.items_at(c, i);
        let topics = self.communities[c].spec.topics.len() as u64;
        let (first, second) = self.taste(c, m);
        for _ in 0..4 {
            let u = rng.unit();
            let j = if u < 0.15 {
                n - 1 - (rng.exp(25.0) as u64).min(n - 1)
            } else if u < 0.70 {
                let t = if u < 0.55 { first } else { second };
                let in_topic = if n > t { (n - t - 1) / topics + 1 } else { 0 };
                if in_topic == 0 {
                    rng.zipf(n, ZIPF_S)
                } else {
                    t + topics * rng.zipf(in_topic, ZIPF_S)
                }
            } else {
                rng.zipf(n, ZIPF_S)
            };
            if !self.item_deleted(c, j, i) {
                return j;
            }
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_default_streams_have_sane_sizes() {
        let p = Population::new(&GeneratorConfig::default());
        let members: u64 = p.communities.iter().map(|c| c.initial_members).sum();
        assert!((10_000..30_000).contains(&members), "{members}");
        let tiny = Population::new(&GeneratorConfig {
            events: 10_000,
            ..GeneratorConfig::default()
        });
        assert!(tiny.prelude <= 500, "{}", tiny.prelude);
        assert_eq!(tiny.prelude_event(0), Prelude::Join(0, 0));
        let staff: u64 = tiny.communities.iter().map(Community::staff).sum();
        assert_eq!(tiny.prelude_event(staff), Prelude::Item(0, 0));
        assert!(matches!(
            tiny.prelude_event(tiny.prelude - 1),
            Prelude::Join(..)
        ));
    }
}
