//! Counting hashed n-gram buckets without sorting them.
//!
//! Scoring one message needs each distinct bucket's count, not the buckets in order: a sort of the
//! ~470 buckets of a typical message was a third of the classifier's time. An open-addressing table
//! that is cleared by visiting only the slots it filled counts them in one pass, as they are hashed.

/// Reusable counting table: empty between messages, grown to the largest message seen.
#[derive(Debug, Default)]
pub struct BucketCounter {
    /// `(bucket, count)`; a count of 0 marks a free slot.
    slots: Vec<(u32, u32)>,
    /// Slots filled by the current message, in first-seen order.
    filled: Vec<u32>,
}

impl BucketCounter {
    /// Counts one occurrence of `bucket`. Buckets are counted as they are hashed, so that no
    /// vector of them is written and read back. Inlined: it runs once per n-gram.
    #[inline]
    pub fn add(&mut self, bucket: u32) {
        // at most half full: short probe sequences
        if (self.filled.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let i = self.probe(bucket);
        let slot = &mut self.slots[i];
        if slot.1 == 0 {
            *slot = (bucket, 1);
            self.filled.push(i as u32);
        } else {
            slot.1 += 1;
        }
    }

    /// The slot holding `bucket`, or the free slot where it goes.
    #[inline]
    fn probe(&self, bucket: u32) -> usize {
        let mask = self.slots.len() - 1;
        // buckets are already well-mixed hash values: their low bits index the table
        let mut i = (bucket as usize) & mask;
        while self.slots[i].1 != 0 && self.slots[i].0 != bucket {
            i = (i + 1) & mask;
        }
        i
    }

    /// Each distinct bucket counted since the last drain, with its count, in first-seen order;
    /// the table is empty again once the iterator is dropped, used up or not.
    pub fn drain(&mut self) -> Drain<'_> {
        Drain {
            slots: &mut self.slots,
            filled: self.filled.drain(..),
        }
    }

    /// Doubles the table (at least 64 slots), moving what the current message counted so far.
    fn grow(&mut self) {
        let wanted = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![(0, 0); wanted]);
        for k in 0..self.filled.len() {
            let entry = old[self.filled[k] as usize];
            // the buckets are distinct, so each probe ends at a free slot
            let j = self.probe(entry.0);
            self.slots[j] = entry;
            self.filled[k] = j as u32;
        }
    }
}

/// The counts of one message, taken out of a [`BucketCounter`] (see [`BucketCounter::drain`]).
pub struct Drain<'a> {
    slots: &'a mut [(u32, u32)],
    filled: std::vec::Drain<'a, u32>,
}

impl Iterator for Drain<'_> {
    type Item = (u32, u32);

    fn next(&mut self) -> Option<(u32, u32)> {
        let i = self.filled.next()?;
        Some(std::mem::take(&mut self.slots[i as usize]))
    }
}

impl Drop for Drain<'_> {
    fn drop(&mut self) {
        for i in self.filled.by_ref() {
            self.slots[i as usize] = (0, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

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
                counter.add(b);
            }
            let mut got = BTreeMap::new();
            for (b, n) in counter.drain() {
                assert!(got.insert(b, n).is_none(), "bucket {b} reported twice");
            }
            assert_eq!(got, expected);
            assert!(counter.slots.iter().all(|s| *s == (0, 0)));
        }
    }

    #[test]
    fn a_drain_dropped_early_still_empties_the_table() {
        let mut counter = BucketCounter::default();
        for b in [3, 9, 3, 12] {
            counter.add(b);
        }
        assert_eq!(counter.drain().next(), Some((3, 2)));
        assert!(counter.slots.iter().all(|s| *s == (0, 0)));
        assert!(counter.filled.is_empty());
        counter.add(9);
        assert_eq!(counter.drain().collect::<Vec<_>>(), vec![(9, 1)]);
    }
}
