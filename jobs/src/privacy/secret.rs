//! The deployment's secret key and HMAC-SHA256 (RFC 2104) under it.
//!
//! The key never comes from the config file: config files get copied into tickets, repositories
//! and logs. It is read from the [`KEY_ENV`](super::KEY_ENV) environment variable or from a file the
//! config names. Its id (the first 8 bytes of SHA-256 of the key, in hex) is recorded next to what
//! it hashed, so a rotated key is recognised instead of silently producing different hashes.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Shortest key accepted: a shorter one could be guessed.
pub const MIN_KEY_BYTES: usize = 16;

/// SHA-256's block size, which HMAC pads the key to.
const BLOCK: usize = 64;

/// Why no key could be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretKeyError {
    /// The key file could not be read.
    #[error("cannot read the secret key file {path} (privacy.key_file): {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The key generated in the data directory could not be read or written.
    #[error("cannot read or create the generated secret key {path}: {source}")]
    Generated {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The key is too short.
    #[error("the secret key from {origin} has {len} bytes; at least {MIN_KEY_BYTES} are needed")]
    TooShort {
        /// Where it came from.
        origin: String,
        /// Its length.
        len: usize,
    },
    /// A key is needed and none is configured.
    #[error(
        "{needed_by} needs a secret key: set the environment variable {} or privacy.key_file",
        super::KEY_ENV
    )]
    Missing {
        /// The setting that needs it.
        needed_by: String,
    },
}

/// A secret key: the bytes and their public id.
#[derive(Clone)]
pub struct SecretKey {
    bytes: Vec<u8>,
    id: String,
}

impl std::fmt::Debug for SecretKey {
    /// Shows the id only: a key must never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey").field("id", &self.id).finish()
    }
}

impl SecretKey {
    /// A key from its bytes (leading and trailing white space is not part of it, so a key file may
    /// end in a newline).
    pub fn new(raw: &[u8], origin: &str) -> Result<SecretKey, SecretKeyError> {
        let bytes = raw.trim_ascii().to_vec();
        if bytes.len() < MIN_KEY_BYTES {
            return Err(SecretKeyError::TooShort {
                origin: origin.to_string(),
                len: bytes.len(),
            });
        }
        let id = hex(&Sha256::digest(&bytes)[..8]);
        Ok(SecretKey { bytes, id })
    }

    /// The key from the environment value `env` if there is one, else from `file` if it is not
    /// empty; `None` when neither is set.
    pub fn load(env: Option<&[u8]>, file: &Path) -> Result<Option<SecretKey>, SecretKeyError> {
        if let Some(raw) = env {
            return SecretKey::new(raw, &format!("environment variable {}", super::KEY_ENV))
                .map(Some);
        }
        if file.as_os_str().is_empty() {
            return Ok(None);
        }
        let raw = std::fs::read(file).map_err(|source| SecretKeyError::Read {
            path: file.to_path_buf(),
            source,
        })?;
        SecretKey::new(&raw, &file.display().to_string()).map(Some)
    }

    /// The key's public id: 16 hex digits.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// HMAC-SHA256 of `message` under this key.
    pub fn hmac(&self, message: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.bytes, message)
    }

    /// HMAC-SHA256 under this key, ready for many messages.
    pub fn hmac_state(&self) -> Hmac {
        Hmac::new(&self.bytes)
    }
}

/// HMAC-SHA256 (RFC 2104): `H((K ^ opad) || H((K ^ ipad) || m))`, the key hashed first when it is
/// longer than a block.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    Hmac::new(key).mac(message)
}

/// HMAC-SHA256 under one key with both padded key blocks already hashed, so each message costs
/// two SHA-256 compressions less: ingest hashes every member id of every event with it.
#[derive(Clone)]
pub struct Hmac {
    inner: Sha256,
    outer: Sha256,
}

impl std::fmt::Debug for Hmac {
    /// Shows nothing: the hash states are derived from the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hmac { .. }")
    }
}

impl Hmac {
    /// The state for `key`.
    pub fn new(key: &[u8]) -> Hmac {
        let mut block = [0u8; BLOCK];
        if key.len() > BLOCK {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| block.map(|b| b ^ byte);
        Hmac {
            inner: Sha256::new().chain_update(pad(0x36)),
            outer: Sha256::new().chain_update(pad(0x5c)),
        }
    }

    /// The same key with `prefix` hashed before every message (a domain-separation tag).
    pub fn with_prefix(mut self, prefix: &[u8]) -> Hmac {
        self.inner.update(prefix);
        self
    }

    /// The HMAC of (the prefix and) `message`.
    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        let inner = self.inner.clone().chain_update(message).finalize();
        self.outer.clone().chain_update(inner).finalize().into()
    }
}

pub use cohort_schemas::hex::hex;

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 4231's test cases 1, 2, 4 and 6 (a key longer than a block).
    #[test]
    fn hmac_matches_rfc_4231() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 4] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
        ];
        for (key, message, expected) in cases {
            assert_eq!(hex(&hmac_sha256(&key, &message)), expected);
        }
    }

    #[test]
    fn keys_come_from_the_environment_first_then_the_file_and_must_be_long_enough() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, "a file key of enough length\n").unwrap();
        let from_file = SecretKey::load(None, &file).unwrap().unwrap();
        let from_env = SecretKey::load(Some(b"an environment key, long"), &file)
            .unwrap()
            .unwrap();
        assert_ne!(from_file.id(), from_env.id());
        assert_eq!(from_file.id().len(), 16);
        // the trailing newline of the file is not part of the key
        assert_eq!(
            from_file.hmac(b"x"),
            SecretKey::new(b"a file key of enough length", "t")
                .unwrap()
                .hmac(b"x")
        );
        assert!(SecretKey::load(None, Path::new("")).unwrap().is_none());
        let short = SecretKey::load(Some(b"short"), Path::new("")).unwrap_err();
        assert!(short.to_string().contains("COHORT_PRIVACY_KEY"), "{short}");
        let missing = SecretKey::load(None, &dir.path().join("nope")).unwrap_err();
        assert!(
            missing.to_string().contains("privacy.key_file"),
            "{missing}"
        );
        assert!(!format!("{from_file:?}").contains("enough"));
    }
}
