//! Ranking metrics, as defined in `../shared/data/README.md` ("Protocols to report") so figures
//! compare with published ones. Relevance is binary: an item is relevant when it is held out for the
//! user.

use std::collections::HashSet;

use super::Scores;

/// Recall is measured on the top 20.
pub const RECALL_AT: usize = 20;
/// NDCG is measured on the top 10.
pub const NDCG_AT: usize = 10;
/// Hit rate is measured on the top 10.
pub const HR_AT: usize = 10;
/// Catalogue coverage counts the items of the top-20 lists.
pub const COVERAGE_AT: usize = 20;

/// Held-out items among the first `k` of `list`.
fn hits(list: &[String], held_out: &HashSet<String>, k: usize) -> usize {
    list.iter()
        .take(k)
        .filter(|i| held_out.contains(*i))
        .count()
}

/// Hits in the top `k` / min(k, |held out|): 1 when the list is as good as a list of `k` can be.
pub fn recall(list: &[String], held_out: &HashSet<String>, k: usize) -> f64 {
    let best = k.min(held_out.len());
    if best == 0 {
        return 0.0;
    }
    hits(list, held_out, k) as f64 / best as f64
}

/// DCG of the top `k` (gain 1 / log2(rank + 1) per held-out item) over the DCG of a list that puts
/// min(k, |held out|) held-out items first.
pub fn ndcg(list: &[String], held_out: &HashSet<String>, k: usize) -> f64 {
    let gain = |rank: usize| 1.0 / ((rank + 1) as f64).log2();
    let dcg: f64 = (1..)
        .zip(list.iter().take(k))
        .filter(|(_, item)| held_out.contains(*item))
        .map(|(rank, _)| gain(rank))
        .sum();
    let ideal: f64 = (1..=k.min(held_out.len())).map(gain).sum();
    if ideal == 0.0 { 0.0 } else { dcg / ideal }
}

/// Whether any held-out item is in the top `k`.
pub fn hit(list: &[String], held_out: &HashSet<String>, k: usize) -> bool {
    hits(list, held_out, k) > 0
}

/// Distinct items in the top `k` of all `lists`, over the `catalogue` size.
pub fn coverage<'a>(
    lists: impl IntoIterator<Item = &'a [String]>,
    k: usize,
    catalogue: usize,
) -> f64 {
    let distinct: HashSet<&String> = lists.into_iter().flat_map(|l| l.iter().take(k)).collect();
    if catalogue == 0 {
        return 0.0;
    }
    distinct.len() as f64 / catalogue as f64
}

/// Per-user metrics summed over users, for their means.
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    recall: f64,
    ndcg: f64,
    hits: f64,
    users: usize,
}

impl Totals {
    /// Adds one user's list against their held-out items.
    pub fn add(&mut self, list: &[String], held_out: &HashSet<String>) {
        self.recall += recall(list, held_out, RECALL_AT);
        self.ndcg += ndcg(list, held_out, NDCG_AT);
        self.hits += f64::from(u8::from(hit(list, held_out, HR_AT)));
        self.users += 1;
    }

    /// The means over the users added, with the lists' catalogue `coverage`.
    pub fn scores(&self, coverage: f64) -> Scores {
        let users = self.users.max(1) as f64;
        Scores {
            recall_at_20: Some(self.recall / users),
            ndcg_at_10: Some(self.ndcg / users),
            hr_at_10: self.hits / users,
            coverage: Some(coverage),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn set(items: &[&str]) -> HashSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn recall_divides_by_the_smaller_of_k_and_held_out() {
        let l = list(&["a", "b", "c", "d"]);
        // 2 hits in the top 3 of 4 held out: 2 / min(3, 4).
        assert!(close(recall(&l, &set(&["b", "c", "x", "y"]), 3), 2.0 / 3.0));
        // 1 hit of 2 held out, k = 20: 1 / 2.
        assert!(close(recall(&l, &set(&["d", "z"]), 20), 0.5));
        assert!(close(recall(&l, &set(&[]), 20), 0.0));
    }

    #[test]
    fn ndcg_by_hand() {
        let l = list(&["a", "b", "c"]);
        // Hits at ranks 2 and 3: (1/log2 3 + 1/log2 4) / (1 + 1/log2 3).
        let want = (1.0 / 3f64.log2() + 0.5) / (1.0 + 1.0 / 3f64.log2());
        assert!(close(ndcg(&l, &set(&["b", "c"]), 10), want));
        // One held-out item at rank 1 is perfect.
        assert!(close(ndcg(&l, &set(&["a"]), 10), 1.0));
        // A hit below the cut-off does not count.
        assert!(close(ndcg(&l, &set(&["c"]), 2), 0.0));
    }

    #[test]
    fn hit_rate_and_coverage() {
        let a = list(&["a", "b"]);
        let b = list(&["b", "c", "d"]);
        assert!(hit(&a, &set(&["b"]), 10));
        assert!(!hit(&b, &set(&["d"]), 2));
        // Top 2 of both lists: a, b, c of a catalogue of 6.
        assert!(close(coverage([&a[..], &b[..]], 2, 6), 0.5));
    }

    #[test]
    fn totals_are_means_over_users() {
        let mut t = Totals::default();
        t.add(&list(&["a"]), &set(&["a"]));
        t.add(&list(&["b"]), &set(&["a"]));
        let s = t.scores(0.25);
        assert!(close(s.hr_at_10, 0.5));
        assert_eq!(s.recall_at_20, Some(0.5));
        assert_eq!(s.ndcg_at_10, Some(0.5));
        assert_eq!(s.coverage, Some(0.25));
    }
}
