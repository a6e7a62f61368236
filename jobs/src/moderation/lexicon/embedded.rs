//! The lexicons shipped inside the binary, so moderation works with no files deployed.
//!
//! Their text lives in `jobs/data/lexicons/` (one file per language and kind, each stating its
//! source and licence) and is compiled in with `include_str!`; an operator adds to them with
//! `moderation.lexicons.extra_files` rather than by editing a deployed copy.

use std::path::Path;

use super::LexiconError;
use super::file::{self, Lexicon};

/// The shipped lexicon files: (path shown in errors, text).
pub const EMBEDDED: [(&str, &str); 4] = [
    (
        "jobs/data/lexicons/en-abuse.txt",
        include_str!("../../../data/lexicons/en-abuse.txt"),
    ),
    (
        "jobs/data/lexicons/en-ads-scam.txt",
        include_str!("../../../data/lexicons/en-ads-scam.txt"),
    ),
    (
        "jobs/data/lexicons/zh-abuse.txt",
        include_str!("../../../data/lexicons/zh-abuse.txt"),
    ),
    (
        "jobs/data/lexicons/zh-ads-scam.txt",
        include_str!("../../../data/lexicons/zh-ads-scam.txt"),
    ),
];

/// Parses the shipped lexicons. Fails only if one of the files above is broken, which the unit
/// tests rule out before a release.
pub fn lexicons() -> Result<Vec<Lexicon>, LexiconError> {
    EMBEDDED
        .iter()
        .map(|(path, text)| file::parse(Path::new(path), text))
        .collect()
}
