//! Character tables of the normaliser: what is invisible, what separates letters in an evasion, which
//! letters of other scripts pass for Latin ones, and which characters or words spell digits.
//!
//! Kept apart from the pipeline in [`super`] so that a moderator's "this trick got through" report
//! becomes a one-line table change with a test, not a change to the algorithm.

use unicode_normalization::char::{compose, decompose_compatible};

/// Characters that render as nothing (or nearly) and are inserted to split words past filters:
/// zero-width space/joiners, directional marks, word joiner and invisible operators, BOM, soft
/// hyphen, Mongolian vowel separator, variation selectors, Hangul fillers and tag characters.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{E0000}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}')
}

/// Combining marks removed after decomposition: Latin diacritics (so `fréé` reads `free`, and
/// "Zalgo" stacks vanish) and marks for symbols (so the keycap `1⃣` reads `1`). Marks of scripts
/// that need them (Devanagari, Thai, ...) are kept.
pub fn is_stripped_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// Upper-case letters of Greek and Cyrillic that look like Latin capitals, mapped before case
/// folding: their lower-case forms look different (`Ν` is an N, its `ν` a v).
pub fn upper_homoglyph(c: char) -> char {
    match c {
        'Α' | 'А' => 'A',
        'Β' | 'В' => 'B',
        'Ϲ' | 'С' => 'C',
        'Ε' | 'Е' => 'E',
        'Η' | 'Н' => 'H',
        'Ι' | 'І' => 'I',
        'Ј' => 'J',
        'Κ' | 'К' => 'K',
        'Μ' | 'М' => 'M',
        'Ν' => 'N',
        'Ο' | 'О' => 'O',
        'Ρ' | 'Р' => 'P',
        'Ѕ' => 'S',
        'Τ' | 'Т' => 'T',
        'Υ' | 'У' => 'Y',
        'Χ' | 'Х' => 'X',
        'Ζ' => 'Z',
        _ => c,
    }
}

/// Lower-case letters of other scripts that look like Latin ones, as their Latin twin (checked
/// after case folding, so upper-case look-alikes are covered too). Only unambiguous look-alikes:
/// mapping real Greek or Cyrillic words this way merely changes their features, never their length.
pub fn homoglyph(c: char) -> char {
    match c {
        // Cyrillic
        'а' => 'a',
        'в' => 'b',
        'е' | 'ё' | 'є' => 'e',
        'һ' => 'h',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'к' => 'k',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'ѕ' => 's',
        'т' => 't',
        'у' => 'y',
        'х' => 'x',
        'ԁ' => 'd',
        'ԛ' => 'q',
        'ԝ' => 'w',
        // Greek
        'α' => 'a',
        'β' => 'b',
        'ε' => 'e',
        'η' => 'n',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'ω' => 'w',
        'ϲ' => 'c',
        // Latin look-alikes outside ASCII that NFKC keeps
        'ı' => 'i',
        'ȷ' => 'j',
        'ɑ' => 'a',
        'ɡ' => 'g',
        'ɩ' => 'i',
        'ʀ' => 'r',
        'ʏ' => 'y',
        'ᴄ' => 'c',
        'ᴏ' => 'o',
        'ᴜ' => 'u',
        'ᴠ' => 'v',
        'ᴡ' => 'w',
        'ᴢ' => 'z',
        'ø' => 'o',
        'đ' => 'd',
        'ł' => 'l',
        _ => c,
    }
}

/// Characters that split an evasion like `w.e.c.h.a.t` or `加-微-信` (besides the space).
pub fn is_spacer(c: char) -> bool {
    matches!(
        c,
        '.' | '-' | '_' | '*' | '|' | '/' | '\\' | '·' | '•' | '~' | '+' | '^' | '#' | '=' | '、'
    )
}

/// Han ideographs (and the ideographic number zero), the script in which spaces carry no meaning.
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3007}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

/// A letter or digit (`char::is_alphanumeric`), with the two common cases answered without
/// Unicode's tables: ASCII, and the two Han blocks every code point of which is a letter (CJK
/// Unified Ideographs and Extension A). Chat in Chinese is mostly those, and the normaliser asks
/// this several times per character.
pub fn is_letter_or_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}') || c.is_alphanumeric()
    }
}

/// A letter or digit of a script that separates words with spaces: Latin after normalisation, but
/// also Cyrillic, Greek, kana, Hangul... Han ideographs are not: Chinese puts no space around a
/// word. Han is ruled out before the Unicode tables are consulted.
pub fn is_spaced_word_char(c: char) -> bool {
    !is_cjk(c) && is_letter_or_digit(c)
}

/// The ASCII character a full-width form (`！` to `～`, U+FF01..=U+FF5E) stands for: exactly what
/// compatibility decomposition gives, without its table lookup. Chinese punctuation (`，`, `？`,
/// `！`) is in this block, so the normaliser meets it every few characters.
pub fn full_width_ascii(c: char) -> Option<char> {
    if ('\u{FF01}'..='\u{FF5E}').contains(&c) {
        char::from_u32(u32::from(c) - 0xFEE0)
    } else {
        None
    }
}

