//! Why a lexicon set could not be built: every error names the file (and line) or the config key to
//! fix, because a moderator editing a phrase list must be able to find the typo without reading code.

use std::path::PathBuf;

/// Why a lexicon file, a community list or the lexicon configuration cannot be used. A reload that
/// fails with one of these keeps the previous lexicons (see [`super::ReloadableLexicons`]).
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    /// A lexicon file could not be read.
    #[error("cannot read lexicon file {path}: {source}; check `moderation.lexicons.extra_files`")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line of a lexicon file is not valid: an unknown or repeated header field, an unknown
    /// kind or severity, or a phrase that normalises to nothing.
    #[error("{path}:{line}: {message}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong and what to write instead.
        message: String,
    },
    /// A lexicon file's header lacks a required field (a list without a stated source and licence
    /// cannot be shipped or audited).
    #[error(
        "{path}: no `# {field}: ...` header line; every lexicon file must state `lexicon`, `kind`, \
         `severity`, `source` and `licence` in `#` lines before its first phrase"
    )]
    MissingField {
        /// The file.
        path: PathBuf,
        /// The missing field.
        field: &'static str,
    },
    /// Two files declare the same lexicon name, so hits could not say which list matched.
    #[error(
        "lexicon `{name}` is declared by both {first} and {second}; give each file its own `# lexicon:` name"
    )]
    DuplicateName {
        /// The name.
        name: String,
        /// The file that declared it first.
        first: PathBuf,
        /// The file that declared it again.
        second: PathBuf,
    },
    /// A community's block or allow phrase normalises to nothing (only spaces or invisible
    /// characters), which would match everywhere or nowhere.
    #[error(
        "invalid config key `moderation.lexicons.communities.{community}.{list}`: phrase {phrase:?} is empty after normalisation"
    )]
    EmptyPhrase {
        /// The community.
        community: String,
        /// `block` or `allow`.
        list: &'static str,
        /// The phrase as configured.
        phrase: String,
    },
    /// The configuration could not be re-read on reload (its loader's message).
    #[error("cannot reload the lexicon configuration from {path}: {message}")]
    Config {
        /// The config file.
        path: PathBuf,
        /// What the loader reported.
        message: String,
    },
    /// The Aho-Corasick automaton could not be built (in practice: far too many phrases).
    #[error("cannot build the lexicon automaton: {0}; reduce the number of phrases")]
    Automaton(#[from] aho_corasick::BuildError),
}
