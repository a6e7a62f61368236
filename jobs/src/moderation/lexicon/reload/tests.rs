//! Tests of reloading: a changed file or config is picked up, a broken one keeps the old set.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{ConfigLoader, ReloadableLexicons};
use crate::moderation::lexicon::tests::phrases;
use crate::moderation::lexicon::{LexiconConfig, LexiconError};

/// A lexicon file of kind `custom` holding `phrase`.
fn custom(phrase: &str) -> String {
    format!(
        "# lexicon: custom\n# kind: custom\n# severity: major\n# source: tests\n\
         # licence: Apache-2.0\n{phrase}\n"
    )
}

/// Writes `text` and gives the file a modification time of its own, so that a change is seen
/// however coarse the file system's clock.
fn write(path: &Path, text: &str, version: u64) {
    fs::write(path, text).unwrap();
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + version);
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

/// A config with no shipped lexicons and these extra files.
fn only(extra_files: Vec<PathBuf>) -> LexiconConfig {
    LexiconConfig {
        builtin: false,
        extra_files,
        ..LexiconConfig::default()
    }
}

#[test]
fn reload_picks_up_a_changed_file_and_keeps_the_old_set_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custom.txt");
    write(&path, &custom("first phrase"), 1);
    let lexicons = ReloadableLexicons::new(only(vec![path.clone()])).unwrap();
    let before = lexicons.current();
    assert_eq!(phrases(&before, "c", "the first phrase"), ["first phrase"]);
    assert!(!lexicons.reload_if_changed().unwrap());

    write(&path, &custom("second phrase here"), 2);
    assert!(lexicons.reload_if_changed().unwrap());
    assert!(phrases(&lexicons.current(), "c", "the first phrase").is_empty());
    assert_eq!(
        phrases(&lexicons.current(), "c", "a second phrase here"),
        ["second phrase here"]
    );
    // a set taken before the reload stays as it was
    assert_eq!(phrases(&before, "c", "the first phrase"), ["first phrase"]);

    let no_licence = "# lexicon: custom\n# kind: custom\n# severity: major\n# source: t\nbroken\n";
    write(&path, no_licence, 3);
    let e = lexicons.reload_if_changed().unwrap_err();
    assert!(
        matches!(
            e,
            LexiconError::MissingField {
                field: "licence",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("custom.txt"), "{e}");
    assert_eq!(
        phrases(&lexicons.current(), "c", "a second phrase here"),
        ["second phrase here"]
    );
    assert!(phrases(&lexicons.current(), "c", "broken").is_empty());
    // reported once, then retried when the file changes again
    assert!(!lexicons.reload_if_changed().unwrap());
    write(&path, &custom("fixed phrase"), 4);
    assert!(lexicons.reload_if_changed().unwrap());
    assert_eq!(
        phrases(&lexicons.current(), "c", "fixed phrase"),
        ["fixed phrase"]
    );

    fs::remove_file(&path).unwrap();
    assert!(matches!(
        lexicons.reload_if_changed(),
        Err(LexiconError::Read { .. })
    ));
    assert_eq!(
        phrases(&lexicons.current(), "c", "fixed phrase"),
        ["fixed phrase"]
    );
}

#[test]
fn reload_rereads_a_changed_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lexicons.toml");
    write(
        &path,
        "builtin = false\n[communities.c1]\nblock = [\"zebra crossing\"]\n",
        1,
    );
    let from = path.clone();
    let loader: ConfigLoader = Box::new(move || -> Result<LexiconConfig, LexiconError> {
        let fail = |message: String| LexiconError::Config {
            path: from.clone(),
            message,
        };
        let text = fs::read_to_string(&from).map_err(|e| fail(e.to_string()))?;
        toml::from_str(&text).map_err(|e| fail(e.to_string()))
    });
    let lexicons = ReloadableLexicons::with_config_file(path.clone(), loader).unwrap();
    assert_eq!(
        phrases(&lexicons.current(), "c1", "a zebra crossing"),
        ["zebra crossing"]
    );
    assert!(phrases(&lexicons.current(), "c2", "a zebra crossing").is_empty());

    write(
        &path,
        "builtin = false\n[communities.c1]\nblok = [\"x\"]\n",
        2,
    );
    let e = lexicons.reload_if_changed().unwrap_err();
    assert!(e.to_string().contains("blok"), "{e}");
    assert_eq!(
        phrases(&lexicons.current(), "c1", "a zebra crossing"),
        ["zebra crossing"]
    );

    write(
        &path,
        "builtin = false\n[communities.c2]\nblock = [\"zebra crossing\"]\n",
        3,
    );
    assert!(lexicons.reload_if_changed().unwrap());
    assert!(phrases(&lexicons.current(), "c1", "a zebra crossing").is_empty());
    assert_eq!(
        phrases(&lexicons.current(), "c2", "a zebra crossing"),
        ["zebra crossing"]
    );
}
