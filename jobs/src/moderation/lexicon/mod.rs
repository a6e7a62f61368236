//! Lexicon rules (issue 6): phrase lists of abuse, ads and scams, searched with one Aho-Corasick
//! automaton over the normalised text of a message.
//!
//! The classifier generalises; lexicons are what a moderator can read, audit and correct on the
//! spot. How the parts fit:
//! - [`file`]: the lexicon file format (a header stating name, kind, severity, source and licence,
//!   then one phrase a line); [`embedded`]: the files shipped in the binary (`jobs/data/lexicons/`);
//! - [`LexiconConfig`] (`[moderation.lexicons]`): extra files, and per community a block list (only
//!   there) and an allow list (a hit inside an allowed phrase is dropped, only there);
//! - [`LexiconSet`]: all of it compiled; [`LexiconSet::find`] returns the [`LexiconHit`]s of a
//!   message with ranges in the normalised and the original text, for redacted evidence;
//! - [`ReloadableLexicons`]: the current set behind a lock, rebuilt when a file changes; a failed
//!   rebuild keeps the previous set, so a typo never switches moderation off.
//!
//! Phrases go through the same [`normalize`] as messages, so `ＷｅＣｈａｔ`, `w.e.c.h.a.t` and
//! `加 微 信` in a message match `wechat` and `加微信` in a lexicon, and vice versa. A phrase that
//! begins (ends) with a letter or digit of an alphabetic script only matches where the text has
//! none before (after) it, so `ass` does not match in `class`; Han phrases match anywhere.

mod config;
pub mod embedded;
mod error;
pub mod file;
mod matcher;
mod reload;

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use cohort_schemas::activity::Severity;
use serde::Serialize;

pub use config::{CommunityLists, LexiconConfig};
pub use error::LexiconError;
pub use file::{Lexicon, LexiconKind};
pub use reload::{ConfigLoader, ReloadableLexicons};

use super::normalize::{Normalized, normalize};
use matcher::{Matcher, Pattern};

/// Severity of a hit from a community's block list.
const BLOCK_SEVERITY: Severity = Severity::Major;

/// One phrase found in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LexiconHit<'a> {
    /// The lexicon's name (`en-abuse`, ...), or `community:<id>` for a community's block list.
    pub lexicon: &'a str,
    /// What the lexicon is about.
    pub kind: LexiconKind,
    /// How serious the phrase is.
    pub severity: Severity,
    /// The phrase as matched, normalised.
    pub phrase: &'a str,
    /// Byte range in the normalised text.
    pub normalized: Range<usize>,
    /// Byte range in the original message (what an alert shows or redacts).
    pub original: Range<usize>,
}

/// What a lexicon phrase reports.
#[derive(Debug)]
struct Meta {
    lexicon: Arc<str>,
    kind: LexiconKind,
    severity: Severity,
}

/// A community's compiled lists.
#[derive(Debug)]
struct Community {
    block: Option<Matcher<Meta>>,
    allow: Option<Matcher<()>>,
}

/// All lexicons compiled for matching: built once per configuration and shared by every worker
/// (matching takes `&self`).
#[derive(Debug)]
pub struct LexiconSet {
    global: Option<Matcher<Meta>>,
    exceptions: Option<Matcher<()>>,
    communities: HashMap<String, Community>,
}

impl LexiconSet {
    /// The shipped lexicons alone, with no community lists.
    pub fn embedded() -> Result<LexiconSet, LexiconError> {
        LexiconSet::build(&LexiconConfig::default())
    }

    /// Reads the lexicons `config` names (the shipped ones unless `builtin = false`, then the extra
    /// files) and compiles them with the community lists.
    pub fn build(config: &LexiconConfig) -> Result<LexiconSet, LexiconError> {
        let mut lexicons = if config.builtin {
            embedded::lexicons()?
        } else {
            Vec::new()
        };
        for path in &config.extra_files {
            lexicons.push(file::load(path)?);
        }
        LexiconSet::from_lexicons(lexicons, &config.communities)
    }

    /// Compiles parsed lexicons and community lists (for callers that hold lexicons in memory,
    /// such as tests and benchmarks). A phrase in several lexicons is searched once and reported
    /// with its most severe entry (the first of equals).
    pub fn from_lexicons(
        mut lexicons: Vec<Lexicon>,
        communities: &BTreeMap<String, CommunityLists>,
    ) -> Result<LexiconSet, LexiconError> {
        check_names(&lexicons)?;
        let exceptions: Vec<(String, ())> = lexicons
            .iter_mut()
            .flat_map(|l| std::mem::take(&mut l.exceptions))
            .map(|e| (e, ()))
            .collect();
        let phrases = lexicons.into_iter().flat_map(|lexicon| {
            let (name, kind) = (Arc::<str>::from(lexicon.name), lexicon.kind);
            lexicon.entries.into_iter().map(move |e| {
                let meta = Meta {
                    lexicon: Arc::clone(&name),
                    kind,
                    severity: e.severity,
                };
                (e.phrase, meta)
            })
        });
        let global = Matcher::build(phrases, more_severe)?;
        let exceptions = Matcher::build(exceptions, keep_first)?;
        let communities: HashMap<String, Community> = communities
            .iter()
            .map(|(id, lists)| Community::build(id, lists).map(|c| (id.clone(), c)))
            .collect::<Result<_, _>>()?;
        Ok(LexiconSet {
            global,
            exceptions,
            communities,
        })
    }

