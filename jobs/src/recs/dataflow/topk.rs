//! The one ordering every list of cohort uses: higher score first, then the smaller id, so ties never
//! depend on arrival order and the incremental list equals the batch one.

/// The `k` best of `scored` as (rank from 1, item, score).
pub(crate) fn top_k<T: Ord>(mut scored: Vec<(i64, T)>, k: usize) -> Vec<(u32, T, i64)> {
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
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
}
