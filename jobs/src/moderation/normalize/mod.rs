//! Text normalisation: one canonical form of a chat message for every detector, so that
//! `ＷｅＣｈａｔ`, `w.e.c.h.a.t`, `wеchаt` (with Cyrillic letters) and `加 微 信` read the same as the
//! plain spelling, and phone numbers spelled `一三八…` or `one three eight …` read as digits.
//!
//! The steps, in order:
//! 1. per character ([`chars::fold_char`]): zero-width and other invisible characters dropped,
//!    Unicode compatibility decomposition (NFKC's half: full-width → half-width, `①` → `1`, `ﬁ` →
//!    `fi`), Latin diacritics dropped, case folded, Greek/Cyrillic look-alikes mapped to Latin,
//!    canonical recomposition; every kind of white space becomes one space, runs collapse, ends trim;
//! 2. digit words: a run of at least five Chinese numerals or digits that spells a number digit by
//!    digit (`一三八一二三四五六七八`), or at least four English digit words and digit groups joined
//!    by spaces or hyphens (`one three eight 1234`), become ASCII digits;
//! 3. separator tricks: at least three single letters, digits or ideographs separated each time by
//!    the same one- or two-character separator (`w.e.c.h.a.t`, `v x 1 2 3`, `加-微-信`) are joined,
//!    and a space between two Han ideographs is dropped (Chinese puts none there).
//!
//! Every character of the result remembers the byte range of the original it came from
//! ([`Normalized::original_range`]), so a finding in normalised text can be shown — or redacted —
//! in the message as the member wrote it.

pub mod chars;

use std::borrow::Cow;
use std::ops::Range;

use chars::{
    chinese_digit, english_digit, fold_char, full_width_ascii, is_cjk, is_letter_or_digit,
    is_spacer,
};

/// One character of the normalised text and the original bytes it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Unit {
    ch: char,
    start: u32,
    end: u32,
}

impl Unit {
    fn word(self) -> bool {
        is_letter_or_digit(self.ch)
    }
}

/// Where one character of the normalised text sits, and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    norm: u32,
    orig_start: u32,
    orig_end: u32,
}

/// A message in canonical form, with the way back to the original: detectors match on
/// [`Normalized::text`] and report evidence through [`Normalized::original_range`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Normalized {
    text: String,
    spans: Vec<Span>,
}

impl Normalized {
    /// The normalised text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The byte range of the original message that produced the normalised bytes `norm` (from the
    /// first original character behind `norm.start` to the last one behind `norm.end - 1`), or
    /// `None` when `norm` is empty or outside the text.
    pub fn original_range(&self, norm: Range<usize>) -> Option<Range<usize>> {
        if norm.start >= norm.end || norm.end > self.text.len() {
            return None;
        }
        let first = self
            .spans
            .partition_point(|s| s.norm as usize <= norm.start);
        let last = self.spans.partition_point(|s| (s.norm as usize) < norm.end);
        let a = self.spans.get(first.checked_sub(1)?)?;
        let b = self.spans.get(last.checked_sub(1)?)?;
        Some(a.orig_start as usize..b.orig_end.max(a.orig_end) as usize)
    }
}

/// Normalises `input` (see the module documentation for the steps).
pub fn normalize(input: &str) -> Normalized {
    let units = fold(input);
    let units = digit_words(&units);
    let units = join_separated(&units);
    let mut text = String::with_capacity(units.len());
    let mut spans = Vec::with_capacity(units.len());
    for &u in units.iter() {
        spans.push(Span {
            norm: text.len() as u32,
            orig_start: u.start,
            orig_end: u.end,
        });
        text.push(u.ch);
    }
    Normalized { text, spans }
}

