//! IBANs, written whole (`DE89370400440532013000`) or in groups of four; only those whose mod-97
//! check holds are reported. A grouped candidate that ran into the next word is shortened group by
//! group until it checks (or nothing is left).

use std::sync::LazyLock;

use regex::Regex;

use super::checksums::iban_valid;
use super::{PiiKind, Raw};

static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[a-z]{2}\d{2}(?: ?[a-z0-9]{1,30}){1,8}")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Every valid IBAN in normalised `text`, as (kind, byte range).
pub fn find(text: &str, out: &mut Raw) {
    for m in CANDIDATE.find_iter(text) {
        // glued to Chinese is fine ("账户de89..."), glued to a Latin word is not
        if text[..m.start()].ends_with(|c: char| c.is_ascii_alphanumeric()) {
            continue;
        }
        let s = m.as_str();
        // ends of the space-separated groups, longest first
        let mut ends: Vec<usize> = s.match_indices(' ').map(|(i, _)| i).collect();
        ends.push(s.len());
        for &end in ends.iter().rev() {
            let compact: String = s[..end].chars().filter(|c| *c != ' ').collect();
            if iban_valid(&compact) {
                out.push((PiiKind::Iban, m.start()..m.start() + end));
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        let found = super::super::found_by(find, text);
        found.into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn whole_and_grouped_ibans() {
        assert_eq!(
            found("iban de89370400440532013000 pls"),
            vec!["de89370400440532013000"]
        );
        assert_eq!(
            found("to gb82 west 1234 5698 7654 32 and more"),
            vec!["gb82 west 1234 5698 7654 32"]
        );
        assert!(found("gb82 west 1234 5698 7654 33").is_empty());
        assert!(found("ab12 cd34 is not one").is_empty());
        assert_eq!(
            found("账户de89370400440532013000谢谢"),
            vec!["de89370400440532013000"]
        );
        assert!(found("xde89370400440532013000").is_empty());
    }
}