/// The digit a Chinese numeral character stands for when it spells a number digit by digit (as in
/// `一三八`), including the financial forms and the spoken `幺` (1) and `两` (2).
pub fn chinese_digit(c: char) -> Option<char> {
    Some(match c {
        '零' | '〇' | '洞' => '0',
        '一' | '壹' | '幺' => '1',
        '二' | '贰' | '貳' | '两' | '兩' => '2',
        '三' | '叁' | '參' => '3',
        '四' | '肆' => '4',
        '五' | '伍' => '5',
        '六' | '陆' | '陸' => '6',
        '七' | '柒' => '7',
        '八' | '捌' => '8',
        '九' | '玖' => '9',
        _ => return None,
    })
}

/// The digit an English number word stands for (already case-folded).
pub fn english_digit(word: &str) -> Option<char> {
    Some(match word {
        "zero" | "oh" => '0',
        "one" => '1',
        "two" => '2',
        "three" => '3',
        "four" => '4',
        "five" => '5',
        "six" => '6',
        "seven" => '7',
        "eight" => '8',
        "nine" => '9',
        _ => return None,
    })
}

/// Folds one non-ASCII character: compatibility decomposition (full-width to half-width, circled
/// and styled letters to plain ones, ligatures split), diacritics dropped, lower case, homoglyphs
/// to Latin, then canonical recomposition (Hangul syllables come back whole). Invisible characters
/// give nothing. `out` receives the resulting characters; `scratch` is reused between calls.
pub fn fold_char(c: char, scratch: &mut Vec<char>, out: &mut Vec<char>) {
    if is_invisible(c) {
        return;
    }
    scratch.clear();
    decompose_compatible(c, |d| {
        if is_invisible(d) || is_stripped_mark(d) {
            return;
        }
        for l in upper_homoglyph(d).to_lowercase() {
            if !is_stripped_mark(l) {
                scratch.push(homoglyph(l));
            }
        }
    });
    let first = out.len();
    for &d in scratch.iter() {
        if out.len() > first
            && let Some(last) = out.last_mut()
            && let Some(composed) = compose(*last, d)
        {
            *last = composed;
            continue;
        }
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(s: &str) -> String {
        let (mut scratch, mut out) = (Vec::new(), Vec::new());
        for c in s.chars() {
            fold_char(c, &mut scratch, &mut out);
        }
        out.into_iter().collect()
    }

    #[test]
    fn full_width_styled_and_accented_letters_become_plain_ascii() {
        assert_eq!(fold("ＷｅＣｈａｔ１２３"), "wechat123");
        assert_eq!(fold("𝐟𝐫𝐞𝐞 ⓒⓐⓢⓗ"), "free cash");
        assert_eq!(fold("fréé ﬁnance"), "free finance");
        assert_eq!(fold("\u{3000}"), " ");
    }

    #[test]
    fn cyrillic_and_greek_look_alikes_become_latin() {
        assert_eq!(fold("РаyРаl"), "paypal");
        assert_eq!(fold("Ѕрам"), "spam");
        assert_eq!(fold("ΒΙΤСΟΙΝ"), "bitcoin"); // Greek with a Cyrillic С
        assert_eq!(fold("ѕсаm"), "scam");
    }

    #[test]
    fn invisible_characters_vanish_and_hangul_stays_whole() {
        assert_eq!(fold("加\u{200B}微\u{FEFF}信\u{FE0F}"), "加微信");
        assert_eq!(fold("한국어"), "한국어");
        assert_eq!(fold("中文不变"), "中文不变");
    }

    #[test]
    fn the_fast_letter_tests_agree_with_the_unicode_tables() {
        let every = (0..=0x3_FFFFu32).filter_map(char::from_u32);
        for c in every {
            assert_eq!(is_letter_or_digit(c), c.is_alphanumeric(), "{c:?}");
            assert_eq!(
                is_spaced_word_char(c),
                c.is_alphanumeric() && !is_cjk(c),
                "{c:?}"
            );
        }
    }

    #[test]
    fn full_width_forms_fold_like_the_decomposition_says() {
        for c in '\u{FF01}'..='\u{FF5E}' {
            let ascii = full_width_ascii(c).map(|a| a.to_ascii_lowercase());
            assert_eq!(ascii.map(String::from), Some(fold(&c.to_string())), "{c:?}");
        }
        assert_eq!(full_width_ascii('\u{FF00}'), None);
        assert_eq!(full_width_ascii('\u{FF5F}'), None);
        assert_eq!(full_width_ascii('a'), None);
    }

    #[test]
    fn digit_tables() {
        assert_eq!(chinese_digit('幺'), Some('1'));
        assert_eq!(chinese_digit('捌'), Some('8'));
        assert_eq!(chinese_digit('十'), None);
        assert_eq!(english_digit("seven"), Some('7'));
        assert_eq!(english_digit("seventy"), None);
    }
}
