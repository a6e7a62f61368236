//! The lexicon file format: a header of `# key: value` lines, then one phrase a line.
//!
//! ```text
//! # lexicon: en-ads-scam
//! # kind: spam
//! # severity: major
//! # language: en
//! # source: written for cohort by its developers
//! # licence: Apache-2.0
//!
//! guaranteed returns
//! dm me for
//! crypto giveaway | critical
//! !dm me for the slides
//! ```
//!
//! The header is the run of `#` and blank lines before the first phrase. In it, a line of the form
//! `# word: value` is a field (`lexicon`, `kind`, `severity`, `language`, `source`, `licence` or
//! `license`) and anything else is a comment; an unknown field is an error, so a misspelt
//! `licnce` is caught rather than silently ignored. After the first phrase every `#` line is a
//! comment. A phrase may end in `| minor`, `| major` or `| critical` to override the file's
//! severity (so `|` cannot appear inside a phrase). A line starting with `!` is an exception: a
//! hit of any lexicon lying within an occurrence of it is dropped, for the ordinary phrases that
//! contain a listed one (`!加微信支付`: adding WeChat Pay to an app). Phrases and exceptions are
//! normalised with [`normalize`] when read, exactly like messages.

use std::path::{Path, PathBuf};

use cohort_schemas::activity::Severity;
use serde::Serialize;

use super::LexiconError;
use crate::moderation::normalize::normalize;

/// What a lexicon is about: decides which alert a hit feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LexiconKind {
    /// Insults, slurs, harassment and threats.
    Abuse,
    /// Advertising, solicitation and scams.
    Spam,
    /// A community's own block list: the community decided, not a general rule.
    Custom,
}

impl LexiconKind {
    /// The name used in lexicon headers and alerts.
    pub fn name(self) -> &'static str {
        match self {
            LexiconKind::Abuse => "abuse",
            LexiconKind::Spam => "spam",
            LexiconKind::Custom => "custom",
        }
    }

    /// The kind with this name.
    pub fn from_name(name: &str) -> Option<LexiconKind> {
        [LexiconKind::Abuse, LexiconKind::Spam, LexiconKind::Custom]
            .into_iter()
            .find(|k| k.name() == name)
    }
}

/// One parsed lexicon file: its header and its phrases, already normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lexicon {
    /// Where it was read from (for error messages and audits).
    pub path: PathBuf,
    /// `# lexicon:`: the name hits report.
    pub name: String,
    /// `# kind:`.
    pub kind: LexiconKind,
    /// `# severity:`: the severity of phrases without their own.
    pub severity: Severity,
    /// `# language:`, if stated (informational).
    pub language: Option<String>,
    /// `# source:`: where the phrases come from.
    pub source: String,
    /// `# licence:`: under which terms they may be shipped.
    pub licence: String,
    /// The phrases, in file order.
    pub entries: Vec<Entry>,
    /// The exceptions (`!` lines), normalised.
    pub exceptions: Vec<String>,
}

/// One phrase of a lexicon file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The phrase, normalised: what the automaton looks for.
    pub phrase: String,
    /// Its severity (the file's, unless the line overrides it).
    pub severity: Severity,
    /// 1-based line number in the file.
    pub line: usize,
}

/// Reads and parses the lexicon file at `path`.
pub fn load(path: &Path) -> Result<Lexicon, LexiconError> {
    let text = std::fs::read_to_string(path).map_err(|source| LexiconError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parses the text of a lexicon file; `path` is only used to name the file in errors.
pub fn parse(path: &Path, text: &str) -> Result<Lexicon, LexiconError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
    let mut header = Header::default();
    let mut first = None;
    for (number, line) in lines.by_ref() {
        match line.strip_prefix('#') {
            Some(comment) => {
                if let Some((key, value)) = field(comment) {
                    header
                        .set(&key, value)
                        .map_err(|message| at(path, number, message))?;
                }
            }
            None if line.is_empty() => {}
            None => {
                first = Some((number, line));
                break;
            }
        }
    }
    let mut lexicon = header.finish(path)?;
    for (number, line) in first.into_iter().chain(lines) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(exception) = line.strip_prefix('!') {
            let text = normalized_phrase(exception).map_err(|message| at(path, number, message))?;
            lexicon.exceptions.push(text);
            continue;
        }
        let (phrase, severity) =
            entry(line, lexicon.severity).map_err(|message| at(path, number, message))?;
        lexicon.entries.push(Entry {
            phrase,
            severity,
            line: number,
        });
    }
    Ok(lexicon)
}

