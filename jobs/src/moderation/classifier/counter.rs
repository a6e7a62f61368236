//! Counting hashed n-gram buckets without sorting them.
//!
//! Scoring one message needs each distinct bucket's count, not the buckets in order: a sort of the
//! ~470 buckets of a typical message was a third of the classifier's time. An open-addressing table
//! that is cleared by visiting only the slots it filled counts them in one pass, as they are hashed.
//!
//! Each slot also holds the bucket's model weight, read when the bucket is first seen. The weights
//! (4 MiB at the default 2^20 buckets) do not fit in L2: read in the final sum, each was a cache
//! miss the sum waited for (a fifth of the classifier's time in `perf record`); read while the
//! message is still being hashed, the misses overlap with that work.

/// One counted bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counted {
    /// The bucket.
    pub bucket: u32,
    /// Its occurrences in the message; 0 marks a free slot.
    pub count: u32,
    /// Its weight, as the lookup passed to [`BucketCounter::add`] gave it.
    pub weight: f32,
}

/// Reusable counting table: empty between messages, grown to the largest message seen.
#[derive(Debug, Default)]
pub struct BucketCounter {
    slots: Vec<Counted>,
    /// Slots filled by the current message, in first-seen order.
    filled: Vec<u32>,
}

impl BucketCounter {
    /// Counts one occurrence of `bucket`, taking its weight from `weights` (0 outside it) the
    /// first time. Buckets are counted as they are hashed, so that no vector of them is written
    /// and read back. Inlined: it runs once per n-gram.
    #[inline(always)]
    pub fn add(&mut self, bucket: u32, weights: &[f32]) {
        // at most half full: short probe sequences
        if (self.filled.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let i = self.probe(bucket);
        let slot = &mut self.slots[i];
        if slot.count == 0 {
            *slot = Counted {
                bucket,
                count: 1,
                weight: weights.get(bucket as usize).copied().unwrap_or(0.0),
            };
            self.filled.push(i as u32);
        } else {
            slot.count += 1;
        }
    }

    /// The slot holding `bucket`, or the free slot where it goes.
    #[inline(always)]
    fn probe(&self, bucket: u32) -> usize {
        let mask = self.slots.len() - 1;
        // buckets are already well-mixed hash values: their low bits index the table
        let mut i = (bucket as usize) & mask;
        while self.slots[i].count != 0 && self.slots[i].bucket != bucket {
            i = (i + 1) & mask;
        }
        i
    }

    /// Each distinct bucket counted since the last drain, with its count and weight, in
    /// first-seen order; the table is empty again once the iterator is dropped, used up or not.
    pub fn drain(&mut self) -> Drain<'_> {
        Drain {
            slots: &mut self.slots,
            filled: self.filled.drain(..),
        }
    }

    /// Doubles the table (at least 64 slots), moving what the current message counted so far.
    /// Out of line and cold: it runs a few times per thread, not per message.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let wanted = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![Counted::default(); wanted]);
        for k in 0..self.filled.len() {
            let entry = old[self.filled[k] as usize];
            // the buckets are distinct, so each probe ends at a free slot
            let j = self.probe(entry.bucket);
            self.slots[j] = entry;
            self.filled[k] = j as u32;
        }
    }
}

/// The counts of one message, taken out of a [`BucketCounter`] (see [`BucketCounter::drain`]).
pub struct Drain<'a> {
    slots: &'a mut [Counted],
    filled: std::vec::Drain<'a, u32>,
}

impl Iterator for Drain<'_> {
    type Item = Counted;

    fn next(&mut self) -> Option<Counted> {
        let i = self.filled.next()?;
        Some(std::mem::take(&mut self.slots[i as usize]))
    }
}

impl Drop for Drain<'_> {
    fn drop(&mut self) {
        for i in self.filled.by_ref() {
            self.slots[i as usize] = Counted::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Weights for buckets below 100; larger buckets weigh 0.
    const WEIGHTS: [f32; 100] = {
        let mut w = [0.0; 100];
        let mut i = 0;
        while i < 100 {
            w[i] = i as f32 * 0.5 - 7.0;
            i += 1;
        }
        w
    };

    fn weight(bucket: u32) -> f32 {
        WEIGHTS.get(bucket as usize).copied().unwrap_or(0.0)
    }

    #[test]
    fn counts_equal_a_map_count_and_the_table_empties_between_messages() {
        let mut counter = BucketCounter::default();
        let messages: [Vec<u32>; 3] = [
            vec![5, 7, 5, 5, u32::MAX, 0, 7, 64 + 5, 128 + 5],
            (0..3000).map(|i| (i * 7919) % 1001).collect(),
            vec![],
        ];
        for buckets in &messages {
            let mut expected: BTreeMap<u32, u32> = BTreeMap::new();
            for &b in buckets {
                *expected.entry(b).or_default() += 1;
            }
            for &b in buckets {
                counter.add(b, &WEIGHTS);
            }
            let mut got = BTreeMap::new();
            for c in counter.drain() {
                assert_eq!(c.weight, weight(c.bucket), "bucket {}", c.bucket);
                assert!(
                    got.insert(c.bucket, c.count).is_none(),
                    "bucket {} reported twice",
                    c.bucket
                );
            }
            assert_eq!(got, expected);
            assert!(counter.slots.iter().all(|s| *s == Counted::default()));
        }
    }

    #[test]
    fn a_drain_dropped_early_still_empties_the_table() {
        let mut counter = BucketCounter::default();
        for b in [3, 9, 3, 12] {
            counter.add(b, &WEIGHTS);
        }
        let first = counter
            .drain()
            .next()
            .map(|c| (c.bucket, c.count, c.weight));
        assert_eq!(first, Some((3, 2, weight(3))));
        assert!(counter.slots.iter().all(|s| *s == Counted::default()));
        assert!(counter.filled.is_empty());
        counter.add(9, &WEIGHTS);
        let rest: Vec<_> = counter.drain().map(|c| (c.bucket, c.count)).collect();
        assert_eq!(rest, vec![(9, 1)]);
    }
}
