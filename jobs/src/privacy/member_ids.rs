//! Member ids as cohort stores them: pseudonyms, made at ingest before any job or the lake sees
//! a record.
//!
//! A pseudonym is [`PREFIX`] followed by the first 128 bits, in hex, of HMAC-SHA256 under the
//! deployment's secret key of [`TAG`] followed by the raw id. Keyed, so nobody without the key can
//! test guesses (member ids are short and often sequential: an unkeyed hash of them is reversed by
//! trying them all); tagged, so a pseudonym never equals a chat-PII hash token made under the same
//! key from the same text; 128 bits, so two members of one deployment never share one.
//!
//! Every field of an event that names a member is replaced: `user_id` (the actor, for
//! `moderation_verdict` the moderator, for `erasure` the member to forget), a chat message's
//! `mentions` (and their `@`-mentions in its text) and an item's `author_id`. A moderation
//! verdict's `alert_id` is left as sent: it quotes an alert id as the alerts table and API give
//! it, with the pseudonym already in it.
//!
//! Pseudonymising is applied to records read from a source only: what the jobs read back from
//! the lake at start is already pseudonymised, and hashing it again would give other pseudonyms.
//! Values are never recognised by their look and skipped: a sender could otherwise pass another
//! member's pseudonym as its own raw id.

use cohort_pipeline::Record;
use cohort_schemas::event::Payload;
use serde::{Deserialize, Serialize};

use super::secret::{Hmac, SecretKey, hex};

/// What a pseudonym starts with ("pseudonymous member"), so one is told apart from a raw id at a
/// glance in query results.
pub const PREFIX: &str = "pm_";

/// The domain-separation tag hashed before the raw id (a NUL ends it: no text the chat-PII policy
/// hashes contains one).
pub const TAG: &[u8] = b"cohort/member-id/v1\0";

/// `[privacy] member_ids`: what the lake and the serving database store as member ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberIds {
    /// Pseudonyms under the secret key (the default).
    Pseudonymize,
    /// The ids as they arrived.
    Keep,
}

/// Replaces member ids by their pseudonyms under one key.
#[derive(Debug, Clone)]
pub struct Pseudonymizer {
    key: SecretKey,
    /// HMAC under the key with [`TAG`] already hashed.
    tagged: Hmac,
}

impl Pseudonymizer {
    /// Pseudonyms under `key`.
    pub fn new(key: SecretKey) -> Pseudonymizer {
        let tagged = key.hmac_state().with_prefix(TAG);
        Pseudonymizer { key, tagged }
    }

    /// The id of the key, recorded in every checkpoint so that a run under another key is refused.
    pub fn key_id(&self) -> &str {
        self.key.id()
    }

    /// The pseudonym of the raw member id `raw`.
    pub fn pseudonym(&self, raw: &str) -> String {
        format!("{PREFIX}{}", hex(&self.tagged.mac(raw.as_bytes())[..16]))
    }

    /// Pseudonymises every member id of an event record; other records pass unchanged (dead
    /// letters keep their raw bytes: `docs/privacy.md`).
    pub fn apply(&self, record: &mut Record) {
        let Record::Event(event) = record else {
            return;
        };
        self.replace(&mut event.user_id);
        match &mut event.payload {
            Payload::Chat(chat) => {
                if let Some(text) = self.mentions_in_text(&chat.text, &chat.mentions) {
                    chat.text = text;
                }
                chat.mentions.iter_mut().for_each(|m| self.replace(m));
            }
            Payload::Item(item) => {
                if let Some(author) = &mut item.author_id {
                    self.replace(author);
                }
            }
            Payload::View(_)
            | Payload::Like(_)
            | Payload::Payment(_)
            | Payload::Member(_)
            | Payload::Checkin(_)
            | Payload::Erasure
            | Payload::ModerationVerdict(_) => {}
        }
    }

    /// `text` with each `@`-mention of a member that `mentions` lists written with the member's
    /// pseudonym (`@u42` → `@pm_…`), or `None` when there is none: clients write a mention into
    /// the text as well, and a raw id there would reach the lake and the alerts' evidence. An id
    /// is replaced only as a whole (`@u4` is not the start of `@u42`).
    fn mentions_in_text(&self, text: &str, mentions: &[String]) -> Option<String> {
        if mentions.is_empty() || !text.contains('@') {
            return None;
        }
        let ends_id = |rest: &str| {
            rest.chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '-'))
        };
        let mut out = String::with_capacity(text.len() + 40);
        let mut rest = text;
        let mut changed = false;
        while let Some(at) = rest.find('@') {
            out.push_str(&rest[..=at]);
            rest = &rest[at + 1..];
            let mentioned = mentions
                .iter()
                .filter(|m| {
                    !m.is_empty() && rest.starts_with(m.as_str()) && ends_id(&rest[m.len()..])
                })
                .max_by_key(|m| m.len());
            if let Some(m) = mentioned {
                out.push_str(&self.pseudonym(m));
                rest = &rest[m.len()..];
                changed = true;
            }
        }
        out.push_str(rest);
        changed.then_some(out)
    }

    fn replace(&self, id: &mut String) {
        *id = self.pseudonym(id);
    }
}

