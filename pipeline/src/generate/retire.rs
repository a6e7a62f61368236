//! The order in which members leave and items are deleted, as an invertible permutation.
//!
//! Only the less popular half of a community's initial members (items) can go, in the order of a fixed
//! stride permutation; its inverse answers "which leave (deletion) removes this one?", which together
//! with the schedule tells whether a member (item) is gone at event `i` without any shared state.

/// A permutation of the less popular half of a community's initial members or items, giving the order
/// in which they leave or are deleted.
#[derive(Debug, Clone)]
pub(crate) struct Retire {
    lo: u64,
    span: u64,
    stride: u64,
    inverse: u64,
}

impl Retire {
    /// The retirement order of `initial` entities.
    pub(crate) fn new(initial: u64) -> Self {
        let span = initial / 2;
        let lo = initial - span;
        let (stride, inverse) = [7919u64, 7907, 6007, 4001, 1009, 101, 1]
            .iter()
            .find_map(|&p| mod_inverse(p % span.max(1), span).map(|inv| (p % span.max(1), inv)))
            .unwrap_or((0, 0));
        Self {
            lo,
            span,
            stride,
            inverse,
        }
    }

    /// The entity retired `k`-th, if there are that many candidates.
    pub(crate) fn entity(&self, k: u64) -> Option<u64> {
        (k < self.span).then(|| self.lo + mul_mod(k, self.stride, self.span))
    }

    /// The retirement ordinal of entity `e`, if it is a candidate.
    pub(crate) fn ordinal(&self, e: u64) -> Option<u64> {
        (e >= self.lo && e < self.lo + self.span)
            .then(|| mul_mod(e - self.lo, self.inverse, self.span))
    }
}

/// `a * b mod m` without overflow.
fn mul_mod(a: u64, b: u64, m: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) % u128::from(m.max(1))) as u64
}

/// The inverse of `a` modulo `m`, when they are coprime (extended Euclid).
fn mod_inverse(a: u64, m: u64) -> Option<u64> {
    if m <= 1 {
        return Some(0);
    }
    let (mut r0, mut r1, mut t0, mut t1) = (i128::from(m), i128::from(a), 0i128, 1i128);
    while r1 != 0 {
        let q = r0 / r1;
        (r0, r1) = (r1, r0 - q * r1);
        (t0, t1) = (t1, t0 - q * t1);
    }
    (r0 == 1).then(|| t0.rem_euclid(i128::from(m)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retire_is_a_permutation_of_the_upper_half() {
        for initial in [0u64, 1, 2, 3, 12, 7919 * 2, 1000] {
            let r = Retire::new(initial);
            let mut seen = std::collections::BTreeSet::new();
            for k in 0..initial {
                if let Some(e) = r.entity(k) {
                    assert!(e >= initial - initial / 2 && e < initial);
                    assert_eq!(r.ordinal(e), Some(k));
                    assert!(seen.insert(e));
                }
            }
            assert_eq!(seen.len() as u64, initial / 2);
        }
    }
}
