//! Turning a message into a sparse feature vector: hashed character n-grams and word n-grams of the
//! normalised text, log-count weighted and scaled to unit length.
//!
//! Character n-grams (1 to 3 by default) carry Chinese (no word boundaries: unigrams to trigrams of
//! ideographs are the words) and survive misspellings; word n-grams carry English phrases ("free entry", "call now").
//! Hashing into `2^bits` buckets keeps the model a fixed size with no vocabulary to ship; the hash
//! is our own (FNV-1a, then multiply-shift into the buckets), so a model file scores the same on every platform and Rust
//! version.

use serde::{Deserialize, Serialize};

use super::counter::BucketCounter;
use crate::moderation::normalize::{chars::is_spaced_word_char, normalize};
use crate::moderation::stable_hash::{FNV_OFFSET, step};

/// One feature: bucket index and weight.
pub type Feature = (u32, f32);

/// How messages become vectors. Stored in the model file: a model is only valid with the settings it
/// was trained with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// log2 of the number of hash buckets.
    pub bits: u8,
    /// Shortest and longest character n-gram (over the normalised text, spaces included).
    pub char_ngrams: (u8, u8),
    /// Shortest and longest word n-gram (0, 0: none). Words are runs of letters and digits outside
    /// Han ideographs.
    pub word_ngrams: (u8, u8),
    /// Count weighting: `1 + ln(count)` when true, the raw count when false.
    pub sublinear_tf: bool,
}

/// 2^18 buckets and character 1–3-grams since 2026-12-07 (were 2^20 and 1–4): the same quality
/// (SMS F1 0.9661 against 0.9662, COLD accuracy 0.906 against 0.902), a quarter fewer n-grams per
/// message and weights (1 MiB) that stay in L2 cache, which took the moderation path from about
/// 107,000 to about 127,000 messages/s (medians; benches/RESULTS.md).
impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            bits: 18,
            char_ngrams: (1, 3),
            word_ngrams: (1, 2),
            sublinear_tf: true,
        }
    }
}

/// Reusable buffers of [`FeatureConfig::features_into`]: one per thread that scores messages.
#[derive(Debug, Default)]
pub struct Scratch {
    chars: Vec<char>,
    words: Vec<(u32, u32)>,
    buckets: Vec<u32>,
    features: Vec<Feature>,
    counter: BucketCounter,
}

impl Scratch {
    /// The vector of the last message passed to [`FeatureConfig::features_into`].
    pub fn features(&self) -> &[Feature] {
        &self.features
    }
}

/// Seeds that keep character n-grams, word n-grams and number shapes in separate hash spaces.
const CHAR_SEED: u64 = 0x9e37_79b9_7f4a_7c15;
const WORD_SEED: u64 = 0xc2b2_ae3d_27d4_eb4f;
const SHAPE_SEED: u64 = 0x1656_67b1_9e37_79f9;
/// The odd multiplier of [`FeatureConfig::bucket`] (the one of Evensen's "moremur" mixer).
const BUCKET_MULTIPLIER: u64 = 0xd6e8_feb8_6659_fd93;

/// `1 + ln(n)`, the sublinear weight of a count.
fn sublinear(n: u32) -> f32 {
    1.0 + (n as f32).ln()
}

/// [`sublinear`] of the counts most buckets have, computed once: `ln` took about 6% of the
/// classifier's time (`perf record` of `cohort-benches moderation`). The same function fills it, so weights are bit for bit those of the formula.
static SUBLINEAR: std::sync::LazyLock<[f32; 64]> =
    std::sync::LazyLock::new(|| std::array::from_fn(|n| sublinear(n as u32)));

impl FeatureConfig {
    /// Number of hash buckets.
    pub fn dimension(&self) -> usize {
        1usize << self.bits
    }