/// Byte ranges of member pseudonyms ([`PREFIX`] and exactly 32 lower-case hex digits) in text:
/// where the PII detectors skip cohort's own tokens, and what compaction checks against the
/// erasure register. In normalised text the prefix's `_` may be gone (the normaliser drops
/// some separators).
pub fn pseudonym_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let letters = PREFIX.trim_end_matches('_');
    text.match_indices(letters)
        .filter_map(|(start, _)| {
            let mut at = start + letters.len();
            at += usize::from(bytes.get(at) == Some(&b'_'));
            let hex = bytes[at..]
                .iter()
                .take_while(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(*b))
                .count();
            (hex == 32).then(|| start..at + hex)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_schemas::Event;
    use cohort_schemas::event::{Chat, Item, ItemKind};

    fn key(text: &[u8]) -> SecretKey {
        SecretKey::new(text, "test").unwrap()
    }

    fn event(user: &str, payload: Payload) -> Record {
        Record::Event(Event {
            event_id: "e1".into(),
            ts_ms: 0,
            community_id: "c".into(),
            user_id: user.into(),
            payload,
            extra: None,
        })
    }

    #[test]
    fn a_pseudonym_is_the_prefix_and_128_bits_of_a_tagged_keyed_hash() {
        let p = Pseudonymizer::new(key(b"a test key that is long enough"));
        let a = p.pseudonym("u0-42");
        assert_eq!(a.len(), PREFIX.len() + 32, "{a}");
        assert!(a.starts_with(PREFIX) && a[PREFIX.len()..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, p.pseudonym("u0-42"), "deterministic");
        assert_ne!(a, p.pseudonym("u0-43"));
        let other = Pseudonymizer::new(key(b"another key, also long enough"));
        assert_ne!(
            a,
            other.pseudonym("u0-42"),
            "the pseudonym depends on the key"
        );
        // HMAC(key, tag ‖ raw), computed the plain way; the tag separates it from the untagged
        // hash the chat-PII tokens use
        let k = key(b"a test key that is long enough");
        let plain = hex(&k.hmac(&[TAG, b"u0-42"].concat())[..16]);
        assert_eq!(a, format!("{PREFIX}{plain}"));
        assert_ne!(&a[PREFIX.len()..], hex(&k.hmac(b"u0-42")[..16]));
    }

    #[test]
    fn every_member_field_of_an_event_is_replaced_and_nothing_else() {
        let p = Pseudonymizer::new(key(b"a test key that is long enough"));
        let mut chat = event(
            "u1",
            Payload::Chat(Chat {
                channel_id: "general".into(),
                message_id: "m1".into(),
                text: "@u2 @u3, @u21 and u2@ example.com: hi @u2.".into(),
                reply_to: None,
                mentions: vec!["u2".into(), "u3".into()],
                item_mentions: vec!["i1".into()],
            }),
        );
        p.apply(&mut chat);
        let Record::Event(e) = &chat else { panic!() };
        let Payload::Chat(c) = &e.payload else {
            panic!()
        };
        assert_eq!(e.user_id, p.pseudonym("u1"));
        assert_eq!(c.mentions, vec![p.pseudonym("u2"), p.pseudonym("u3")]);
        let (u2, u3) = (p.pseudonym("u2"), p.pseudonym("u3"));
        assert_eq!(
            c.text,
            format!("@{u2} @{u3}, @u21 and u2@ example.com: hi @{u2}.")
        );
        assert_eq!(c.item_mentions, vec!["i1".to_string()]);
        let mut item = event(
            "u4",
            Payload::Item(Item {
                item_id: "i1".into(),
                title: "t".into(),
                tags: vec![],
                price_minor: None,
                author_id: Some("u5".into()),
                item_kind: ItemKind::Post,
                deleted: false,
            }),
        );
        p.apply(&mut item);
        let Record::Event(e) = &item else { panic!() };
        let Payload::Item(i) = &e.payload else {
            panic!()
        };
        assert_eq!(i.author_id, Some(p.pseudonym("u5")));
        assert_eq!(e.user_id, p.pseudonym("u4"));
        let mut erasure = event("u6", Payload::Erasure);
        p.apply(&mut erasure);
        let Record::Event(e) = &erasure else { panic!() };
        assert_eq!(e.user_id, p.pseudonym("u6"));
    }
}
