//! The offline protocol: hide a random 20% of each user's items, train on the rest, and see how many
//! hidden items come back in the user's list.
//!
//! Each user's distinct items are shuffled with a ChaCha8 stream seeded by the seed (users taken in
//! id order, so a seed always gives the same split); the first 20% (rounded, at least one) are held
//! out, with every rating of those items. Users with fewer than [`MIN_ITEMS`] items keep everything
//! in train: a held-out set of zero or one item from a tiny history measures noise, and published
//! figures on these data sets make the same choice. They still shape the model; they are not scored.
//!
//! cohort trains in batch ([`final_rows`], the same dataflow as the incremental job: its results
//! equal the incremental ones by construction) and ranks every item for every user, excluding what
//! the user saw in train. Popularity ranks the most interacted train items the user has not seen.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use cohort_schemas::serving::ServingRow;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::Outcome;
use super::interactions::{COMMUNITY, facts_of_rating};
use super::metrics::{COVERAGE_AT, Totals, coverage};
use super::popularity::Popularity;
use super::ratings::Rating;
use crate::recs::RecsConfig;
use crate::recs::session::final_rows;

/// Users with fewer distinct items than this are not split (all their items train).
pub const MIN_ITEMS: usize = 5;

/// Share of a user's items held out.
const HELD_OUT: f64 = 0.2;

/// Timely workers of the batch training run.
const WORKERS: usize = 2;

/// The ratings split for one seed.
#[derive(Debug)]
pub struct Split {
    /// Ratings to train on.
    pub train: Vec<Rating>,
    /// Per user, the items held out (only users that were split).
    pub held_out: BTreeMap<String, HashSet<String>>,
}

/// Splits `ratings` per user, 80/20, under `seed`.
pub fn split(ratings: &[Rating], seed: u64) -> Split {
    let mut items_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in ratings {
        items_of.entry(&r.user).or_default().insert(&r.item);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut held_out = BTreeMap::new();
    for (user, items) in items_of {
        if items.len() < MIN_ITEMS {
            continue;
        }
        let mut items: Vec<&str> = items.into_iter().collect();
        items.shuffle(&mut rng);
        let n = ((items.len() as f64 * HELD_OUT).round() as usize).max(1);
        let held: HashSet<String> = items[..n].iter().map(|i| i.to_string()).collect();
        held_out.insert(user.to_string(), held);
    }
    let train = ratings
        .iter()
        .filter(|r| !held_out.get(&r.user).is_some_and(|h| h.contains(&r.item)))
        .cloned()
        .collect();
    Split { train, held_out }
}

/// Trains both models on one seed's split and scores them on its held-out items.
pub fn evaluate_seed(ratings: &[Rating], config: &RecsConfig, seed: u64) -> Outcome {
    let Split { train, held_out } = split(ratings, seed);
    let mut seen: HashMap<&str, HashSet<String>> = HashMap::new();
    for r in &train {
        seen.entry(&r.user).or_default().insert(r.item.clone());
    }
    let catalogue = train.iter().map(|r| &r.item).collect::<HashSet<_>>().len();
    let facts = train.iter().flat_map(facts_of_rating).collect();
    let cohort = lists(final_rows(config, facts, WORKERS));
    let mut popular = Popularity::default();
    for item in seen.values().flatten() {
        popular.add(item);
    }
    let baseline: HashMap<&str, Vec<String>> = seen
        .iter()
        .map(|(user, items)| (*user, popular.top(items, COVERAGE_AT)))
        .collect();
    let (mut cohort_totals, mut baseline_totals) = (Totals::default(), Totals::default());
    for (user, held) in &held_out {
        let none = Vec::new();
        cohort_totals.add(cohort.get(user.as_str()).unwrap_or(&none), held);
        baseline_totals.add(baseline.get(user.as_str()).unwrap_or(&none), held);
    }
    let covered = |lists: Vec<&Vec<String>>| {
        coverage(lists.into_iter().map(Vec::as_slice), COVERAGE_AT, catalogue)
    };
    Outcome {
        cohort: cohort_totals.scores(covered(cohort.values().collect())),
        popularity: baseline_totals.scores(covered(baseline.values().collect())),
        evaluated: held_out.len(),
    }
}

/// Each user's recommended items in rank order, from the rows of the evaluation community.
fn lists(rows: Vec<ServingRow>) -> HashMap<String, Vec<String>> {
    let mut ranked: HashMap<String, Vec<(u32, String)>> = HashMap::new();
    for row in rows {
        if let ServingRow::Recommendation {
            community_id,
            user_id,
            rank,
            item_id,
            ..
        } = row
            && community_id == COMMUNITY
        {
            ranked.entry(user_id).or_default().push((rank, item_id));
        }
    }
    ranked
        .into_iter()
        .map(|(user, mut items)| {
            items.sort();
            (user, items.into_iter().map(|(_, item)| item).collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratings(items_per_user: &[usize]) -> Vec<Rating> {
        let mut out = Vec::new();
        for (u, &n) in items_per_user.iter().enumerate() {
            for i in 0..n {
                out.push(Rating {
                    user: format!("u{u}"),
                    item: format!("i{i}"),
                    rating: Some(4.0),
                    ts_ms: i as i64,
                });
            }
        }
        out
    }

    #[test]
    fn holds_out_a_fifth_of_users_with_enough_items() {
        let all = ratings(&[10, 4, 5]);
        let s = split(&all, 7);
        assert_eq!(s.held_out.len(), 2, "u1 has too few items to split");
        assert_eq!(s.held_out["u0"].len(), 2);
        assert_eq!(s.held_out["u2"].len(), 1);
        assert_eq!(s.train.len(), all.len() - 3);
        for r in &s.train {
            assert!(!s.held_out.get(&r.user).is_some_and(|h| h.contains(&r.item)));
        }
    }

    #[test]
    fn a_seed_always_gives_the_same_split() {
        let all = ratings(&[30, 30]);
        assert_eq!(split(&all, 1).held_out, split(&all, 1).held_out);
        assert_ne!(split(&all, 1).held_out, split(&all, 2).held_out);
    }
}
