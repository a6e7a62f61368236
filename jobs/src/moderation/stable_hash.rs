//! One stable 64-bit hash for the moderation code (classifier feature buckets, SimHash
//! fingerprints): FNV-1a steps, then murmur3's finaliser. It is our own, not `std`'s, so a model
//! file scores and a fingerprint compares the same on every platform and Rust version.

/// FNV-1a's offset basis.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// One FNV-1a step: `v` is a byte, a character or a marker outside the byte range.
pub fn step(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(FNV_PRIME)
}

/// murmur3's finaliser: spreads FNV's weak low bits over the whole word.
pub fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}
