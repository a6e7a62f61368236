//! Tests of the evaluation protocols on a small fixture written here.

use super::*;
use crate::moderation::classifier::features::FeatureConfig;

/// 40 spam and 60 ham lines in the SMS layout, varied enough that folds differ.
fn sms_fixture() -> String {
    let mut s = String::from("Label\tSMS\n");
    let offers = [
        "free cash prize",
        "win a holiday",
        "claim your reward",
        "cheap loans",
    ];
    let chat = [
        "see you at lunch",
        "the lecture was good",
        "call me later ok",
        "running late sorry",
    ];
    for i in 0..40 {
        s += &format!(
            "spam\tURGENT {} call 0800{:06} now\n",
            offers[i % 4],
            i * 7919
        );
    }
    for i in 0..60 {
        s += &format!("ham\t{} number {i}\n", chat[i % 4]);
    }
    s
}

fn options() -> FitOptions {
    FitOptions {
        features: FeatureConfig {
            bits: 16,
            ..FeatureConfig::default()
        },
        ..FitOptions::default()
    }
}

#[test]
fn cross_validation_separates_the_fixture_and_reports_the_issue_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sms.tsv");
    std::fs::write(&path, sms_fixture()).unwrap();
    let protocol = Protocol::CrossValidation {
        data: path,
        folds: 5,
        seed: 1,
    };
    let report = evaluate(&protocol, DataFormat::Sms, &options()).unwrap();
    assert_eq!(report.scored, 100);
    assert_eq!(report.positives, 40);
    assert_eq!(report.fold_f1.len(), 5);
    assert!(report.classifier.f1 > 0.95, "{report:?}");
    assert!(report.classifier.negatives_flagged < 0.02, "{report:?}");
    let json = serde_json::to_value(&report).unwrap();
    for key in ["precision", "recall", "f1", "accuracy", "negatives_flagged"] {
        assert!(json[key].is_number(), "{key}");
    }
    assert_eq!(json["scope"], "classifier");
    for key in ["precision", "recall", "f1", "accuracy", "negatives_flagged"] {
        assert!(json["rules_and_classifier"][key].is_number(), "{key}");
    }
    assert!(table::render(&report).contains("negatives_flagged"));
}

/// Trains on the fixture and scores `test` (SMS layout).
fn train_test_report(test: &str) -> EvalReport {
    let dir = tempfile::tempdir().unwrap();
    let train_path = dir.path().join("train.tsv");
    let test_path = dir.path().join("test.tsv");
    std::fs::write(&train_path, sms_fixture()).unwrap();
    std::fs::write(&test_path, test).unwrap();
    let protocol = Protocol::TrainTest {
        train: train_path,
        test: test_path,
    };
    evaluate(&protocol, DataFormat::Sms, &options()).unwrap()
}

#[test]
fn train_test_scores_the_second_file_only() {
    let report = train_test_report(
        "spam\tURGENT claim your reward call 0800123 now\nham\tsee you at lunch\n",
    );
    assert_eq!(report.scored, 2);
    assert_eq!(report.classifier.accuracy, 1.0);
    assert_eq!(report.folds, None);
}

#[test]
fn rules_and_classifier_flag_what_either_flags() {
    // The classifier has never seen the first line's words; the spam lexicon has the phrase.
    let report = train_test_report(
        "spam\tmy mentor showed me guaranteed returns every week\n\
         ham\tsee you at lunch\n\
         ham\tthe returns of this function are guaranteed to be sorted\n",
    );
    let rules = report.rules_alone.confusion;
    assert_eq!((rules.true_positives, rules.false_positives), (1, 0));
    let both = report.rules_and_classifier.confusion;
    assert_eq!(both.true_positives, 1);
    assert_eq!(
        both.false_positives, report.classifier.confusion.false_positives,
        "the rules add no false alert here"
    );
    assert!(table::render(&report).contains("rules+clf"));
}

#[test]
fn too_few_examples_or_folds_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sms.tsv");
    std::fs::write(&path, "spam\tx\nham\ty\nham\tz\n").unwrap();
    let cv = |folds| Protocol::CrossValidation {
        data: path.clone(),
        folds,
        seed: 1,
    };
    let err = evaluate(&cv(5), DataFormat::Sms, &options()).unwrap_err();
    assert!(
        matches!(
            err,
            EvalError::TooFew {
                class: "positive",
                count: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(matches!(
        evaluate(&cv(1), DataFormat::Sms, &options()),
        Err(EvalError::Folds(1))
    ));
}
