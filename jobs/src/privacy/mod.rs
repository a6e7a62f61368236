//! Privacy at ingest: what cohort keeps of members' personal data before anything reaches the lake.
//!
//! - [`secret`]: the deployment's secret key (from a file or the environment, never from the config
//!   file itself), with an id so keys can rotate, and HMAC-SHA256 under it;
//! - [`keys`]: where a run's or a server's key comes from (the environment, `key_file`, or a key
//!   generated once in the data directory); [`key_check`]: refusing a data directory written under
//!   another key;
//! - [`member_ids`]: member ids replaced by keyed pseudonyms at ingest, as `[privacy] member_ids`
//!   says; [`raw_ids`]: doing so in the dataflow, keeping raw ids for the serving tables when
//!   `serving.raw_member_ids` asks;
//! - [`stored_text`]: chat text as stored — personal data the PII detectors find is redacted, replaced
//!   by a keyed hash, or kept, as `[privacy] stored_chat_pii` says.
//!
//! `docs/privacy.md` says what is stored where.

pub mod key_check;
pub mod keys;
pub mod member_ids;
pub mod raw_ids;
pub mod secret;
pub mod stored_text;

use serde::{Deserialize, Serialize};

pub use key_check::KeyMismatch;
pub use member_ids::{MemberIds, Pseudonymizer};
pub use secret::{SecretKey, SecretKeyError};
pub use stored_text::{PiiStorage, StoredText};

/// Environment variable holding the secret key; it takes precedence over `privacy.key_file`.
pub const KEY_ENV: &str = "COHORT_PRIVACY_KEY";

/// `[privacy]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// What the lake and the serving database store as member ids.
    pub member_ids: MemberIds,
    /// What the lake stores of personal data found in chat text.
    pub stored_chat_pii: PiiStorage,
    /// A file holding the secret key (for member pseudonyms and `stored_chat_pii = "hash"`);
    /// empty: only the [`KEY_ENV`] environment variable (and, for member pseudonyms, the key
    /// generated in the data directory, see [`keys`]).
    pub key_file: String,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig {
            member_ids: MemberIds::Pseudonymize,
            stored_chat_pii: PiiStorage::Redact,
            key_file: String::new(),
        }
    }
}
