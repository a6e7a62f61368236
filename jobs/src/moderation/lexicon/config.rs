//! `[moderation.lexicons]`: which lexicons apply, and each community's own block and allow lists.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[moderation.lexicons]` of the configuration file.
///
/// ```toml
/// [moderation.lexicons]
/// builtin = true
/// extra_files = ["/etc/cohort/lexicons/fr-abuse.txt"]
///
/// [moderation.lexicons.communities.c42]
/// block = ["某竞品课程"]
/// allow = ["刷单"]   # an e-commerce course discusses 刷单 without doing it
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LexiconConfig {
    /// Use the lexicons shipped in the binary (`jobs/data/lexicons/`). Off only when an operator
    /// replaces them wholesale with `extra_files`.
    pub builtin: bool,
    /// More lexicon files in the same format, read at start and re-read when they change (relative
    /// paths are relative to the working directory of the process).
    pub extra_files: Vec<PathBuf>,
    /// Per community id: phrases only that community blocks, and phrases it allows.
    pub communities: BTreeMap<String, CommunityLists>,
}

impl Default for LexiconConfig {
    fn default() -> Self {
        LexiconConfig {
            builtin: true,
            extra_files: Vec::new(),
            communities: BTreeMap::new(),
        }
    }
}

/// One community's own lists, for what is abuse or spam in one community but not in general.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommunityLists {
    /// Phrases flagged in this community only (kind `custom`, severity `major`).
    pub block: Vec<String>,
    /// Phrases this community accepts: a hit lying within an occurrence of one of them is
    /// dropped, in this community only.
    pub allow: Vec<String>,
}
