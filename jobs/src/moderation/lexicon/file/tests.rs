//! Tests of the lexicon file format: what the header requires and how errors point at the line.

use std::fs;
use std::path::Path;

use super::{load, parse};
use crate::moderation::lexicon::LexiconError;

#[test]
fn header_errors_name_the_file_and_line() {
    let missing_licence =
        "# lexicon: bad\n# kind: abuse\n# severity: major\n# source: tests\nword\n";
    let e = parse(Path::new("bad-lexicon.txt"), missing_licence).unwrap_err();
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
    assert!(e.to_string().starts_with("bad-lexicon.txt: "), "{e}");

    let header = "# lexicon: bad\n# kind: abuse\n# severity: major\n# source: tests\n";
    for (text, line, needle) in [
        (format!("{header}# licnce: Apache-2.0\nword\n"), 5, "licnce"),
        (
            format!("{header}# licence: Apache-2.0\n# note: x\nword\n"),
            6,
            "note",
        ),
        (
            format!("{header}# licence: Apache-2.0\nword | severe\n"),
            6,
            "severe",
        ),
        (
            format!("{header}# licence: Apache-2.0\n\u{200B}\n"),
            6,
            "empty",
        ),
        (format!("{header}# source: again\n"), 5, "twice"),
        (header.replace("abuse", "ads"), 2, "ads"),
    ] {
        let e = parse(Path::new("bad-lexicon.txt"), &text).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("bad-lexicon.txt:{line}: ")),
            "{e}"
        );
        assert!(e.to_string().contains(needle), "{e}");
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-source.txt");
    fs::write(
        &path,
        "# lexicon: a\n# kind: spam\n# severity: minor\n# licence: x\nw\n",
    )
    .unwrap();
    let e = load(&path).unwrap_err();
    assert!(
        matches!(
            e,
            LexiconError::MissingField {
                field: "source",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains(&path.display().to_string()), "{e}");
}
