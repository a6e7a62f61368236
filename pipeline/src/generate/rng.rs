//! Random numbers for the generator: a ChaCha8 stream per block, plus a stateless hash for properties that
//! must be the same in every block (a member's taste, an item's kind).
//!
//! The helpers work on raw `u64` draws rather than `rand`'s distributions: they are a few instructions
//! each, which matters at a million events per second, and their output is pinned by this file alone.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The random source of one block: stream `block` of the seed, so any worker can regenerate any block.
pub(crate) struct Rand {
    rng: ChaCha8Rng,
}

impl Rand {
    /// The generator of block `block` under `seed`.
    pub(crate) fn for_block(seed: u64, block: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(block);
        Self { rng }
    }

    /// 64 uniform bits.
    #[inline]
    pub(crate) fn bits(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    pub(crate) fn unit(&mut self) -> f64 {
        unit_of(self.bits())
    }

    /// Uniform in `[0, n)`, or 0 when `n` is 0 (multiply-shift: the bias is far below 2^-32 for our sizes).
    #[inline]
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.bits()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    #[inline]
    pub(crate) fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }

    /// True with probability `p`.
    #[inline]
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One element of a non-empty slice, uniformly.
    #[inline]
    pub(crate) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    /// An index in `[0, n)` skewed towards 0 with density ~ x^(1/a - 1): a power law for `a > 1`, used for
    /// member activity (a few members do most of the talking).
    #[inline]
    pub(crate) fn skewed(&mut self, n: u64, a: f64) -> u64 {
        ((n as f64 * self.unit().powf(a)) as u64).min(n.saturating_sub(1))
    }

    /// A Zipf(`s`) rank in `[0, n)` (0 most popular), by inverting the continuous approximation of the CDF.
    #[inline]
    pub(crate) fn zipf(&mut self, n: u64, s: f64) -> u64 {
        if n <= 1 {
            return 0;
        }
        let e = 1.0 - s;
        let top = (n as f64 + 1.0).powf(e) - 1.0;
        let x = (1.0 + self.unit() * top).powf(1.0 / e);
        ((x as u64).saturating_sub(1)).min(n - 1)
    }

    /// A standard normal draw (Box-Muller, one of the pair).
    #[inline]
    pub(crate) fn gauss(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// An exponential draw with the given mean.
    #[inline]
    pub(crate) fn exp(&mut self, mean: f64) -> f64 {
        -(1.0 - self.unit()).ln() * mean
    }
}

/// Maps 64 bits to `[0, 1)` using the top 53.
#[inline]
pub(crate) fn unit_of(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The SplitMix64 finaliser: a cheap, well-mixed hash of one word.
#[inline]
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A hash of three words, for stateless per-entity properties (`hash3(seed, community, member)`).
#[inline]
pub(crate) fn hash3(a: u64, b: u64, c: u64) -> u64 {
    mix(mix(mix(a) ^ b) ^ c.rotate_left(17))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_block_same_draws_and_streams_differ() {
        let (mut a, mut b, mut c) = (
            Rand::for_block(7, 3),
            Rand::for_block(7, 3),
            Rand::for_block(7, 4),
        );
        let xa: Vec<u64> = (0..8).map(|_| a.bits()).collect();
        let xb: Vec<u64> = (0..8).map(|_| b.bits()).collect();
        let xc: Vec<u64> = (0..8).map(|_| c.bits()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }

    #[test]
    fn zipf_is_in_range_and_head_heavy() {
        let mut r = Rand::for_block(1, 0);
        let mut head = 0;
        for _ in 0..10_000 {
            let k = r.zipf(1000, 1.1);
            assert!(k < 1000);
            if k < 10 {
                head += 1;
            }
        }
        assert!(head > 3000, "top 10 of 1000 got {head} of 10000");
        assert_eq!(r.zipf(1, 1.1), 0);
        assert_eq!(r.skewed(0, 2.0), 0);
    }
}
