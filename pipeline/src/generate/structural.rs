//! Structural events: the prelude (staff joins, the catalogue, initial members) and the scheduled slots
//! that publish, edit and delete items and let members join, leave or change role.
//!
//! These events are never malformed or late: later events rely on the items and members they create.

use super::block::BlockWriter;
use super::catalogue::{ItemChange, author_of, item_info, push_item_fields};
use super::json::push_str;
use super::population::Prelude;
use super::schedule::Slot;

/// Tiers members join with, and their weights in percent.
const JOIN_TIERS: [(&str, u32); 3] = [("basic", 70), ("premium", 25), ("trial", 5)];
/// Tiers after a role change.
const ROLE_TIERS: [&str; 4] = ["moderator", "premium", "basic", "vip"];

impl BlockWriter<'_> {
    /// Prelude event `i`.
    pub(crate) fn prelude(&mut self, i: u64) {
        match self.generator.population.prelude_event(i) {
            Prelude::Item(c, j) => self.item(i, c, j, ItemChange::Publish),
            Prelude::Join(c, m) => self.join(i, c, m),
        }
    }

    /// Structural slot `n` of type `slot` at event `i`.
    pub(crate) fn structural(&mut self, i: u64, slot: Slot, n: u64) {
        let g = self.generator;
        let p = &g.population;
        match slot {
            Slot::NewItem => {
                let (c, j) = p.new_item(n);
                self.item(i, c, j, ItemChange::Publish);
            }
            Slot::ItemDelete => match p.deletion(n) {
                Some((c, j)) => self.item(i, c, j, ItemChange::Delete),
                None => self.item_update(i),
            },
            Slot::ItemUpdate | Slot::Free => self.item_update(i),
            Slot::Join => {
                let (c, m) = p.new_member(n);
                self.join(i, c, m);
            }
            Slot::Leave => match p.leave(n) {
                Some((c, m)) => {
                    let ts = self.time(i);
                    let style = self.style(false);
                    self.begin("member", i, ts, style, c, m);
                    self.out.extend_from_slice(b",\"action\":\"leave\"");
                    self.end();
                }
                None => self.role(i),
            },
            Slot::Role => self.role(i),
        }
    }

    /// An `item` event for item `j` of community `c`, by its author.
    fn item(&mut self, i: u64, c: usize, j: u64, change: ItemChange) {
        let g = self.generator;
        let info = item_info(g.config.seed, c, j);
        let author = author_of(&info, g.population.communities[c].staff());
        let ts = self.time(i);
        let style = self.style(false);
        self.begin("item", i, ts, style, c, author);
        push_item_fields(self.out, &mut self.text, c, j, &info, author, change);
        self.end();
    }

    /// An edit of a live item, chosen like a view would choose it (popular items get edited more).
    fn item_update(&mut self, i: u64) {
        let c = self.community();
        let j = self.generator.population.pick_item(&mut self.rng, c, 0, i);
        self.item(i, c, j, ItemChange::Update);
    }

    /// Member `m` of `c` joins.
    fn join(&mut self, i: u64, c: usize, m: u64) {
        let ts = self.time(i);
        let style = self.style(false);
        let mut x = self.rng.below(100) as u32;
        let mut tier = JOIN_TIERS[0].0;
        for (name, w) in JOIN_TIERS {
            if x < w {
                tier = name;
                break;
            }
            x -= w;
        }
        self.begin("member", i, ts, style, c, m);
        self.out
            .extend_from_slice(b",\"action\":\"join\",\"tier\":");
        push_str(self.out, if m == 0 { "owner" } else { tier });
        self.end();
    }

    /// A present member's role or tier changes.
    fn role(&mut self, i: u64) {
        let c = self.community();
        let m = self.generator.population.pick_member(&mut self.rng, c, i);
        let ts = self.time(i);
        let style = self.style(false);
        let tier = *self.rng.pick(&ROLE_TIERS);
        self.begin("member", i, ts, style, c, m);
        self.out
            .extend_from_slice(b",\"action\":\"role\",\"tier\":");
        push_str(self.out, tier);
        self.end();
    }
}