    /// Whether the settings can work (bits in 8..=28, n-gram ranges ordered, character n-grams
    /// present); the message says what is wrong.
    pub fn invalid(&self) -> Option<String> {
        let (cl, ch) = self.char_ngrams;
        let (wl, wh) = self.word_ngrams;
        if !(8..=28).contains(&self.bits) {
            return Some(format!("bits must be in 8..=28, not {}", self.bits));
        }
        if cl == 0 || cl > ch || ch > 8 {
            return Some(format!(
                "character n-grams {cl}..={ch} must satisfy 1 <= lo <= hi <= 8"
            ));
        }
        if wl > wh || wh > 4 || (wl == 0 && wh != 0) {
            return Some(format!(
                "word n-grams {wl}..={wh} must be 0..=0 or 1 <= lo <= hi <= 4"
            ));
        }
        None
    }

    /// The unit-length feature vector of `text`, sorted by bucket.
    pub fn vectorize(&self, text: &str) -> Vec<Feature> {
        self.vectorize_normalized(normalize(text).text())
    }

    /// The unit-length feature vector of text that is already normalised (the moderation path
    /// normalises each message once and shares the result between PII detection and scoring).
    pub fn vectorize_normalized(&self, norm: &str) -> Vec<Feature> {
        let mut scratch = Scratch::default();
        self.features_into(norm, &mut scratch);
        scratch.features
    }

    /// Fills `scratch.features` with the unit-length vector of normalised `norm`, reusing the
    /// scratch buffers: no allocation per message once they have grown.
    pub fn features_into(&self, norm: &str, scratch: &mut Scratch) {
        scratch.buckets.clear();
        scratch.features.clear();
        if norm.is_empty() {
            return;
        }
        let buckets = &mut scratch.buckets;
        self.buckets(norm, &mut scratch.chars, &mut scratch.words, |b| {
            buckets.push(b)
        });
        self.weigh(&mut scratch.buckets, &mut scratch.features);
    }

    /// `(Σ weights[b]·tf(b), Σ tf(b)²)` over the distinct buckets `b` of normalised `norm`: the
    /// numerator of the margin and the squared length of the unnormalised vector. This is what
    /// scoring needs, computed without building (and sorting) the vector that
    /// [`FeatureConfig::features_into`] returns.
    pub fn weighted_sum(&self, norm: &str, scratch: &mut Scratch, weights: &[f32]) -> (f32, f32) {
        if norm.is_empty() {
            return (0.0, 0.0);
        }
        let counter = &mut scratch.counter;
        self.buckets(norm, &mut scratch.chars, &mut scratch.words, |b| {
            counter.add(b, weights)
        });
        let (mut dot, mut squares) = (0.0f32, 0.0f32);
        for counted in counter.drain() {
            let tf = self.term_weight(counted.count);
            dot += counted.weight * tf;
            squares += tf * tf;
        }
        (dot, squares)
    }

    /// A bucket's weight from its count: `1 + ln(count)` when sublinear, else the count.
    fn term_weight(&self, count: u32) -> f32 {
        match (self.sublinear_tf, count) {
            (_, 1) => 1.0,
            (true, n) => SUBLINEAR
                .get(n as usize)
                .copied()
                .unwrap_or_else(|| sublinear(n)),
            (false, n) => n as f32,
        }
    }

    /// Multiply-shift: the top `bits` bits of `h` times an odd constant. FNV's last step is a
    /// multiplication, so every input bit reaches `h`'s high bits, and one more multiplication
    /// spreads them over the bits kept. This replaced murmur's finaliser and a mask (model format
    /// 1): one multiplication per n-gram instead of two and three shifts, on ~470 n-grams a message.
    #[inline(always)]
    fn bucket(&self, h: u64) -> u32 {
        (h.wrapping_mul(BUCKET_MULTIPLIER) >> (64 - u32::from(self.bits))) as u32
    }

    /// Calls `emit` with the bucket of every n-gram of `text`: characters first, then words.
    fn buckets(
        &self,
        text: &str,
        chars: &mut Vec<char>,
        words: &mut Vec<(u32, u32)>,
        mut emit: impl FnMut(u32),
    ) {
        self.char_buckets(text, chars, &mut emit);
        self.word_buckets(text, words, &mut emit);
    }

