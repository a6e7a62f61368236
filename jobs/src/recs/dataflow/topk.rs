//! The one ordering every list of cohort uses: higher score first, then the smaller id, so ties never
//! depend on arrival order and the incremental list equals the batch one.

/// The `k` best of `scored` as (rank from 1, item, score). Selects the `k` first (linear time),
/// then sorts only those: a popular item has thousands of candidates and keeps 50.
pub(crate) fn top_k<T: Ord>(mut scored: Vec<(i64, T)>, k: usize) -> Vec<(u32, T, i64)> {
    let order = |a: &(i64, T), b: &(i64, T)| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1));
    if k == 0 {
        return Vec::new();
    }
    if scored.len() > k {
        scored.select_nth_unstable_by(k - 1, order);
        scored.truncate(k);
    }
    scored.sort_by(order);
    scored
        .into_iter()
        .take(k)
        .zip(1u32..)
        .map(|((score, item), rank)| (rank, item, score))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_smaller_id() {
        let ranked = top_k(vec![(5, "b"), (7, "c"), (5, "a"), (1, "d")], 3);
        assert_eq!(ranked, vec![(1, "c", 7), (2, "a", 5), (3, "b", 5)]);
    }

    #[test]
    fn selecting_first_gives_the_full_sort_s_prefix() {
        let scored: Vec<(i64, u32)> = (0..500u32).map(|i| (i64::from(i * 7919 % 37), i)).collect();
        let mut sorted = scored.clone();
        sorted.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        for k in [0, 1, 2, 36, 37, 50, 499, 500, 600] {
            let want: Vec<(u32, u32, i64)> = sorted
                .iter()
                .take(k)
                .zip(1u32..)
                .map(|(&(s, i), rank)| (rank, i, s))
                .collect();
            assert_eq!(top_k(scored.clone(), k), want, "k {k}");
        }
    }
}
