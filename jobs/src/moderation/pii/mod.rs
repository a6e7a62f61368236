//! Personal data in chat: phone numbers, e-mail addresses, resident ID numbers, bank cards, IBANs,
//! invite links and messenger handles, found in the normalised text (so `１３８ 1234 5678`,
//! `一三八一二三四五六七八` and `w.e.c.h.a.t` tricks do not hide them) and reported with their byte
//! range in the original message, ready to be redacted there.
//!
//! Plain links are reported too (kind [`PiiKind::Url`]: the spam rules count them) but are not
//! personal data: [`PiiKind::alerts`] is false for them, and a message with only links raises no
//! `pii` alert. Invite links to private groups are contact details and do.

pub mod checksums;
pub mod eval;
pub mod generate;
mod handles;
mod iban;
mod numbers;
mod web;

use std::ops::Range;

use serde::Serialize;

/// What a detector appends to: (kind, byte range in the normalised text).
type Raw = Vec<(PiiKind, Range<usize>)>;

use super::normalize::chars::is_cjk;
use super::normalize::{Normalized, normalize};

/// What was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    /// Mainland-China mobile number (11 digits, 1[3-9] prefix, optionally +86).
    Mobile,
    /// Mainland-China landline with area code.
    Landline,
    /// E-mail address.
    Email,
    /// 18-character resident ID with a valid ISO 7064 MOD 11-2 check character.
    ResidentId,
    /// Payment card number (15–19 digits, Luhn-valid).
    BankCard,
    /// IBAN with a valid mod-97 check.
    Iban,
    /// Link to a private group or chat (Telegram, WhatsApp, Discord, WeChat/QQ groups).
    InviteLink,
    /// WeChat, QQ or Telegram handle after a cue word.
    Handle,
    /// Any other link: reported for the spam rules, not a `pii` alert.
    Url,
}

impl PiiKind {
    /// Every kind that is personal data.
    pub const ALERTING: [PiiKind; 8] = [
        PiiKind::Mobile,
        PiiKind::Landline,
        PiiKind::Email,
        PiiKind::ResidentId,
        PiiKind::BankCard,
        PiiKind::Iban,
        PiiKind::InviteLink,
        PiiKind::Handle,
    ];

    /// Whether this kind is personal data that raises a `pii` alert.
    pub fn alerts(self) -> bool {
        self != PiiKind::Url
    }
}

/// One finding, in both texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What it is.
    pub kind: PiiKind,
    /// Byte range in the normalised text.
    pub normalized: Range<usize>,
    /// Byte range in the original message.
    pub original: Range<usize>,
}

/// Everything found in one message.
pub fn detect(message: &str) -> Vec<Finding> {
    detect_in(&normalize(message))
}

/// Everything found in an already normalised message, in order, without findings nested in a
/// larger one (a handle that is also a phone number is reported once, as the longer of the two or,
/// when equal, the first detector's kind: numbers before handles).
pub fn detect_in(norm: &Normalized) -> Vec<Finding> {
    let text = norm.text();
    let mut raw: Raw = Vec::new();
    if may_hold_digits(text) {
        numbers::find(text, &mut raw);
        iban::find(text, &mut raw);
    }
    web::find(text, &mut raw);
    handles::find(text, &mut raw);
    let ours = placeholders(text);
    if !ours.is_empty() {
        raw.retain(|(_, r)| !ours.iter().any(|p| p.start < r.end && r.start < p.end));
    }
    raw.sort_by_key(|(_, r)| (r.start, std::cmp::Reverse(r.end)));
    let mut out: Vec<Finding> = Vec::with_capacity(raw.len());
    for (kind, r) in raw {
        if out
            .last()
            .is_some_and(|f| f.normalized.start <= r.start && r.end <= f.normalized.end)
        {
            continue;
        }
        if let Some(original) = norm.original_range(r.clone()) {
            out.push(Finding {
                kind,
                normalized: r,
                original,
            });
        }
    }
    out
}

