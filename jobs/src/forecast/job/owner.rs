//! Which worker owns a series: the exchange that routes contributions and the restart that
//! rebuilds a worker's series must agree, across runs, so the hash is a fixed function (FNV-1a) of
//! the series' fields rather than the standard library's hasher.

use std::fmt::Write;

use crate::forecast::series::SeriesKey;

/// FNV-1a, fed through `fmt::Write` so the metric's name is hashed without allocating it.
struct Fnv(u64);

impl Fnv {
    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl Write for Fnv {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

/// The series' routing hash.
pub fn series_hash(key: &SeriesKey) -> u64 {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.bytes(key.community_id.as_bytes());
    h.bytes(&[0]);
    h.bytes(key.channel_id.as_bytes());
    h.bytes(&[0]);
    // Writing to Fnv never fails.
    let _ = write!(h, "{}", key.metric);
    h.0
}

/// The worker (of `peers`) that owns the series: where timely's exchange sends a hash.
pub fn owner_of(key: &SeriesKey, peers: usize) -> usize {
    (series_hash(key) % peers.max(1) as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::series::Metric;

    #[test]
    fn the_hash_is_fixed_and_separates_fields() {
        let a = SeriesKey::new("c", "x", Metric::Messages);
        let b = SeriesKey::new("cx", "", Metric::Messages);
        assert_ne!(series_hash(&a), series_hash(&b));
        // A fixed value (FNV-1a of "c\0x\0messages"): changing the function would move series
        // between workers on restart.
        assert_eq!(series_hash(&a), 5_327_193_733_834_024_394);
        assert!(owner_of(&a, 3) < 3);
    }
}