/// `# word: value` as (lower-case word, value); other comments give `None`.
fn field(comment: &str) -> Option<(String, &str)> {
    let (key, value) = comment.split_once(':')?;
    let key = key.trim();
    let is_word = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphabetic() || c == '_');
    is_word.then(|| (key.to_ascii_lowercase(), value.trim()))
}

/// A phrase line: the normalised phrase and its severity (the `default` unless `| severity`).
fn entry(line: &str, default: Severity) -> Result<(String, Severity), String> {
    let (text, severity) = match line.rsplit_once('|') {
        Some((text, name)) => (text, parse_severity(name.trim())?),
        None => (line, default),
    };
    Ok((normalized_phrase(text)?, severity))
}

/// A phrase normalised like messages; one that normalises to nothing is an error.
fn normalized_phrase(text: &str) -> Result<String, String> {
    let normalized = normalize(text).text().to_string();
    if normalized.is_empty() {
        return Err(format!(
            "phrase {:?} is empty after normalisation; remove the line",
            text.trim()
        ));
    }
    Ok(normalized)
}

fn parse_severity(name: &str) -> Result<Severity, String> {
    Severity::from_name(&name.to_ascii_lowercase())
        .ok_or_else(|| format!("unknown severity {name:?}; expected minor, major or critical"))
}

fn at(path: &Path, line: usize, message: String) -> LexiconError {
    LexiconError::Line {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// The header fields seen so far.
#[derive(Default)]
struct Header {
    name: Option<String>,
    kind: Option<LexiconKind>,
    severity: Option<Severity>,
    language: Option<String>,
    source: Option<String>,
    licence: Option<String>,
}

impl Header {
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        if value.is_empty() {
            return Err(format!("header field `{key}` has no value"));
        }
        let repeated = match key {
            "lexicon" => self.name.replace(value.to_string()).is_some(),
            "kind" => {
                let kind =
                    LexiconKind::from_name(&value.to_ascii_lowercase()).ok_or_else(|| {
                        format!("unknown kind {value:?}; expected abuse, spam or custom")
                    })?;
                self.kind.replace(kind).is_some()
            }
            "severity" => self.severity.replace(parse_severity(value)?).is_some(),
            "language" => self.language.replace(value.to_string()).is_some(),
            "source" => self.source.replace(value.to_string()).is_some(),
            "licence" | "license" => self.licence.replace(value.to_string()).is_some(),
            _ => {
                return Err(format!(
                    "unknown header field `{key}`; expected lexicon, kind, severity, language, \
                     source or licence (write other comments without `word:` at their start)"
                ));
            }
        };
        if repeated {
            return Err(format!("header field `{key}` is given twice"));
        }
        Ok(())
    }

    fn finish(self, path: &Path) -> Result<Lexicon, LexiconError> {
        let missing = |field| LexiconError::MissingField {
            path: path.to_path_buf(),
            field,
        };
        Ok(Lexicon {
            path: path.to_path_buf(),
            name: self.name.ok_or_else(|| missing("lexicon"))?,
            kind: self.kind.ok_or_else(|| missing("kind"))?,
            severity: self.severity.ok_or_else(|| missing("severity"))?,
            language: self.language,
            source: self.source.ok_or_else(|| missing("source"))?,
            licence: self.licence.ok_or_else(|| missing("licence"))?,
            entries: Vec::new(),
            exceptions: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests;
