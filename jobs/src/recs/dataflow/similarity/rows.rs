//! Each item's row of co-occurrence and its top-M neighbours, recomputed when the row's counts, its
//! own mass or the mass of an item in it changes.
//!
//! A worker holds the rows it owns (by item) and every item's mass of their communities (a row's
//! similarities divide by the masses of the items in it).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::super::Scoped;
use super::super::topk::top_k;
use super::similarity;
use crate::recs::config::RecsConfig;

/// What the row step receives; it travels with its change (in `COOC_SCALE` units) as the diff.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) enum RowInput {
    /// Co-occurrence of `row` with `other` (each pair reaches both of its rows).
    Count {
        community: String,
        row: String,
        other: String,
    },
    /// An item's mass: every worker gets it.
    Mass { community: String, item: String },
}

/// One community's rows on this worker.
#[derive(Default)]
struct Community {
    /// Row → other item → co-occurrence.
    counts: HashMap<String, HashMap<String, isize>>,
    /// Every item's mass.
    masses: HashMap<String, isize>,
    /// Item → the rows on this worker that hold it: whose similarities its mass divides.
    containing: HashMap<String, HashSet<String>>,
    /// Row → its neighbours as last emitted: (rank, item, similarity in millionths).
    emitted: HashMap<String, Vec<(u32, String, i64)>>,
}

/// One worker's rows.
pub(super) struct Rows {
    config: RecsConfig,
    communities: HashMap<String, Community>,
}

/// A row's neighbour changes: ((community, item), (rank, neighbour, similarity)).
pub(super) type NeighbourChange = ((Scoped, (u32, String, i64)), isize);

impl Rows {
    /// No rows yet.
    pub(super) fn new(config: RecsConfig) -> Self {
        Rows {
            config,
            communities: HashMap::new(),
        }
    }

    /// Applies one time's changes and returns the neighbour changes of every row they moved.
    pub(super) fn apply(&mut self, mut updates: Vec<(RowInput, isize)>) -> Vec<NeighbourChange> {
        differential_dataflow::consolidation::consolidate(&mut updates);
        let mut touched: HashMap<String, HashSet<String>> = HashMap::new();
        for (update, diff) in updates {
            match update {
                RowInput::Count {
                    community,
                    row,
                    other,
                } => {
                    let c = self.communities.entry(community.clone()).or_default();
                    c.add_count(&row, &other, diff);
                    touched.entry(community).or_default().insert(row);
                }
                RowInput::Mass { community, item } => {
                    let c = self.communities.entry(community.clone()).or_default();
                    add(&mut c.masses, &item, diff);
                    let rows = touched.entry(community).or_default();
                    if let Some(holders) = c.containing.get(&item) {
                        rows.extend(holders.iter().cloned());
                    }
                    rows.insert(item);
                }
            }
        }
        let mut out = Vec::new();
        for (name, rows) in touched {
            let Some(c) = self.communities.get_mut(&name) else {
                continue;
            };
            for row in rows {
                c.relist(&self.config, &name, row, &mut out);
            }
            if c.counts.is_empty() && c.masses.is_empty() && c.emitted.is_empty() {
                self.communities.remove(&name);
            }
        }
        out
    }
}

impl Community {
    fn add_count(&mut self, row: &str, other: &str, diff: isize) {
        if !self.counts.contains_key(row) {
            self.counts.insert(row.to_string(), HashMap::new());
        }
        let Some(counts) = self.counts.get_mut(row) else {
            return;
        };
        let before = counts.contains_key(other);
        add(counts, other, diff);
        let after = counts.contains_key(other);
        if counts.is_empty() {
            self.counts.remove(row);
        }
        match (before, after) {
            (false, true) => {
                self.containing
                    .entry(other.to_string())
                    .or_default()
                    .insert(row.to_string());
            }
            (true, false) => {
                if let Some(rows) = self.containing.get_mut(other) {
                    rows.remove(row);
                    if rows.is_empty() {
                        self.containing.remove(other);
                    }
                }
            }
            _ => {}
        }
    }

    /// Recomputes `row`'s neighbours (when this worker owns it) and appends their changes.
    fn relist(
        &mut self,
        config: &RecsConfig,
        community: &str,
        row: String,
        out: &mut Vec<NeighbourChange>,
    ) {
        let mass_row = self.masses.get(&row).copied();
        let scored: Vec<(i64, &String)> = match (self.counts.get(&row), mass_row) {
            (Some(counts), Some(mass_row)) => counts
                .iter()
                .filter_map(|(other, co)| {
                    let mass_other = *self.masses.get(other)?;
                    let s = similarity(config, *co, mass_row, mass_other);
                    (s > 0).then_some((s, other))
                })
                .collect(),
            _ => Vec::new(),
        };
        let list: Vec<(u32, String, i64)> = top_k(scored, config.neighbours)
            .into_iter()
            .map(|(rank, item, s)| (rank, item.clone(), s))
            .collect();
        let old = self.emitted.remove(&row).unwrap_or_default();
        let key = (community.to_string(), row);
        out.extend(
            old.iter()
                .filter(|n| !list.contains(n))
                .map(|n| ((key.clone(), n.clone()), -1)),
        );
        out.extend(
            list.iter()
                .filter(|n| !old.contains(n))
                .map(|n| ((key.clone(), n.clone()), 1)),
        );
        if !list.is_empty() {
            self.emitted.insert(key.1, list);
        }
    }
}

/// Adds `diff` to `key`'s value, dropping it when it reaches zero (the key is copied only when it
/// is new: this runs for every pair change).
fn add(map: &mut HashMap<String, isize>, key: &str, diff: isize) {
    match map.get_mut(key) {
        Some(value) => {
            *value += diff;
            if *value == 0 {
                map.remove(key);
            }
        }
        None if diff != 0 => {
            map.insert(key.to_string(), diff);
        }
        None => {}
    }
}