    /// How many distinct phrases the lexicon files hold (community lists not counted).
    pub fn phrase_count(&self) -> usize {
        self.global.as_ref().map_or(0, Matcher::phrase_count)
    }

    /// The phrases of the lexicons and of `community`'s block list found in `message`, in order
    /// of position. Hits lying within an occurrence of an exception (`!` line of a lexicon file)
    /// or of a phrase of the community's allow list are dropped, and so are hits nested in a
    /// longer hit (`加微信` inside `加微信领取`).
    pub fn find(&self, community: &str, message: &Normalized) -> Vec<LexiconHit<'_>> {
        let text = message.text();
        let lists = self.communities.get(community);
        let mut raw: Vec<(&Pattern<Meta>, Range<usize>)> = Vec::new();
        if let Some(global) = &self.global {
            raw.extend(global.matches(text));
        }
        if let Some(block) = lists.and_then(|c| c.block.as_ref()) {
            raw.extend(block.matches(text));
        }
        if raw.is_empty() {
            return Vec::new();
        }
        let mut allowed: Vec<Range<usize>> = Vec::new();
        for allow in self
            .exceptions
            .iter()
            .chain(lists.and_then(|c| c.allow.as_ref()))
        {
            allowed.extend(allow.matches(text).map(|(_, r)| r));
        }
        raw.retain(|(_, r)| !allowed.iter().any(|a| a.start <= r.start && r.end <= a.end));
        raw.sort_by_key(|(_, r)| (r.start, Reverse(r.end)));
        let mut hits = Vec::with_capacity(raw.len());
        let mut reach = 0;
        for (pattern, normalized) in raw {
            // sorted by start: a hit is nested in a kept one iff it ends within the furthest end
            if normalized.end <= reach {
                continue;
            }
            let Some(original) = message.original_range(normalized.clone()) else {
                continue;
            };
            reach = normalized.end;
            hits.push(LexiconHit {
                lexicon: &pattern.meta.lexicon,
                kind: pattern.meta.kind,
                severity: pattern.meta.severity,
                phrase: &pattern.text,
                normalized,
                original,
            });
        }
        hits
    }
}

impl Community {
    fn build(id: &str, lists: &CommunityLists) -> Result<Community, LexiconError> {
        let name = Arc::<str>::from(format!("community:{id}"));
        let block = community_phrases(id, "block", &lists.block)?
            .into_iter()
            .map(|phrase| {
                let meta = Meta {
                    lexicon: Arc::clone(&name),
                    kind: LexiconKind::Custom,
                    severity: BLOCK_SEVERITY,
                };
                (phrase, meta)
            });
        let allow = community_phrases(id, "allow", &lists.allow)?
            .into_iter()
            .map(|phrase| (phrase, ()));
        Ok(Community {
            block: Matcher::build(block, more_severe)?,
            allow: Matcher::build(allow, keep_first)?,
        })
    }
}

/// Two lexicons with one name would make hits ambiguous.
fn check_names(lexicons: &[Lexicon]) -> Result<(), LexiconError> {
    let mut seen: HashMap<&str, &Path> = HashMap::new();
    for lexicon in lexicons {
        if let Some(first) = seen.insert(&lexicon.name, &lexicon.path) {
            return Err(LexiconError::DuplicateName {
                name: lexicon.name.clone(),
                first: first.to_path_buf(),
                second: lexicon.path.clone(),
            });
        }
    }
    Ok(())
}

/// Allow lists and exceptions carry nothing to prefer: the first entry of a phrase stays.
fn keep_first<T>(_new: &T, _old: &T) -> bool {
    false
}

/// Of two entries for one phrase, the later wins only when it is more severe.
fn more_severe(new: &Meta, old: &Meta) -> bool {
    new.severity > old.severity
}

/// A community's phrases, normalised like messages; one that normalises to nothing is a config
/// error.
fn community_phrases(
    community: &str,
    list: &'static str,
    phrases: &[String],
) -> Result<Vec<String>, LexiconError> {
    phrases
        .iter()
        .map(|phrase| {
            let text = normalize(phrase).text().to_string();
            if text.is_empty() {
                return Err(LexiconError::EmptyPhrase {
                    community: community.to_string(),
                    list,
                    phrase: phrase.clone(),
                });
            }
            Ok(text)
        })
        .collect()
}

#[cfg(test)]
mod tests;
