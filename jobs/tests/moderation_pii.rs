//! PII detection at scale: recall on 10,000 generated, checksum-valid values planted in Chinese and
//! English sentences (issue 6 asks for ≥ 0.99), redaction leaving nothing detectable, and
//! `cohort eval pii` end to end on a small file written here.
#![allow(clippy::unwrap_used)]

mod common;

use cohort_jobs::moderation::pii::eval::{recall, scan};
use cohort_jobs::moderation::pii::generate::{KINDS, generate};
use cohort_jobs::moderation::pii::{alerts, detect, redact};

#[test]
fn recall_on_ten_thousand_generated_values_is_at_least_99_percent() {
    for seed in [1, 2] {
        let report = recall(10_000, seed, 5);
        assert_eq!(report.generated, 10_000);
        assert!(report.recall >= 0.99, "seed {seed}: {report:?}");
        assert_eq!(report.by_kind.len(), KINDS.len());
        for (kind, (n, found)) in &report.by_kind {
            assert!(*found as f64 >= 0.98 * *n as f64, "{kind}: {found}/{n}");
        }
    }
}

#[test]
fn redacted_messages_hold_no_detectable_pii() {
    for planted in generate(2_000, 7) {
        let findings = detect(&planted.message);
        let redacted = redact(&planted.message, &findings);
        assert!(
            !alerts(&detect(&redacted)),
            "{} -> {redacted}",
            planted.message
        );
        assert!(
            !redacted.contains(&planted.message[planted.range.clone()]),
            "{} -> {redacted}",
            planted.message
        );
    }
}

#[test]
fn ordinary_messages_raise_no_alert() {
    let messages: Vec<String> = [
        "Ok lar... Joking wif u oni...",
        "I'll be there at 7.30, room 1204",
        "Did you see https://meta.stackexchange.com/questions/12345 ?",
        "这周的作业是第 3 章和第 4 章，截止 2026-11-30",
        "costs 1,299 yuan; order 2018081200123 shipped",
        "@GPierce thanks, see my answer on e.g. the wiki",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let report = scan(&messages, 10);
    assert_eq!(report.alerted, 0, "{report:?}");
    assert_eq!(report.findings.get("url"), Some(&1));
}

#[test]
fn eval_pii_command_reports_the_alert_share() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sms.tsv");
    std::fs::write(
        &data,
        "ham\tsee you at 5\nham\tmy number is 13812345678\nspam\tcall 13912345678 now\nham\tok\n",
    )
    .unwrap();
    let mut command = common::cohort();
    command
        .args(["eval", "pii", "--format", "sms", "--json", "--data"])
        .arg(&data);
    let json: serde_json::Value = serde_json::from_slice(&common::ok(command).stdout).unwrap();
    assert_eq!(json["messages"], 3); // the ham only
    assert_eq!(json["alerted"], 1);

    let mut command = common::cohort();
    command.args(["eval", "pii", "--generated", "800", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&common::ok(command).stdout).unwrap();
    assert!(json["recall"].as_f64().unwrap() >= 0.99, "{json}");
}
