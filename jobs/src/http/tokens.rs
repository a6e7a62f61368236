//! API tokens: creation, the tokens file, and verification.
//!
//! A token is `cohort_<id>_<secret>`: a public 64-bit id (16 hex digits) that names its line in the
//! tokens file, and a 256-bit random secret (64 hex digits). The tokens file holds, per token, the
//! id, a random salt and SHA-256(salt ‖ secret), never the secret: a leaked tokens file grants
//! nothing, and a 256-bit secret cannot be found from its hash by trying. The id lets a request be
//! checked against one line instead of hashing against every line; the hashes are compared in
//! constant time, so response times do not tell how much of a guessed secret was right.
//!
//! Each token is scoped to communities (a list, or `*` for all) and to read scopes
//! ([`Scope`]). Nothing here logs a token; [`TokenEntry`]'s `Debug` shows the id only.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::privacy::secret::hex;

/// What every token starts with, so a leaked token is recognisable (e.g. by secret scanners).
pub const TOKEN_PREFIX: &str = "cohort_";

/// Bytes of a token's secret: 256 bits.
const SECRET_BYTES: usize = 32;
/// Bytes of a token's public id.
const ID_BYTES: usize = 8;
/// Bytes of the salt stored with each hash.
const SALT_BYTES: usize = 16;
/// Longest community id a token may name (the API refuses longer ids too).
pub const MAX_ID_LEN: usize = 256;

/// A read scope: which family of routes a token may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// `recommendations` and `similar` routes.
    Recs,
    /// The `forecasts` route.
    Forecasts,
    /// The `alerts` route.
    Alerts,
}

impl Scope {
    /// Every scope, in the order the docs list them.
    pub const ALL: [Scope; 3] = [Scope::Recs, Scope::Forecasts, Scope::Alerts];

    /// The scope's name in the tokens file and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Recs => "recs",
            Scope::Forecasts => "forecasts",
            Scope::Alerts => "alerts",
        }
    }

    /// The scope called `name`.
    pub fn from_name(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The communities a token may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Communities {
    /// Every community (`*`).
    All,
    /// Only these.
    Only(BTreeSet<String>),
}

impl Communities {
    /// Whether `community` is among them.
    pub fn allows(&self, community: &str) -> bool {
        match self {
            Communities::All => true,
            Communities::Only(set) => set.contains(community),
        }
    }

    /// `*` or the comma-separated list, as the tokens file writes it.
    fn render(&self) -> String {
        match self {
            Communities::All => "*".to_string(),
            Communities::Only(set) => set.iter().cloned().collect::<Vec<_>>().join(","),
        }
    }
}

/// Why a token could not be created or the tokens file not be read.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The tokens file could not be read.
    #[error("cannot read the tokens file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line of the tokens file is malformed.
    #[error("tokens file line {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The tokens file holds no token: every request would be refused.
    #[error("the tokens file {0} holds no token (create one with `cohort token create`)")]
    Empty(PathBuf),
    /// A community list or scope list given to `token create` is not valid.
    #[error("{0}")]
    Invalid(String),
}

/// One line of the tokens file: what a token may read, and how to recognise it.
#[derive(Clone)]
pub struct TokenEntry {
    /// Public id.
    pub id: String,
    salt: [u8; SALT_BYTES],
    hash: [u8; 32],
    /// Communities it may read.
    pub communities: Communities,
    /// Scopes it may read.
    pub scopes: BTreeSet<Scope>,
}

