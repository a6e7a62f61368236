//! Check digits of the identifiers the PII detectors look for. A number that merely has the right
//! length is not enough to raise an alert (order numbers, timestamps and tracking codes have those
//! lengths too); a valid check digit cuts such false alerts by a factor of 10 (Luhn, ID) or 97 (IBAN).

/// Luhn (ISO/IEC 7812) check of a string of ASCII digits: bank cards.
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The Luhn check digit that completes `payload` (ASCII digits).
pub fn luhn_check_digit(payload: &str) -> Option<char> {
    (b'0'..=b'9')
        .map(char::from)
        .find(|&c| luhn_valid(&format!("{payload}{c}")))
}

/// Weights of the 17 leading digits of a mainland-China resident ID (GB 11643, ISO 7064 MOD 11-2).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder of the weighted sum mod 11.
const ID_CHECK: [char; 11] = ['1', '0', 'x', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The ISO 7064 MOD 11-2 check character (`0`-`9` or lower-case `x`) of 17 ASCII digits.
pub fn resident_id_check(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    ID_CHECK.get((sum % 11) as usize).copied()
}

/// Whether 18 characters are a plausible resident ID: region code not starting with 0, a birth date
/// (year 1900–2099, month 01–12, day 01–31) and the right check character (`x` or `X`).
pub fn resident_id_valid(id: &str) -> bool {
    let bytes = id.as_bytes();
    if bytes.len() != 18 || bytes[0] == b'0' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| id.get(r).and_then(|s| s.parse::<u32>().ok());
    let (Some(year), Some(month), Some(day)) = (num(6..10), num(10..12), num(12..14)) else {
        return false;
    };
    if !(1900..=2099).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return false;
    }
    let last = char::from(bytes[17]).to_ascii_lowercase();
    resident_id_check(&id[..17]) == Some(last)
}

/// IBAN check (ISO 13616, mod 97 = 1) of an IBAN without spaces, any case: two letters, two
/// check digits, 11–30 letters or digits.
pub fn iban_valid(iban: &str) -> bool {
    let b = iban.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_alphabetic)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    iban_remainder(iban) == Some(1)
}

/// The IBAN's rearranged number (first four characters moved to the end, letters as 10–35) mod 97.
pub fn iban_remainder(iban: &str) -> Option<u32> {
    let (head, tail) = (iban.get(..4)?, iban.get(4..)?);
    let mut rem = 0u32;
    for c in tail.chars().chain(head.chars()) {
        let v = c.to_digit(36)?;
        rem = if v < 10 {
            (rem * 10 + v) % 97
        } else {
            (rem * 100 + v) % 97
        };
    }
    Some(rem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_known_numbers() {
        assert!(luhn_valid("4111111111111111"));
        assert!(luhn_valid("6222021234567890128"));
        assert!(!luhn_valid("4111111111111112"));
        assert!(!luhn_valid("41111a1111111111"));
        assert_eq!(luhn_check_digit("411111111111111"), Some('1'));
    }

    #[test]
    fn resident_ids_with_check_character() {
        // the standard's worked example
        assert!(resident_id_valid("11010519491231002X"));
        assert!(resident_id_valid("11010519491231002x"));
        assert!(!resident_id_valid("110105194912310021"));
        assert!(!resident_id_valid("11010519491331002X")); // month 13
        assert!(!resident_id_valid("01010519491231002X")); // region 0
        assert_eq!(resident_id_check("11010519491231002"), Some('x'));
    }

    #[test]
    fn ibans_mod_97() {
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(iban_valid("de89370400440532013000"));
        assert!(!iban_valid("GB82WEST12345698765433"));
        assert!(!iban_valid("GB82"));
    }
}
