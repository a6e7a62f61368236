//! The popularity baseline: recommend the items most users interacted with, minus what the user has
//! already seen. Every published comparison reports it, and a model that does not beat it has learned
//! nothing about individual taste.

use std::collections::{HashMap, HashSet};

/// Interaction counts per item and the ranking they give.
#[derive(Debug, Default)]
pub struct Popularity {
    counts: HashMap<String, u64>,
    /// Items by count (most first), ties by the smaller id; stale while `dirty`.
    ranking: Vec<String>,
    dirty: bool,
}

impl Popularity {
    /// Counts one more user for `item` (call once per distinct user and item).
    pub fn add(&mut self, item: &str) {
        match self.counts.get_mut(item) {
            Some(n) => *n += 1,
            None => {
                self.counts.insert(item.to_string(), 1);
                self.ranking.push(item.to_string());
            }
        }
        self.dirty = true;
    }

    /// The `k` most popular items not in `seen`.
    ///
    /// The ranking is re-sorted lazily, only when counts changed since the last call; it is nearly
    /// sorted then, which the sort handles in about linear time.
    pub fn top(&mut self, seen: &HashSet<String>, k: usize) -> Vec<String> {
        if self.dirty {
            let counts = &self.counts;
            let count = |item: &String| counts.get(item).copied().unwrap_or(0);
            self.ranking
                .sort_by(|a, b| count(b).cmp(&count(a)).then_with(|| a.cmp(b)));
            self.dirty = false;
        }
        self.ranking
            .iter()
            .filter(|item| !seen.contains(*item))
            .take(k)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_counted_unseen_first_ties_by_id() {
        let mut p = Popularity::default();
        for item in ["b", "a", "c", "c", "b", "c"] {
            p.add(item);
        }
        let seen: HashSet<String> = HashSet::new();
        assert_eq!(p.top(&seen, 2), ["c", "b"]);
        let seen: HashSet<String> = ["c".to_string()].into();
        assert_eq!(p.top(&seen, 5), ["b", "a"]);
        p.add("a");
        p.add("a");
        assert_eq!(p.top(&seen, 1), ["a"]);
    }
}