impl fmt::Debug for TokenEntry {
    /// The id and grants only: neither the hash nor anything of the secret reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEntry")
            .field("id", &self.id)
            .field("communities", &self.communities)
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl TokenEntry {
    /// The tokens-file line of this entry.
    pub fn line(&self) -> String {
        let scopes: Vec<&str> = self.scopes.iter().map(|s| s.name()).collect();
        format!(
            "token id={} salt={} sha256={} communities={} scopes={}",
            self.id,
            hex(&self.salt),
            hex(&self.hash),
            self.communities.render(),
            scopes.join(",")
        )
    }

    /// Whether `secret` hashes to this entry's hash, compared in constant time.
    fn matches(&self, secret: &[u8; SECRET_BYTES]) -> bool {
        salted_hash(&self.salt, secret)[..]
            .ct_eq(&self.hash[..])
            .into()
    }
}

/// SHA-256(salt ‖ secret).
fn salted_hash(salt: &[u8; SALT_BYTES], secret: &[u8; SECRET_BYTES]) -> [u8; 32] {
    Sha256::new()
        .chain_update(salt)
        .chain_update(secret)
        .finalize()
        .into()
}

/// A freshly created token: the secret to hand over once, and the line for the tokens file.
pub struct NewToken {
    /// The whole token, `cohort_<id>_<secret>`.
    pub token: String,
    /// What the tokens file stores of it.
    pub entry: TokenEntry,
}

/// Parses `a,b` or `*` (a list of community ids; `*` alone means all).
pub fn parse_communities(list: &str) -> Result<Communities, String> {
    let list = list.trim();
    if list == "*" {
        return Ok(Communities::All);
    }
    let mut set = BTreeSet::new();
    for c in list.split(',').map(str::trim) {
        if c.is_empty() {
            return Err(format!("empty community id in {list:?}"));
        }
        if c == "*" {
            return Err("`*` stands alone: it already means every community".to_string());
        }
        if c.len() > MAX_ID_LEN || c.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
            return Err(format!(
                "community id {c:?} has white space or control characters, or is longer than {MAX_ID_LEN} bytes"
            ));
        }
        set.insert(c.to_string());
    }
    Ok(Communities::Only(set))
}

/// Parses `recs,alerts` into scopes.
pub fn parse_scopes(list: &str) -> Result<BTreeSet<Scope>, String> {
    let mut scopes = BTreeSet::new();
    for s in list.split(',').map(str::trim) {
        let scope = Scope::from_name(s).ok_or_else(|| {
            format!("unknown scope {s:?}: the scopes are recs, forecasts and alerts")
        })?;
        scopes.insert(scope);
    }
    Ok(scopes)
}

/// Creates a token for `communities` and `scopes` from the thread's CSPRNG (ChaCha, seeded from
/// the operating system).
pub fn create(communities: &str, scopes: &str) -> Result<NewToken, TokenError> {
    let communities = parse_communities(communities).map_err(TokenError::Invalid)?;
    let scopes = parse_scopes(scopes).map_err(TokenError::Invalid)?;
    let mut secret = [0u8; SECRET_BYTES];
    let mut id = [0u8; ID_BYTES];
    let mut salt = [0u8; SALT_BYTES];
    rand::fill(&mut secret[..]);
    rand::fill(&mut id[..]);
    rand::fill(&mut salt[..]);
    let id = hex(&id);
    let token = format!("{TOKEN_PREFIX}{id}_{}", hex(&secret));
    let entry = TokenEntry {
        id,
        salt,
        hash: salted_hash(&salt, &secret),
        communities,
        scopes,
    };
    Ok(NewToken { token, entry })
}

/// The tokens of a tokens file, by id.
#[derive(Debug, Default)]
pub struct TokenSet {
    by_id: HashMap<String, Arc<TokenEntry>>,
}

impl TokenSet {
    /// Reads the tokens file at `path`; a file without any token is an error.
    pub fn load(path: &Path) -> Result<TokenSet, TokenError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokenError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let set = TokenSet::parse(&text)?;
        if set.is_empty() {
            return Err(TokenError::Empty(path.to_path_buf()));
        }
        Ok(set)
    }

    /// Parses a tokens file: one `token id=… salt=… sha256=… communities=… scopes=…` per line;
    /// blank lines and lines starting with `#` are skipped.
    pub fn parse(text: &str) -> Result<TokenSet, TokenError> {
        let mut by_id = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |message: String| TokenError::Line {
                line: n + 1,
                message,
            };
            let entry = parse_line(line).map_err(bad)?;
            if by_id.contains_key(&entry.id) {
                return Err(bad(format!("token id {} appears twice", entry.id)));
            }
            by_id.insert(entry.id.clone(), Arc::new(entry));
        }
        Ok(TokenSet { by_id })
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there is no token.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The entry of `token` if it is one of these tokens. Malformed and unknown tokens cost one
    /// hash too, so timing does not tell an unknown id from a wrong secret.
    pub fn verify(&self, token: &str) -> Option<Arc<TokenEntry>> {
        let (id, secret) = split_token(token)?;
        match self.by_id.get(id) {
            Some(entry) => entry.matches(&secret).then(|| Arc::clone(entry)),
            None => {
                let _ = std::hint::black_box(salted_hash(&[0; SALT_BYTES], &secret));
                None
            }
        }
    }
}

