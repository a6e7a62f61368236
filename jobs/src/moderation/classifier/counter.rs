//! Counting hashed n-gram buckets without sorting them.
//!
//! Scoring one message needs each distinct bucket's count, not the buckets in order: a sort of the
//! ~470 buckets of a typical message was a third of the classifier's time. An open-addressing table
//! that is cleared by visiting only the slots it filled counts them in one pass.

/// Reusable counting table: empty between messages, grown to the largest message seen.
#[derive(Debug, Default)]
pub struct BucketCounter {
    /// `(bucket, count)`; a count of 0 marks a free slot.
    slots: Vec<(u32, u32)>,
    /// Slots filled by the current message, in first-seen order.
    filled: Vec<u32>,
}

impl BucketCounter {
    /// Counts `buckets` and calls `f(bucket, count)` once per distinct bucket, in first-seen order;
    /// leaves the table empty for the next message.
    pub fn for_each_count(&mut self, buckets: &[u32], mut f: impl FnMut(u32, u32)) {
        // at most half full: short probe sequences
        let wanted = (buckets.len() * 2).next_power_of_two().max(64);
        if self.slots.len() < wanted {
            self.slots = vec![(0, 0); wanted];
        }
        let mask = self.slots.len() - 1;
        for &bucket in buckets {
            // buckets are already well-mixed hash values: their low bits index the table
            let mut i = (bucket as usize) & mask;
            loop {
                let slot = &mut self.slots[i];
                if slot.1 == 0 {
                    *slot = (bucket, 1);
                    self.filled.push(i as u32);
                    break;
                }
                if slot.0 == bucket {
                    slot.1 += 1;
                    break;
                }
                i = (i + 1) & mask;
            }
        }
        for &i in &self.filled {
            let slot = &mut self.slots[i as usize];
            f(slot.0, slot.1);
            *slot = (0, 0);
        }
        self.filled.clear();
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
            let mut got = BTreeMap::new();
            counter.for_each_count(buckets, |b, n| {
                assert!(got.insert(b, n).is_none(), "bucket {b} reported twice");
            });
            assert_eq!(got, expected);
            assert!(counter.slots.iter().all(|s| *s == (0, 0)));
        }
    }
}
