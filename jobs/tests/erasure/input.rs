//! The erasure test's input: generated traffic in which one member (with chat, views or likes,
//! and payments) is renamed to a distinctive raw id, so that a byte search for it cannot match
//! anything by chance; plus a message of theirs that leaks a phone number (a moderation alert
//! about them), and a message of another member that mentions them.

use std::collections::BTreeMap;
use std::path::Path;

use cohort_schemas::Decoder;
use serde_json::{Value, json};

use crate::common::*;

/// The member to erase, as the events carry them.
pub const RAW: &str = "erasure-test-member-7f3a";

/// The event id of the other member's message that mentions [`RAW`].
pub const MENTION: &str = "erasure-test-mention";

/// What the input holds.
pub struct Input {
    /// The lines before the erasure request.
    pub lines: Vec<String>,
    /// The community of [`RAW`]'s events.
    pub community: String,
    /// The newest event time of the input (ms).
    pub last_ts_ms: i64,
}

impl Input {
    /// Writes the input to `path`, with `RAW`'s erasure request after everything else when
    /// `erase` is set.
    pub fn write(&self, path: &Path, erase: bool) {
        let mut text = self.lines.join("\n");
        text.push('\n');
        if erase {
            let request = json!({"v": 1, "kind": "erasure", "event_id": "erasure-test-request",
                "ts": self.last_ts_ms + 1000, "community_id": self.community, "user_id": RAW});
            text.push_str(&format!("{request}\n"));
        }
        std::fs::write(path, text).unwrap();
    }
}

/// Builds the input from `events` generated events of `seed` (in `dir`).
pub fn build(dir: &Path, events: u64, seed: u64) -> Input {
    let generated = dir.join("generated.jsonl");
    generate(events, seed, &generated);
    let text = std::fs::read_to_string(&generated).unwrap();
    let decoder = Decoder::new(cohort_schemas::Limits::default());
    let valid: Vec<Option<Value>> = text
        .lines()
        .map(|l| {
            decoder
                .decode(l.as_bytes())
                .ok()
                .and_then(|_| serde_json::from_str(l).ok())
        })
        .collect();
    let old = pick_member(valid.iter().flatten());
    let mut lines = Vec::new();
    let mut community = String::new();
    let mut last_ts_ms = 0;
    let mut own_chat = None;
    let mut other_chat = None;
    for (line, event) in text.lines().zip(&valid) {
        let Some(event) = event else {
            // Records that do not decode are dead-lettered with their raw bytes; keep none that
            // could name the member (the lake cannot match raw bytes to an erasure).
            if !line.contains(&old) {
                lines.push(line.to_string());
            }
            continue;
        };
        let mut event = event.clone();
        rename(&mut event, &old);
        if let Some(ts) = ts_ms(&event) {
            last_ts_ms = last_ts_ms.max(ts);
        }
        if event["user_id"] == RAW {
            community = event["community_id"].as_str().unwrap().to_string();
            if event["kind"] == "chat" {
                own_chat = Some(event.clone());
            }
        } else if event["kind"] == "chat" && event["community_id"] == community.as_str() {
            other_chat = Some(event.clone());
        }
        lines.push(event.to_string());
    }
    let mut leak = own_chat.expect("the member chats");
    leak["event_id"] = json!("erasure-test-leak");
    leak["message_id"] = json!("erasure-test-leak-m");
    leak["text"] = json!("call me at 13812345678 tonight");
    lines.push(leak.to_string());
    let mut mention = other_chat.expect("another member chats in the member's community");
    mention["event_id"] = json!(MENTION);
    mention["message_id"] = json!("erasure-test-mention-m");
    mention["text"] = json!(format!("thanks @{RAW} for the notes"));
    mention["mentions"] = json!([RAW]);
    lines.push(mention.to_string());
    Input {
        lines,
        community,
        last_ts_ms,
    }
}

/// The valid events' member with chat, payments and views or likes, and the most events.
fn pick_member<'a>(events: impl Iterator<Item = &'a Value>) -> String {
    let mut kinds: BTreeMap<String, (usize, [bool; 3])> = BTreeMap::new();
    for e in events {
        let (Some(user), Some(kind)) = (e["user_id"].as_str(), e["kind"].as_str()) else {
            continue;
        };
        let entry = kinds.entry(user.to_string()).or_default();
        entry.0 += 1;
        match kind {
            "chat" => entry.1[0] = true,
            "payment" => entry.1[1] = true,
            "view" | "like" => entry.1[2] = true,
            _ => {}
        }
    }
    kinds
        .into_iter()
        .filter(|(_, (_, has))| has.iter().all(|h| *h))
        .max_by_key(|(user, (n, _))| (*n, std::cmp::Reverse(user.clone())))
        .map(|(user, _)| user)
        .expect("some member has chat, payments and views or likes")
}

/// Renames member `old` to [`RAW`] wherever `event` names them.
fn rename(event: &mut Value, old: &str) {
    for field in ["user_id", "author_id"] {
        if event[field] == old {
            event[field] = json!(RAW);
        }
    }
    if let Some(mentions) = event["mentions"].as_array_mut() {
        for m in mentions.iter_mut().filter(|m| *m == old) {
            *m = json!(RAW);
        }
    }
    if let Some(text) = event["text"].as_str() {
        let mention = format!("@{old}");
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(&mention) {
            let after = &rest[at + mention.len()..];
            out.push_str(&rest[..at]);
            // `@u0-12` is not a mention of `u0-1`.
            if after.starts_with(|c: char| c.is_ascii_digit()) {
                out.push_str(&mention);
            } else {
                out.push('@');
                out.push_str(RAW);
            }
            rest = after;
        }
        out.push_str(rest);
        event["text"] = json!(out);
    }
}

/// An event's time in ms (numbers as they are; RFC 3339 strings parsed).
fn ts_ms(event: &Value) -> Option<i64> {
    match &event["ts"] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => cohort_schemas::time::parse_rfc3339_ms(s),
        _ => None,
    }
}