/// Whether `text` may hold a decimal digit, which every number and IBAN match needs (their `\d` is
/// Unicode's decimal digits, Nd). Most chat holds none, and those two patterns, which have no
/// literal to search for first, were run over every message in full. No decimal digit lies below
/// U+0660 outside ASCII or among Han ideographs, so ASCII and Chinese text are answered without
/// Unicode's tables; `char::is_numeric` (Nd, Nl and No) may say yes where `\d` would not, never the
/// reverse.
fn may_hold_digits(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_digit())
        || (!text.is_ascii()
            && text
                .chars()
                .any(|c| c >= '\u{660}' && !is_cjk(c) && c.is_numeric()))
}

/// Byte ranges of cohort's own placeholders in normalised text: `[mobile]` as [`redact`] writes
/// them, `[mobile:0123456789abcdef]` as the keyed-hash policy does, and member pseudonyms
/// (`pm_` and 32 hex digits) that ingest writes in place of `@`-mentions. Findings overlapping one
/// are dropped (the hex of a hash can look like a landline), so stored text scanned again finds
/// nothing, redacting twice changes nothing, and a mention never reads as a phone number.
fn placeholders(text: &str) -> Vec<Range<usize>> {
    let mut out = crate::privacy::member_ids::pseudonym_ranges(text);
    for (open, _) in text.match_indices('[') {
        let rest = &text[open + 1..];
        let Some(close) = rest.find(']').filter(|&c| c <= 40) else {
            continue;
        };
        let inner = &rest[..close];
        let (label, hash) = match inner.split_once(':') {
            Some((label, hash)) => (label, Some(hash)),
            None => (inner, None),
        };
        let hash_ok = hash.is_none_or(|h| {
            h.len() == 16
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        if hash_ok && PiiKind::ALERTING.iter().any(|k| k.label() == label) {
            out.push(open..open + close + 2);
        }
    }
    out
}

/// Whether any finding raises a `pii` alert.
pub fn alerts(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.kind.alerts())
}

/// The original message with every alerting finding replaced by `[kind]` (e.g. `[mobile]`): what
/// the lake stores when redaction is on.
pub fn redact(original: &str, findings: &[Finding]) -> String {
    replace(original, findings, |f| format!("[{}]", f.kind.label()))
}

/// The original message with every alerting finding replaced by `token(finding)` (findings
/// overlapping an earlier one are left to it).
pub fn replace(
    original: &str,
    findings: &[Finding],
    mut token: impl FnMut(&Finding) -> String,
) -> String {
    let mut alerting: Vec<&Finding> = findings.iter().filter(|f| f.kind.alerts()).collect();
    alerting.sort_by_key(|f| f.original.start);
    let mut out = String::with_capacity(original.len());
    let mut at = 0;
    for f in alerting {
        let r = &f.original;
        if r.start < at || r.end > original.len() {
            continue;
        }
        out.push_str(&original[at..r.start]);
        out.push_str(&token(f));
        at = r.end;
    }
    out.push_str(&original[at..]);
    out
}

impl PiiKind {
    /// The snake_case name used in alerts and redactions.
    pub fn label(self) -> &'static str {
        match self {
            PiiKind::Mobile => "mobile",
            PiiKind::Landline => "landline",
            PiiKind::Email => "email",
            PiiKind::ResidentId => "resident_id",
            PiiKind::BankCard => "bank_card",
            PiiKind::Iban => "iban",
            PiiKind::InviteLink => "invite_link",
            PiiKind::Handle => "handle",
            PiiKind::Url => "url",
        }
    }
}

/// What a detector finds in normalised text, as (kind, matched text): for the detectors' own tests.
#[cfg(test)]
fn found_by(detector: fn(&str, &mut Raw), text: &str) -> Vec<(PiiKind, &str)> {
    let mut out = Vec::new();
    detector(text, &mut out);
    out.into_iter().map(|(k, r)| (k, &text[r])).collect()
}

#[cfg(test)]
mod tests;
