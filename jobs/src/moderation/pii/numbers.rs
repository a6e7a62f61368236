//! Numeric PII: mainland-China mobile and landline numbers, resident ID numbers and bank cards.
//!
//! People write numbers in groups (`138 1234 5678`, `6222-0212-3456-7890-128`, `010-12345678`), so
//! the detector first finds runs of digit groups joined by one separator (space, hyphen, dot or a
//! closing parenthesis), then tries, from each group, the longest span of consecutive groups that is
//! a valid identifier. Validity is structural (prefixes, lengths, dates) and, where the identifier
//! has one, the check digit ([`super::checksums`]).

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::checksums::{luhn_valid, resident_id_valid};
use super::{PiiKind, Raw};

/// Digit groups separated by one space, hyphen or dot, or by `)` and an optional space.
static RUN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d+(?:(?:[ .\-]|\) ?)\d+)*").unwrap_or_else(|e| unreachable!("static regex: {e}"))
});
static GROUP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d+").unwrap_or_else(|e| unreachable!("static regex: {e}")));

/// Longest span of groups tried: 19 card digits in groups of 4 make 5 groups, plus a country code.
const MAX_GROUPS: usize = 6;

/// Every numeric identifier in normalised `text`, as (kind, byte range).
pub fn find(text: &str, out: &mut Raw) {
    for run in RUN.find_iter(text) {
        let groups: Vec<Range<usize>> = GROUP
            .find_iter(run.as_str())
            .map(|g| run.start() + g.start()..run.start() + g.end())
            .collect();
        let mut i = 0;
        while i < groups.len() {
            let mut found = None;
            let mut digits = String::new();
            for j in i..groups.len().min(i + MAX_GROUPS) {
                digits.push_str(&text[groups[j].clone()]);
                let end = groups[j].end;
                // an ID's check character may be an x right after the digits
                let x_after = text[end..].starts_with('x') && j + 1 == groups.len();
                if let Some(kind) = classify(&digits, x_after) {
                    let end = if kind == PiiKind::ResidentId && digits.len() == 17 {
                        end + 1
                    } else {
                        end
                    };
                    found = Some((kind, j, groups[i].start..end));
                }
            }
            match found {
                Some((kind, j, mut range)) => {
                    // a leading + (country code) or ( (area code) belongs to the number
                    if text[..range.start].ends_with(['+', '(']) {
                        range.start -= 1;
                    }
                    out.push((kind, range));
                    i = j + 1;
                }
                None => i += 1,
            }
        }
    }
}

/// What `digits` (the concatenated groups) is, if anything. `x_after`: an `x` follows them.
fn classify(digits: &str, x_after: bool) -> Option<PiiKind> {
    let b = digits.as_bytes();
    match b.len() {
        17 if x_after && resident_id_valid(&format!("{digits}x")) => Some(PiiKind::ResidentId),
        18 if resident_id_valid(digits) => Some(PiiKind::ResidentId),
        15..=19 if matches!(b[0], b'3'..=b'6') && luhn_valid(digits) => Some(PiiKind::BankCard),
        11 if b[0] == b'1' && matches!(b[1], b'3'..=b'9') => Some(PiiKind::Mobile),
        13 if digits.starts_with("861") && matches!(b[3], b'3'..=b'9') => Some(PiiKind::Mobile),
        10..=12 if landline(digits) => Some(PiiKind::Landline),
        _ => None,
    }
}

/// A mainland-China landline with its area code: `010`/`02x` and 8 digits, or `0[3-9]xx` and 7–8
/// digits; subscriber numbers start with 2–8.
fn landline(digits: &str) -> bool {
    let b = digits.as_bytes();
    if b[0] != b'0' {
        return false;
    }
    let area = if digits.starts_with("010") || digits.starts_with("02") {
        3
    } else if matches!(b[1], b'3'..=b'9') {
        4
    } else {
        return false;
    };
    let subscriber = &b[area..];
    matches!(subscriber.len(), 7 | 8)
        && (area == 4 || subscriber.len() == 8)
        && matches!(subscriber[0], b'2'..=b'8')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(PiiKind, &str)> {
        super::super::found_by(find, text)
    }

    #[test]
    fn mobiles_in_any_grouping() {
        assert_eq!(
            kinds("call 13812345678 now"),
            vec![(PiiKind::Mobile, "13812345678")]
        );
        assert_eq!(
            kinds("电话138 1234 5678"),
            vec![(PiiKind::Mobile, "138 1234 5678")]
        );
        assert_eq!(
            kinds("+86-138-1234-5678"),
            vec![(PiiKind::Mobile, "+86-138-1234-5678")]
        );
        assert_eq!(kinds("12812345678"), vec![]); // no 12x mobile prefix
        assert_eq!(kinds("138123456789"), vec![]); // twelve digits
    }

    #[test]
    fn landlines_need_an_area_code() {
        assert_eq!(
            kinds("座机010-62345678"),
            vec![(PiiKind::Landline, "010-62345678")]
        );
        assert_eq!(
            kinds("(0571) 8765432"),
            vec![(PiiKind::Landline, "(0571) 8765432")]
        );
        assert_eq!(kinds("0101234567"), vec![]); // subscriber starting with 1
    }

    #[test]
    fn ids_and_cards_need_their_check_digit() {
        assert_eq!(
            kinds("身份证11010519491231002x"),
            vec![(PiiKind::ResidentId, "11010519491231002x")]
        );
        assert_eq!(kinds("id 110105194912310021"), vec![]);
        assert_eq!(
            kinds("卡号 4111 1111 1111 1111 谢谢"),
            vec![(PiiKind::BankCard, "4111 1111 1111 1111")]
        );
        assert_eq!(
            kinds("card 6222021234567890128."),
            vec![(PiiKind::BankCard, "6222021234567890128")]
        );
        assert_eq!(kinds("order 4111111111111112"), vec![]);
    }

    #[test]
    fn ordinary_numbers_are_not_pii() {
        assert!(kinds("see you at 10.30, room 204, 2018-08-12").is_empty());
        assert!(kinds("version 1.2.3 has 12345 downloads").is_empty());
    }
}
