//! Chat text as the lake stores it. The PII detectors ([`crate::moderation::pii`]) run on every
//! message at ingest, before the stage operator writes it, so personal data a member leaked in chat
//! (a phone number, an ID card number, a bank card) never reaches a Parquet file unless the
//! deployment asked to keep it.
//!
//! Hashing replaces a finding by `[kind:<16 hex digits>]`: HMAC-SHA256 under the deployment's key of
//! the finding's normalised text, so the same number written `138 1234 5678` and `13812345678`
//! gets the same token. Analysts can still count repeated leaks of one number, but without the key
//! nobody can test guesses against the tokens (an unkeyed hash of an 11-digit phone number is
//! reversed by trying them all).

use cohort_pipeline::Record;
use cohort_schemas::event::Payload;
use serde::{Deserialize, Serialize};

use super::secret::{SecretKey, SecretKeyError, hex};
use crate::moderation::normalize::normalize;
use crate::moderation::pii::{self, Finding, PiiKind};

/// What the lake stores of personal data found in chat text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiStorage {
    /// Each finding becomes `[kind]`, e.g. `[mobile]` (the default).
    Redact,
    /// Each finding becomes `[kind:<keyed hash>]` (needs the secret key).
    Hash,
    /// The text is stored as written.
    Keep,
}

/// The stored-text policy of a run, with the key it needs.
#[derive(Debug, Clone)]
pub struct StoredText {
    storage: PiiStorage,
    key: Option<SecretKey>,
}

impl StoredText {
    /// The policy `storage`; `key` is required for [`PiiStorage::Hash`].
    pub fn new(storage: PiiStorage, key: Option<SecretKey>) -> Result<StoredText, SecretKeyError> {
        if storage == PiiStorage::Hash && key.is_none() {
            return Err(SecretKeyError::Missing {
                needed_by: "privacy.stored_chat_pii = \"hash\"".to_string(),
            });
        }
        Ok(StoredText { storage, key })
    }

    /// Whether stored text differs from the text as written (redact or hash).
    pub fn rewrites(&self) -> bool {
        self.storage != PiiStorage::Keep
    }

    /// The text to store for `text`, or `None` when it is stored as written.
    pub fn stored(&self, text: &str) -> Option<String> {
        if !self.rewrites() {
            return None;
        }
        let norm = normalize(text);
        let findings = pii::detect_in(&norm);
        if !pii::alerts(&findings) {
            return None;
        }
        Some(match (&self.key, self.storage) {
            (Some(key), PiiStorage::Hash) => pii::replace(text, &findings, |finding: &Finding| {
                let value = canonical(finding.kind, &norm.text()[finding.normalized.clone()]);
                format!(
                    "[{}:{}]",
                    finding.kind.label(),
                    hex(&key.hmac(value.as_bytes())[..8])
                )
            }),
            _ => pii::redact(text, &findings),
        })
    }

    /// Applies the policy to a record: a chat event's text is rewritten in place; other records
    /// pass unchanged.
    pub fn apply(&self, record: &mut Record) {
        if let Record::Event(event) = record
            && let Payload::Chat(chat) = &mut event.payload
            && let Some(stored) = self.stored(&chat.text)
        {
            chat.text = stored;
        }
    }
}

/// One spelling per value, so that its hash does not depend on how it was written: numbers without
/// their separators (and a mobile number without its `+86`), other kinds as normalised.
fn canonical(kind: PiiKind, normalized: &str) -> String {
    match kind {
        PiiKind::Mobile
        | PiiKind::Landline
        | PiiKind::ResidentId
        | PiiKind::BankCard
        | PiiKind::Iban => {
            let mut value: String = normalized
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            if kind == PiiKind::Mobile && value.len() == 13 && value.starts_with("86") {
                value.drain(..2);
            }
            value
        }
        _ => normalized.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEAK: &str = "加我微信 wxid_abc123 或者打 138 1234 5678，邮箱 li.lei@example.com";

    fn key() -> SecretKey {
        SecretKey::new(b"a test key that is long enough", "test").unwrap()
    }

    #[test]
    fn redaction_leaves_no_finding_and_keeps_the_rest_of_the_message() {
        let policy = StoredText::new(PiiStorage::Redact, None).unwrap();
        let stored = policy.stored(LEAK).unwrap();
        assert!(!pii::alerts(&pii::detect(&stored)), "{stored}");
        assert!(
            stored.contains("[mobile]") && stored.contains("[email]"),
            "{stored}"
        );
        assert!(
            stored.starts_with("加我微信") && !stored.contains("1234"),
            "{stored}"
        );
        assert_eq!(policy.stored("see you at the meetup"), None);
    }

    #[test]
    fn hashing_gives_one_token_per_value_whatever_its_spelling() {
        let policy = StoredText::new(PiiStorage::Hash, Some(key())).unwrap();
        let a = policy.stored("call 13812345678").unwrap();
        let b = policy
            .stored("打 138 1234 5678 吧，或者 +86 138-1234-5678")
            .unwrap();
        let token = a.strip_prefix("call ").unwrap();
        assert!(
            token.starts_with("[mobile:") && token.len() == "[mobile:]".len() + 16,
            "{a}"
        );
        assert_eq!(b.matches(token).count(), 2, "{a} vs {b}");
        assert!(!pii::alerts(&pii::detect(&a)) && !a.contains("1381"), "{a}");
        let other = SecretKey::new(b"another key, also long enough", "test").unwrap();
        let c = StoredText::new(PiiStorage::Hash, Some(other))
            .unwrap()
            .stored("call 13812345678")
            .unwrap();
        assert_ne!(a, c, "the token depends on the key");
    }

    #[test]
    fn hashing_without_a_key_is_refused_and_keep_keeps() {
        let e = StoredText::new(PiiStorage::Hash, None).unwrap_err();
        assert!(e.to_string().contains("privacy.stored_chat_pii"), "{e}");
        let keep = StoredText::new(PiiStorage::Keep, None).unwrap();
        assert_eq!(keep.stored(LEAK), None);
        assert!(!keep.rewrites());
    }
}
