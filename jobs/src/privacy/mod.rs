//! Privacy at ingest: what cohort keeps of members' personal data before anything reaches the lake.
//!
//! - [`secret`]: the deployment's secret key (from a file or the environment, never from the config
//!   file itself), with an id so keys can rotate, and HMAC-SHA256 under it;
//! - [`stored_text`]: chat text as stored — personal data the PII detectors find is redacted, replaced
//!   by a keyed hash, or kept, as `[privacy] stored_chat_pii` says.
//!
//! `docs/privacy.md` says what is stored where.

pub mod secret;
pub mod stored_text;

use serde::{Deserialize, Serialize};

pub use secret::{SecretKey, SecretKeyError};
pub use stored_text::{PiiStorage, StoredText};

/// Environment variable holding the secret key; it takes precedence over `privacy.key_file`.
pub const KEY_ENV: &str = "COHORT_PRIVACY_KEY";

/// `[privacy]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// What the lake stores of personal data found in chat text.
    pub stored_chat_pii: PiiStorage,
    /// A file holding the secret key (for `stored_chat_pii = "hash"`); empty: only the
    /// [`KEY_ENV`] environment variable.
    pub key_file: String,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig {
            stored_chat_pii: PiiStorage::Redact,
            key_file: String::new(),
        }
    }
}