/// Step 1: per-character folding and white-space collapsing. ASCII, Han ideographs and full-width
/// forms, most of what members write, take a direct path; only other characters go through
/// [`fold_char`].
fn fold(input: &str) -> Vec<Unit> {
    let mut units: Vec<Unit> = Vec::with_capacity(input.len());
    let (mut scratch, mut folded) = (Vec::new(), Vec::new());
    for (i, c) in input.char_indices() {
        let (start, end) = (i as u32, (i + c.len_utf8()) as u32);
        if c.is_whitespace() {
            push_folded(&mut units, ' ', start, end);
        } else if c.is_ascii() {
            if !c.is_ascii_control() {
                push_folded(&mut units, c.to_ascii_lowercase(), start, end);
            }
        } else if is_cjk(c) {
            push_folded(&mut units, c, start, end);
        } else if let Some(ascii) = full_width_ascii(c) {
            push_folded(&mut units, ascii.to_ascii_lowercase(), start, end);
        } else if !c.is_control() {
            folded.clear();
            fold_char(c, &mut scratch, &mut folded);
            for &ch in &folded {
                push_folded(&mut units, ch, start, end);
            }
        }
    }
    if units.last().is_some_and(|u| u.ch == ' ') {
        units.pop();
    }
    units
}

/// Appends one folded character; a space at the start or after a space only widens the span of
/// the space before it.
fn push_folded(units: &mut Vec<Unit>, ch: char, start: u32, end: u32) {
    if ch == ' ' {
        match units.last_mut() {
            None => return,
            Some(last) if last.ch == ' ' => {
                last.end = end;
                return;
            }
            Some(_) => {}
        }
    }
    units.push(Unit { ch, start, end });
}

/// The output of a step that most messages pass through unchanged: nothing is copied until the
/// step changes something, and then only the units before the change are (two copies of every
/// message's units, and their allocations, were most of what these steps cost on plain text).
struct Rewrite<'a> {
    input: &'a [Unit],
    out: Option<Vec<Unit>>,
}

impl<'a> Rewrite<'a> {
    fn new(input: &'a [Unit]) -> Self {
        Rewrite { input, out: None }
    }

    /// The output so far, once input units from `at` on are to be replaced or dropped.
    fn changed(&mut self, at: usize) -> &mut Vec<Unit> {
        self.out.get_or_insert_with(|| {
            let mut out = Vec::with_capacity(self.input.len());
            out.extend_from_slice(&self.input[..at]);
            out
        })
    }

    /// Input unit `i` is kept as it is.
    fn keep(&mut self, i: usize) {
        if let Some(out) = &mut self.out {
            out.push(self.input[i]);
        }
    }

    /// The last unit written so far.
    fn last(&self, i: usize) -> Option<&Unit> {
        match &self.out {
            Some(out) => out.last(),
            None => i.checked_sub(1).map(|j| &self.input[j]),
        }
    }

    fn finish(self) -> Cow<'a, [Unit]> {
        match self.out {
            Some(out) => Cow::Owned(out),
            None => Cow::Borrowed(self.input),
        }
    }
}

/// Step 2: numbers spelled with Chinese numerals or English digit words become ASCII digits.
fn digit_words(units: &[Unit]) -> Cow<'_, [Unit]> {
    let mut out = Rewrite::new(units);
    let mut i = 0;
    while i < units.len() {
        let boundary = i == 0 || !units[i - 1].word();
        if let Some(end) = chinese_number(units, i) {
            let out = out.changed(i);
            for u in &units[i..end] {
                let ch = chinese_digit(u.ch).unwrap_or(u.ch);
                out.push(Unit { ch, ..*u });
            }
            i = end;
        } else if boundary && let Some((end, digits)) = english_number(units, i) {
            out.changed(i).extend(digits);
            i = end;
        } else {
            out.keep(i);
            i += 1;
        }
    }
    out.finish()
}

/// The end of a run of at least five digits/Chinese numerals (one of them a numeral) at `i`.
fn chinese_number(units: &[Unit], i: usize) -> Option<usize> {
    let is_digit = |u: &Unit| u.ch.is_ascii_digit() || chinese_digit(u.ch).is_some();
    if i > 0 && is_digit(&units[i - 1]) {
        return None;
    }
    let len = units[i..].iter().take_while(|u| is_digit(u)).count();
    let numerals = units[i..i + len]
        .iter()
        .any(|u| chinese_digit(u.ch).is_some());
    (len >= 5 && numerals).then_some(i + len)
}