    fn char_buckets(&self, text: &str, chars: &mut Vec<char>, emit: &mut impl FnMut(u32)) {
        chars.clear();
        chars.push(' ');
        chars.extend(text.chars());
        chars.push(' ');
        let (lo, hi) = (
            usize::from(self.char_ngrams.0),
            usize::from(self.char_ngrams.1),
        );
        for start in 0..chars.len() {
            let mut h = FNV_OFFSET ^ CHAR_SEED;
            for (n, &c) in chars[start..].iter().take(hi).enumerate() {
                h = step(h, u64::from(c));
                let len = n + 1;
                // a lone space (the padding included) says nothing
                if len >= lo && !(len == 1 && c == ' ') {
                    emit(self.bucket(h));
                }
            }
        }
    }

    fn word_buckets(&self, text: &str, words: &mut Vec<(u32, u32)>, emit: &mut impl FnMut(u32)) {
        let (lo, hi) = (
            usize::from(self.word_ngrams.0),
            usize::from(self.word_ngrams.1),
        );
        if hi == 0 {
            return;
        }
        // words as byte ranges, so the buffer outlives the text
        words.clear();
        let mut start = None;
        for (i, c) in text.char_indices() {
            match (is_spaced_word_char(c), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    words.push((s as u32, i as u32));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            words.push((s as u32, text.len() as u32));
        }
        let word = |&(a, b): &(u32, u32)| &text.as_bytes()[a as usize..b as usize];
        for (i, w) in words.iter().map(word).enumerate() {
            if w.iter().all(|b| b.is_ascii_digit()) {
                // the shape of a number (phone numbers, short codes, prices) generalises better
                // than the number itself
                let h = step(FNV_OFFSET ^ SHAPE_SEED, w.len().min(16) as u64);
                emit(self.bucket(h));
            }
            let mut h = FNV_OFFSET ^ WORD_SEED;
            for (n, word) in words[i..].iter().map(word).take(hi).enumerate() {
                for &b in word {
                    h = step(h, u64::from(b));
                }
                h = step(h, 0x100); // word boundary, outside the byte range
                if n + 1 >= lo {
                    emit(self.bucket(h));
                }
            }
        }
    }

    /// Counts → weights → unit length.
    fn weigh(&self, buckets: &mut [u32], features: &mut Vec<Feature>) {
        buckets.sort_unstable();
        for &b in buckets.iter() {
            match features.last_mut() {
                Some((last, count)) if *last == b => *count += 1.0,
                _ => features.push((b, 1.0)),
            }
        }
        for (_, v) in features.iter_mut() {
            *v = self.term_weight(*v as u32);
        }
        let norm = features.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, v) in features.iter_mut() {
                *v /= norm;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_unit_length_sorted_and_deterministic() {
        let config = FeatureConfig::default();
        let a = config.vectorize("Free entry! Call 08712345678 now");
        let norm: f32 = a.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(a.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(a, config.vectorize("Free entry! Call 08712345678 now"));
        assert!(config.vectorize("").is_empty());
    }

    #[test]
    fn evasions_give_the_same_vector_as_the_plain_spelling() {
        let config = FeatureConfig::default();
        assert_eq!(config.vectorize("加 微 信"), config.vectorize("加微信"));
        assert_eq!(config.vectorize("ＦＲＥＥ"), config.vectorize("free"));
    }

    #[test]
    fn chinese_gets_unigrams_to_trigrams_and_english_gets_words() {
        let config = FeatureConfig {
            word_ngrams: (0, 0),
            ..FeatureConfig::default()
        };
        // " 你好 " padded: 2 unigrams (a lone space is skipped), 3 bigrams, 2 trigrams, all distinct
        assert_eq!(config.vectorize("你好").len(), 7);
        let four = FeatureConfig {
            char_ngrams: (1, 4),
            ..config
        };
        // and one four-gram more
        assert_eq!(four.vectorize("你好").len(), 8);
        let words = FeatureConfig::default();
        assert!(words.vectorize("free entry").len() > config.vectorize("free entry").len());
    }

    #[test]
    fn invalid_settings_are_named() {
        let bad = FeatureConfig {
            bits: 40,
            ..FeatureConfig::default()
        };
        assert!(bad.invalid().is_some_and(|m| m.contains("bits")));
        assert_eq!(FeatureConfig::default().invalid(), None);
    }
}