/// The id and the secret bytes of a well-formed token.
fn split_token(token: &str) -> Option<(&str, [u8; SECRET_BYTES])> {
    let (id, secret) = token.strip_prefix(TOKEN_PREFIX)?.split_once('_')?;
    if id.len() != ID_BYTES * 2 {
        return None;
    }
    Some((id, unhex(secret)?))
}

/// Parses one non-comment line of the tokens file.
fn parse_line(line: &str) -> Result<TokenEntry, String> {
    let mut words = line.split_whitespace();
    if words.next() != Some("token") {
        return Err("a line starts with the word `token`".to_string());
    }
    let mut fields: HashMap<&str, &str> = HashMap::new();
    for word in words {
        let (key, value) = word
            .split_once('=')
            .ok_or_else(|| format!("{word:?} is not key=value"))?;
        if fields.insert(key, value).is_some() {
            return Err(format!("{key} given twice"));
        }
    }
    let field = |key: &str| {
        fields
            .get(key)
            .copied()
            .ok_or_else(|| format!("missing {key}="))
    };
    let id = field("id")?;
    if id.len() != ID_BYTES * 2 || unhex::<ID_BYTES>(id).is_none() {
        return Err(format!("id must be {} hex digits", ID_BYTES * 2));
    }
    let salt = unhex(field("salt")?)
        .ok_or_else(|| format!("salt must be {} hex digits", SALT_BYTES * 2))?;
    let hash = unhex(field("sha256")?).ok_or("sha256 must be 64 hex digits")?;
    let communities = parse_communities(field("communities")?)?;
    let scopes = parse_scopes(field("scopes")?)?;
    if let Some(other) = fields
        .keys()
        .find(|k| !["id", "salt", "sha256", "communities", "scopes"].contains(k))
    {
        return Err(format!("unknown field {other}="));
    }
    Ok(TokenEntry {
        id: id.to_string(),
        salt,
        hash,
        communities,
        scopes,
    })
}

/// Exactly `N` bytes from `2 * N` hex digits (either case).
fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        *byte = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_token_verifies_against_its_line_and_nothing_else_does() {
        let new = create("a,b", "recs,alerts").unwrap();
        let set = TokenSet::parse(&format!("# comment\n\n{}\n", new.entry.line())).unwrap();
        assert_eq!(set.len(), 1);
        let entry = set.verify(&new.token).unwrap();
        assert!(entry.communities.allows("a") && !entry.communities.allows("c"));
        assert_eq!(entry.scopes, BTreeSet::from([Scope::Recs, Scope::Alerts]));
        // The line holds neither the token nor its secret.
        let secret = new.token.rsplit('_').next().unwrap();
        assert!(!new.entry.line().contains(secret));
        assert!(!format!("{entry:?}").contains(secret));
        // One changed digit of the secret, another id, garbage: all refused.
        let mut wrong = new.token.clone();
        let last = if wrong.ends_with('0') { "1" } else { "0" };
        wrong.replace_range(wrong.len() - 1.., last);
        assert!(set.verify(&wrong).is_none());
        let other = create("*", "recs").unwrap();
        assert!(set.verify(&other.token).is_none());
        for garbage in ["", "cohort_", "cohort_x_y", "Bearer x", &new.token[1..]] {
            assert!(set.verify(garbage).is_none(), "{garbage}");
        }
    }

    #[test]
    fn bad_lists_and_lines_are_refused_with_a_reason() {
        assert!(create("a", "recs,write").is_err());
        assert!(create("a,,b", "recs").is_err());
        assert!(create("*,a", "recs").is_err());
        assert_eq!(parse_communities("*").unwrap(), Communities::All);
        let good = create("a", "recs").unwrap().entry.line();
        let cases = [
            (good.replace("token ", "tok "), "starts with"),
            (good.replace("scopes=recs", "scopes=admin"), "unknown scope"),
            (format!("{good} extra=1"), "unknown field"),
            (good.replace("sha256=", "sha256=zz"), "sha256"),
            (format!("{good}\n{good}"), "twice"),
        ];
        for (text, expected) in cases {
            let err = TokenSet::parse(&text).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }
}
