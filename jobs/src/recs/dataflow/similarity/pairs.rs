//! What members add to co-occurrence: per member, the change of their contributions to item pairs
//! and item masses when their history changes.
//!
//! Only pairs with an item whose record changed are touched (a new item at the cap touches 2·(H−1)
//! pairs, not H²); when the history length changes, every record changes, and so does every pair
//! (the pair weight depends on the length).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::super::Scoped;
use super::super::history::HistoryItem;
use super::contribution;
use crate::recs::config::RecsConfig;

/// A co-occurrence quantity; it travels with its change (in `COOC_SCALE` units) as the diff.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) enum Cooc {
    /// The pair of items `a < b` of one community.
    Pair {
        community: String,
        a: String,
        b: String,
    },
    /// One item's mass (its degree, for RP3β).
    Mass { community: String, item: String },
}

/// A member's history as contributions are computed from it: item → (strength, history length).
type Held = HashMap<String, (i64, u32)>;

/// One worker's members' co-occurrence histories.
pub(super) struct MemberPairs {
    config: RecsConfig,
    members: HashMap<Scoped, Held>,
}

impl MemberPairs {
    /// No members yet.
    pub(super) fn new(config: RecsConfig) -> Self {
        MemberPairs {
            config,
            members: HashMap::new(),
        }
    }

    /// Applies one time's history changes and returns the change of every contribution they moved.
    pub(super) fn apply(
        &mut self,
        mut updates: Vec<((Scoped, HistoryItem), isize)>,
    ) -> Vec<(Cooc, isize)> {
        differential_dataflow::consolidation::consolidate(&mut updates);
        let mut by_member: HashMap<Scoped, Vec<(HistoryItem, isize)>> = HashMap::new();
        for ((member, item), diff) in updates {
            by_member.entry(member).or_default().push((item, diff));
        }
        let mut out = Vec::new();
        for (member, changes) in by_member {
            let old = self.members.remove(&member).unwrap_or_default();
            let mut new = old.clone();
            // Removals first: a record whose value changed leaves before it returns.
            for (h, _) in changes.iter().filter(|(_, d)| *d < 0) {
                if new.get(&h.item) == Some(&(h.strength, h.length)) {
                    new.remove(&h.item);
                }
            }
            for (h, _) in changes.iter().filter(|(_, d)| *d > 0) {
                new.insert(h.item.clone(), (h.strength, h.length));
            }
            let changed: HashSet<&String> = old
                .keys()
                .chain(new.keys())
                .filter(|item| old.get(*item) != new.get(*item))
                .collect();
            self.contributions(&member.0, &old, &changed, -1, &mut out);
            self.contributions(&member.0, &new, &changed, 1, &mut out);
            if !new.is_empty() {
                self.members.insert(member, new);
            }
        }
        differential_dataflow::consolidation::consolidate(&mut out);
        out
    }

    /// Appends `sign` × the contributions of `history` to every pair with a `changed` item and to
    /// the mass of every `changed` item (each pair once, even when both of its items changed).
    fn contributions(
        &self,
        community: &str,
        history: &Held,
        changed: &HashSet<&String>,
        sign: isize,
        out: &mut Vec<(Cooc, isize)>,
    ) {
        for &x in changed {
            let Some(&(sx, length)) = history.get(x) else {
                continue;
            };
            let mass = contribution(&self.config, sx, sx, length, false);
            out.push((
                Cooc::Mass {
                    community: community.to_string(),
                    item: x.clone(),
                },
                sign * mass,
            ));
            for (y, &(sy, _)) in history {
                if y == x || (y < x && changed.contains(y)) {
                    continue;
                }
                let (a, b) = if x < y { (x, y) } else { (y, x) };
                let c = contribution(&self.config, sx, sy, length, true);
                out.push((
                    Cooc::Pair {
                        community: community.to_string(),
                        a: a.clone(),
                        b: b.clone(),
                    },
                    sign * c,
                ));
            }
        }
    }
}
