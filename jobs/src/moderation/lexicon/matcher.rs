//! One Aho-Corasick automaton over a set of normalised phrases, with word boundaries for Latin
//! phrases.
//!
//! The automaton reports overlapping matches (standard semantics) and the boundary rule is applied
//! to each: with leftmost-longest semantics a longer phrase that fails its boundary check
//! (`dm me for` in `dm me forever`) would hide a shorter one that passes (`dm me`).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};

use super::LexiconError;
use crate::moderation::normalize::chars::is_spaced_word_char;

/// A phrase of the automaton and what it stands for.
#[derive(Debug)]
pub struct Pattern<T> {
    /// The normalised phrase.
    pub text: String,
    /// What a hit reports (lexicon, kind, severity), or `()` for allow lists.
    pub meta: T,
    /// The phrase starts with a letter or digit of an alphabetic script, so the character before
    /// a match must not be one.
    bounded_start: bool,
    /// Likewise at its end.
    bounded_end: bool,
}

/// An automaton over de-duplicated phrases.
#[derive(Debug)]
pub struct Matcher<T> {
    automaton: AhoCorasick,
    patterns: Vec<Pattern<T>>,
}

impl<T> Matcher<T> {
    /// Builds the automaton over `phrases` (already normalised, none empty), or `None` when there
    /// are none. A phrase given twice is kept once: with the later `meta` when `prefer(new, old)`.
    pub fn build(
        phrases: impl IntoIterator<Item = (String, T)>,
        prefer: impl Fn(&T, &T) -> bool,
    ) -> Result<Option<Matcher<T>>, LexiconError> {
        let mut patterns: Vec<Pattern<T>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (text, meta) in phrases {
            match index.entry(text) {
                Entry::Occupied(at) => {
                    if let Some(old) = patterns.get_mut(*at.get())
                        && prefer(&meta, &old.meta)
                    {
                        old.meta = meta;
                    }
                }
                Entry::Vacant(slot) => {
                    let text = slot.key().clone();
                    slot.insert(patterns.len());
                    patterns.push(Pattern::new(text, meta));
                }
            }
        }
        if patterns.is_empty() {
            return Ok(None);
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(patterns.iter().map(|p| &p.text))?;
        Ok(Some(Matcher {
            automaton,
            patterns,
        }))
    }

    /// How many distinct phrases the automaton holds.
    pub fn phrase_count(&self) -> usize {
        self.patterns.len()
    }

    /// Every occurrence of a phrase in `text` that respects its word boundaries, overlapping ones
    /// included, in order of their end.
    pub fn matches(&self, text: &str) -> impl Iterator<Item = (&Pattern<T>, Range<usize>)> {
        self.automaton
            .find_overlapping_iter(text)
            .filter_map(move |m| {
                let pattern = self.patterns.get(m.pattern().as_usize())?;
                let range = m.range();
                pattern.fits(text, &range).then_some((pattern, range))
            })
    }
}

impl<T> Pattern<T> {
    fn new(text: String, meta: T) -> Pattern<T> {
        let bounded_start = text.chars().next().is_some_and(is_spaced_word_char);
        let bounded_end = text.chars().next_back().is_some_and(is_spaced_word_char);
        Pattern {
            text,
            meta,
            bounded_start,
            bounded_end,
        }
    }

    /// Whether the match at `range` of `text` is not part of a longer word. Han ideographs never
    /// join a word ([`is_spaced_word_char`]): a Han phrase matches anywhere, and a Latin phrase
    /// next to Han text (`加我wechat好吗`) is a word of its own.
    fn fits(&self, text: &str, range: &Range<usize>) -> bool {
        let before = text.get(..range.start).and_then(|s| s.chars().next_back());
        let after = text.get(range.end..).and_then(|s| s.chars().next());
        let joined_before = self.bounded_start && before.is_some_and(is_spaced_word_char);
        let joined_after = self.bounded_end && after.is_some_and(is_spaced_word_char);
        !(joined_before || joined_after)
    }
}
