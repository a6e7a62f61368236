//! Stored chat text in the lake holds no personal data the PII detectors find, under the default
//! `[privacy] stored_chat_pii = "redact"` and under `"hash"`; with `"keep"` it is all there (so
//! the checks below can fail), and `"hash"` without a key refuses to start.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, Write};
use std::path::Path;

use cohort_jobs::lake_replay::{read_batches, table_files};
use cohort_jobs::moderation::pii::generate::generate as planted_pii;
use cohort_jobs::moderation::pii::{alerts, detect};
use cohort_jobs::privacy::SecretKey;
use cohort_schemas::Kind;
use cohort_schemas::event::Payload;
use cohort_schemas::lake::events_from_batch;
use common::*;

/// Planted messages: checksum-valid values of every kind, in Chinese and English sentences.
const PLANTED: usize = 400;

/// Generated traffic (which leaks phone numbers and e-mail addresses now and then) plus `PLANTED`
/// messages with checksum-valid PII of every kind; returns the input file and the planted values
/// the detectors find.
fn input(dir: &Path) -> (std::path::PathBuf, Vec<String>) {
    let generated = dir.join("generated.jsonl");
    generate(6_000, 31, &generated);
    let lines: Vec<String> = std::io::BufReader::new(std::fs::File::open(&generated).unwrap())
        .lines()
        .map(Result::unwrap)
        .collect();
    // Each planted message goes right after a generated chat message, with its time: on time.
    let path = dir.join("input.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut planted = planted_pii(PLANTED, 17).into_iter().enumerate();
    let mut values = Vec::new();
    for line in &lines {
        writeln!(out, "{line}").unwrap();
        let Ok(template) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if template["kind"] != "chat" || template["text"].is_null() {
            continue;
        }
        let Some((i, p)) = planted.next() else {
            continue;
        };
        let mut event = template;
        event["event_id"] = format!("planted-{i}").into();
        event["message_id"] = format!("planted-m{i}").into();
        event["text"] = p.message.clone().into();
        writeln!(out, "{event}").unwrap();
        // Recall is measured in moderation_pii.rs; here only what the detectors find must go.
        if alerts(&detect(&p.message)) {
            values.push(p.message[p.range].to_string());
        }
    }
    assert!(
        planted.next().is_none(),
        "too few chat messages to plant into"
    );
    drop(out);
    (path, values)
}

/// Every chat text stored in the lake.
fn stored_texts(data: &Path) -> Vec<String> {
    let mut texts = Vec::new();
    for path in table_files(&data.join("lake"), Kind::Chat.table(), None).unwrap() {
        read_batches(&path, |batch| {
            for event in events_from_batch(Kind::Chat, batch).unwrap() {
                if let Payload::Chat(chat) = event.payload {
                    texts.push(chat.text);
                }
            }
            Ok(())
        })
        .unwrap();
    }
    texts
}

/// `texts` without the hex tokens cohort itself writes into stored chat: member pseudonyms in
/// `@`-mentions (`pm_` and 32 hex digits, under a key generated per run) and hashed findings
/// (`[kind:` 16 hex digits `]`). A short planted value such as a five-digit QQ number turns up inside
/// such a token by chance (CI once found `32874` in a pseudonym), which is no leak.
fn without_cohort_tokens(texts: &[String]) -> Vec<String> {
    let tokens = regex::Regex::new(r"pm_[0-9a-f]{32}|\[[a-z_]+:[0-9a-f]{16}\]").unwrap();
    texts
        .iter()
        .map(|t| tokens.replace_all(t, "").into_owned())
        .collect()
}

/// The stored texts in which the detectors still find personal data, and the planted values that
/// appear verbatim in some stored text (outside cohort's own tokens).
fn leaks(texts: &[String], values: &[String]) -> (Vec<String>, Vec<String>) {
    let detected = texts
        .iter()
        .filter(|t| alerts(&detect(t)))
        .cloned()
        .collect();
    let searched = without_cohort_tokens(texts);
    let verbatim = values
        .iter()
        .filter(|v| searched.iter().any(|t| t.contains(v.as_str())))
        .cloned()
        .collect();
    (detected, verbatim)
}

fn run(input: &Path, data: &Path, storage: &str, key: Option<&str>) -> std::process::Output {
    let mut cmd = cohort();
    cmd.env("COHORT__PRIVACY__STORED_CHAT_PII", storage)
        .env("RUST_LOG", "info")
        .env_remove("COHORT_PRIVACY_KEY")
        .args(["run", "--source", "file", "--input"])
        .arg(input)
        .arg("--data-dir")
        .arg(data);
    if let Some(key) = key {
        cmd.env("COHORT_PRIVACY_KEY", key);
    }
    cmd.output().unwrap()
}

#[test]
fn the_lake_stores_no_detected_pii_when_redaction_or_hashing_is_on() {
    let dir = tempfile::tempdir().unwrap();
    let (input, values) = input(dir.path());

    let kept = dir.path().join("kept");
    assert!(run(&input, &kept, "keep", None).status.success());
    let kept_texts = stored_texts(&kept);
    let (detected, verbatim) = leaks(&kept_texts, &values);
    assert!(
        values.len() >= PLANTED * 98 / 100
            && verbatim.len() == values.len()
            && detected.len() >= values.len(),
        "with keep, the planted values are stored: {} of {} verbatim, {} texts with findings",
        verbatim.len(),
        values.len(),
        detected.len()
    );

    let redacted = dir.path().join("redacted");
    assert!(run(&input, &redacted, "redact", None).status.success());
    let texts = stored_texts(&redacted);
    assert_eq!(texts.len(), kept_texts.len(), "every message is stored");
    let (detected, verbatim) = leaks(&texts, &values);
    assert!(detected.is_empty(), "PII left in the lake: {detected:#?}");
    assert!(
        verbatim.is_empty(),
        "planted values in the lake: {verbatim:#?}"
    );
    let tokens = texts.iter().filter(|t| t.contains("[mobile]")).count();
    assert!(tokens > 0, "no [mobile] token among {} texts", texts.len());

    let hashed = dir.path().join("hashed");
    let key = "a secret key for this test only";
    let out = run(&input, &hashed, "hash", Some(key));
    assert!(out.status.success());
    // the log names the key by its id, never the key itself
    let stderr = String::from_utf8_lossy(&out.stderr);
    let id = SecretKey::new(key.as_bytes(), "test")
        .unwrap()
        .id()
        .to_string();
    assert!(stderr.contains(&id) && !stderr.contains(key), "{stderr}");
    let texts = stored_texts(&hashed);
    let (detected, verbatim) = leaks(&texts, &values);
    assert!(detected.is_empty(), "PII left in the lake: {detected:#?}");
    assert!(
        verbatim.is_empty(),
        "planted values in the lake: {verbatim:#?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("[email:")),
        "no hashed e-mail token"
    );
    assert!(
        !std::fs::read_to_string(hashed.join("lake/_manifest/ingest.json"))
            .unwrap_or_default()
            .contains(key)
    );
}

#[test]
fn hashing_without_a_key_refuses_to_start_and_says_where_the_key_goes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    generate(100, 2, &input);
    let out = run(&input, &dir.path().join("data"), "hash", None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("COHORT_PRIVACY_KEY") && stderr.contains("privacy.key_file"),
        "{stderr}"
    );
}
