//! `cohort train moderation` and `cohort eval moderation` end to end through the built binary, on
//! small labelled files written here in the three layouts (SMS, COLD-like CSV, generic CSV).
#![allow(clippy::unwrap_used)]

mod common;

use std::fmt::Write;
use std::path::Path;
use std::process::Output;

use cohort_jobs::moderation::classifier::file;

/// `cohort ARGS FILES...`, run to its end.
fn cohort(args: &[&str], files: &[&Path]) -> Output {
    let mut command = common::cohort();
    command.args(args).args(files);
    command.output().unwrap()
}

/// The standard output of a run that must have succeeded.
fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "cohort failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Spam offers prizes and numbers; ham is everyday chat. Varied so that folds differ.
fn sms_file() -> String {
    let offers = [
        "free cash prize",
        "win a holiday",
        "claim your reward",
        "cheap loans",
        "free ringtones",
    ];
    let chat = [
        "see you at lunch",
        "the lecture was good",
        "call me later ok",
        "running late sorry",
        "what time is it",
    ];
    let mut s = String::from("Label\tSMS\n");
    for i in 0..60 {
        writeln!(
            s,
            "spam\tURGENT! {} txt {} to 8{:04} now",
            offers[i % 5],
            i,
            i * 37
        )
        .unwrap();
    }
    for i in 0..140 {
        writeln!(
            s,
            "ham\t{} {}",
            chat[i % 5],
            ["mate", "dear", "bro", "thx"][i % 4]
        )
        .unwrap();
    }
    s
}

/// A COLD-like CSV: BOM, an unnamed index column, quoted text with a comma and a line break.
fn cold_file(rows: usize) -> String {
    let abuse = [
        "你这个垃圾",
        "滚出去吧蠢货",
        "这种人就是废物",
        "脑残才会这么说",
    ];
    let fine = [
        "今天天气很好",
        "谢谢你的分享",
        "这个观点很有意思",
        "我同意你的看法",
    ];
    let mut s = String::from("\u{FEFF},split,topic,label,TEXT\n");
    for i in 0..rows {
        let (label, text) = if i % 2 == 0 {
            (1, abuse[i % 4])
        } else {
            (0, fine[i % 4])
        };
        writeln!(s, "{i},train,race,{label},\"{text},第{i}条\n完\"").unwrap();
    }
    s
}

#[test]
fn eval_cross_validation_prints_json_with_the_issue_keys() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sms.tsv");
    std::fs::write(&data, sms_file()).unwrap();
    let out = ok(cohort(
        &[
            "eval",
            "moderation",
            "--format",
            "sms",
            "--folds",
            "4",
            "--max-negatives-flagged",
            "0.05",
            "--bits",
            "16",
            "--json",
            "--data",
        ],
        &[&data],
    ));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in ["precision", "recall", "f1", "accuracy", "negatives_flagged"] {
        assert!(json[key].is_number(), "{key} in {out}");
    }
    assert_eq!(json["scored"], 200);
    assert!(json["f1"].as_f64().unwrap() > 0.9, "{out}");
    assert!(json["negatives_flagged"].as_f64().unwrap() <= 0.05, "{out}");
}

#[test]
fn train_writes_a_model_that_loads_and_eval_train_test_prints_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("train.csv");
    let test = dir.path().join("dev.csv");
    std::fs::write(&train, cold_file(80)).unwrap();
    std::fs::write(&test, cold_file(20)).unwrap();
    let model = dir.path().join("model.bin");
    let out = ok(cohort(
        &[
            "train",
            "moderation",
            "--format",
            "cold",
            "--bits",
            "16",
            "--data",
        ],
        &[&train, Path::new("--out"), &model],
    ));
    assert!(out.contains("80 examples (40 positive)"), "{out}");
    let loaded = file::load(&model).unwrap();
    assert!(loaded.flags("你这个垃圾"));
    assert!(!loaded.flags("谢谢你的分享"));

    let table = ok(cohort(
        &[
            "eval",
            "moderation",
            "--format",
            "cold",
            "--bits",
            "16",
            "--train",
        ],
        &[&train, Path::new("--test"), &test],
    ));
    // Columns: classifier alone, lexicon rules alone, either flagging.
    let accuracy: Vec<&str> = table
        .lines()
        .find(|l| l.starts_with("accuracy"))
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    assert_eq!(accuracy.get(1), Some(&"1.0000"), "{table}");
    assert_eq!(accuracy.len(), 4, "{table}");
}

#[test]
fn bad_input_fails_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bad.csv");
    std::fs::write(&data, "label,text\n1,fine\nmaybe,what\n").unwrap();
    let out = cohort(
        &["eval", "moderation", "--format", "csv", "--data"],
        &[&data],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.csv:3"), "{err}");

    let out = cohort(&["eval", "moderation", "--format", "csv"], &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--data FILE"));
}
