//! Stratified k-fold assignment: every fold gets the same share of positives as the whole set, so
//! a rare class (747 spam in 5,574 SMS) is present in every test fold and in every training set.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// The fold (0..k) of each example, given each example's label: positives and negatives are each
/// shuffled with a ChaCha8 stream seeded by `seed`, then dealt round-robin (negatives continuing where positives stopped). `k` of 0 is taken as 1.
pub fn stratified(labels: &[bool], k: usize, seed: u64) -> Vec<usize> {
    let k = k.max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fold = vec![0; labels.len()];
    // one deal across both classes, so the fold sizes differ by one at most
    let mut dealt = 0;
    for class in [true, false] {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        members.shuffle(&mut rng);
        for i in members {
            fold[i] = dealt % k;
            dealt += 1;
        }
    }
    fold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_balanced_and_seeded() {
        let labels: Vec<bool> = (0..103).map(|i| i % 10 == 0).collect();
        let folds = stratified(&labels, 5, 1);
        for f in 0..5 {
            let members: Vec<usize> = (0..labels.len()).filter(|&i| folds[i] == f).collect();
            let positives = members.iter().filter(|&&i| labels[i]).count();
            assert!((20..=21).contains(&members.len()), "{}", members.len());
            assert!((2..=3).contains(&positives), "{positives}");
        }
        assert_eq!(folds, stratified(&labels, 5, 1));
        assert_ne!(folds, stratified(&labels, 5, 2));
    }
}