/// A run of ASCII letters or digits starting at `i`: its end, and whether it is digits.
fn ascii_token(units: &[Unit], i: usize) -> Option<(usize, bool)> {
    let first = units.get(i)?.ch;
    let digits = first.is_ascii_digit();
    if !first.is_ascii_alphanumeric() {
        return None;
    }
    let len = units[i..]
        .iter()
        .take_while(|u| {
            if digits {
                u.ch.is_ascii_digit()
            } else {
                u.ch.is_ascii_lowercase()
            }
        })
        .count();
    let end = i + len;
    // a token glued to more letters or digits is not a number word ("someone", "4you")
    (units.get(end).is_none_or(|u| !u.word())).then_some((end, digits))
}

/// The digit an English word of ASCII letters spells, without allocating.
fn digit_word(word: &[Unit]) -> Option<char> {
    let mut buf = [0u8; 5];
    if !(2..=5).contains(&word.len()) {
        return None;
    }
    for (b, u) in buf.iter_mut().zip(word) {
        *b = u8::try_from(u32::from(u.ch)).ok()?;
    }
    english_digit(std::str::from_utf8(&buf[..word.len()]).ok()?)
}

/// At least four digit words and digit groups, two of them words, joined by one or two spaces or
/// hyphens: their end and the digits they spell (each with the span of its word).
fn english_number(units: &[Unit], i: usize) -> Option<(usize, Vec<Unit>)> {
    let (mut at, mut items, mut words) = (i, 0, 0);
    let mut digits = Vec::new();
    let mut end = i;
    while let Some((stop, numeric)) = ascii_token(units, at) {
        if numeric {
            digits.extend_from_slice(&units[at..stop]);
        } else {
            let digit = digit_word(&units[at..stop])?;
            let (start, last) = (units[at].start, units[stop - 1].end);
            digits.push(Unit {
                ch: digit,
                start,
                end: last,
            });
            words += 1;
        }
        items += 1;
        end = stop;
        let gap = units[stop..]
            .iter()
            .take(3)
            .take_while(|u| u.ch == ' ' || u.ch == '-')
            .count();
        if gap == 0 || gap > 2 {
            break;
        }
        at = stop + gap;
        if ascii_token(units, at)
            .is_none_or(|(s, numeric)| !numeric && digit_word(&units[at..s]).is_none())
        {
            break;
        }
    }
    (items >= 4 && words >= 2).then_some((end, digits))
}

/// Step 3: single characters split by a repeated separator are joined, and spaces between Han
/// ideographs dropped.
fn join_separated(units: &[Unit]) -> Cow<'_, [Unit]> {
    let single = |j: usize| {
        units.get(j).is_some_and(|u| u.word())
            && (j == 0 || !units[j - 1].word())
            && units.get(j + 1).is_none_or(|u| !u.word())
    };
    let separator = |j: usize| -> Option<&[Unit]> {
        let len = units[j..]
            .iter()
            .take(3)
            .take_while(|u| u.ch == ' ' || is_spacer(u.ch))
            .count();
        (1..=2).contains(&len).then(|| &units[j..j + len])
    };
    let mut out = Rewrite::new(units);
    let mut i = 0;
    while i < units.len() {
        if single(i) {
            let mut tokens = vec![i];
            let mut sep: Option<&[Unit]> = None;
            let mut at = i + 1;
            while let Some(s) = separator(at) {
                let same = sep.is_none_or(|p| p.iter().map(|u| u.ch).eq(s.iter().map(|u| u.ch)));
                if !same || !single(at + s.len()) {
                    break;
                }
                sep = Some(s);
                tokens.push(at + s.len());
                at += s.len() + 1;
            }
            if tokens.len() >= 3 {
                out.changed(i).extend(tokens.iter().map(|&t| units[t]));
                i = at;
                continue;
            }
        }
        let u = units[i];
        let between_han = u.ch == ' '
            && out.last(i).is_some_and(|p| is_cjk(p.ch))
            && units.get(i + 1).is_some_and(|n| is_cjk(n.ch));
        if between_han {
            out.changed(i);
        } else {
            out.keep(i);
        }
        i += 1;
    }
    out.finish()
}

#[cfg(test)]
mod tests;
