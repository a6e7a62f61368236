//! Tests of fitting, scoring and the model file.

use super::*;

/// A toy corpus: spam offers money and contacts, ham talks about the course.
fn corpus() -> Vec<(String, bool)> {
    let spam = [
        "FREE entry! win cash now, call 08712345678",
        "加微信领取免费课程资料 vx123456",
        "Congratulations you won a prize, text WIN to 80082",
        "免费领取 加我微信 带你赚钱",
        "urgent! claim your free cash prize now",
        "兼职刷单日赚500 加v",
    ];
    let ham = [
        "see you at the meetup tonight",
        "这节课讲得很清楚，谢谢老师",
        "can you share the slides from lesson 3?",
        "我明天再看一遍作业",
        "thanks, the rust lifetimes part finally clicked",
        "今天的直播几点开始？",
    ];
    let mut out = Vec::new();
    for round in 0..4 {
        for s in spam {
            out.push((format!("{s} {round}"), true));
        }
        for h in ham {
            out.push((format!("{h} {round}"), false));
        }
    }
    out
}

fn options(policy: ThresholdPolicy) -> FitOptions {
    FitOptions {
        features: FeatureConfig {
            bits: 16,
            ..FeatureConfig::default()
        },
        policy,
        ..FitOptions::default()
    }
}

fn fitted(policy: ThresholdPolicy) -> Classifier {
    let data = corpus();
    fit_texts(data.iter().map(|(t, y)| (t.as_str(), *y)), &options(policy))
}

#[test]
fn flags_unseen_spam_and_passes_unseen_ham() {
    let model = fitted(ThresholdPolicy::Zero);
    assert!(model.flags("claim your FREE prize, call now"));
    assert!(model.flags("加 微 信 免费领取"));
    assert!(!model.flags("see you at the lesson tonight"));
    assert!(!model.flags("老师讲得很清楚"));
    assert_eq!(model.header().examples, 48);
    assert_eq!(model.header().positives, 24);
}

#[test]
fn budget_threshold_flags_no_training_negative() {
    let data = corpus();
    let model = fitted(ThresholdPolicy::NegativeBudget(0.0));
    assert!(data.iter().filter(|d| !d.1).all(|(t, _)| !model.flags(t)));
}

#[test]
fn model_file_round_trips() {
    let model = fitted(ThresholdPolicy::MaxAccuracy);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.bin");
    file::save(&model, &path).unwrap();
    let loaded = file::load(&path).unwrap();
    assert_eq!(loaded, model);
    let text = "free cash, call now";
    assert_eq!(loaded.margin(text), model.margin(text));
}

#[test]
fn model_file_errors_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.bin");
    file::save(&fitted(ThresholdPolicy::Zero), &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();

    let other = dir.path().join("other.bin");
    std::fs::write(&other, b"PK\x03\x04 a zip file").unwrap();
    assert!(matches!(
        file::load(&other),
        Err(file::ModelFileError::NotAModel { .. })
    ));

    let mut newer = bytes.clone();
    newer[8..12].copy_from_slice(&99u32.to_le_bytes());
    std::fs::write(&other, &newer).unwrap();
    let err = file::load(&other).unwrap_err();
    assert!(matches!(
        err,
        file::ModelFileError::Version { found: 99, .. }
    ));
    assert!(err.to_string().contains("other.bin"));

    std::fs::write(&other, &bytes[..bytes.len() - 3]).unwrap();
    assert!(matches!(
        file::load(&other),
        Err(file::ModelFileError::Corrupt { .. })
    ));

    let missing = dir.path().join("missing.bin");
    assert!(matches!(
        file::load(&missing),
        Err(file::ModelFileError::Io { .. })
    ));
}

#[test]
fn scoring_without_the_sorted_vector_gives_the_same_margin() {
    let mut scratch = features::Scratch::default();
    for policy in [ThresholdPolicy::Zero, ThresholdPolicy::MaxAccuracy] {
        let model = fitted(policy);
        let long = "免费 free 加微信 ".repeat(200);
        for text in corpus().iter().map(|(t, _)| t.as_str()).chain([
            "",
            " ",
            "aaaa aaaa aaaa",
            long.as_str(),
        ]) {
            let norm = crate::moderation::normalize::normalize(text);
            let fast = model.margin_normalized(norm.text(), &mut scratch);
            let slow = model.margin(text);
            assert!((fast - slow).abs() < 1e-5, "{text}: {fast} vs {slow}");
        }
    }
}
