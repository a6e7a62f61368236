//! Where the secret key of a run or a server comes from: the environment variable
//! [`KEY_ENV`], else the file `[privacy] key_file` names, else — for member pseudonyms only — a
//! key cohort generated in the data directory.
//!
//! The generated key exists so that `cohort run` with no configuration (the README's first
//! command) pseudonymises member ids too: pseudonymisation is on by default, and refusing to
//! start without a key would push first users to turn it off. It is made once (32 random bytes
//! from a CSPRNG seeded by the operating system, stored as 64 hex digits in
//! [`GENERATED_KEY`], mode 0600) and reused by every later run and by `cohort serve` on the same
//! directory. It lives beside the data it protects, so anyone who can read the directory can
//! test guesses against its pseudonyms: a production deployment puts its own key elsewhere, and
//! every run that falls back to the generated key says so in a warning.

use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::secret::{SecretKey, SecretKeyError, hex};
use super::{KEY_ENV, MemberIds, PrivacyConfig};

/// The generated key's file, relative to the data directory.
pub const GENERATED_KEY: &str = "secrets/member-key";

/// The configured key: [`KEY_ENV`] if set, else `[privacy] key_file` if it names a file; `None`
/// when neither is configured.
pub fn configured(privacy: &PrivacyConfig) -> Result<Option<SecretKey>, SecretKeyError> {
    let env = std::env::var_os(KEY_ENV).map(|v| v.into_encoded_bytes());
    let key = SecretKey::load(env.as_deref(), Path::new(&privacy.key_file))?;
    if let Some(key) = &key {
        // the id, never the key: it tells which key wrote a lake's hashes after a rotation
        tracing::info!(key_id = key.id(), "privacy key loaded");
    }
    Ok(key)
}

/// The key a run on `data_dir` pseudonymises member ids under: none with `[privacy] member_ids =
/// "keep"`, else the `configured` key, else the one generated in `data_dir` (made now if needed).
pub fn for_members(
    privacy: &PrivacyConfig,
    configured: Option<SecretKey>,
    data_dir: &Path,
) -> Result<Option<SecretKey>, SecretKeyError> {
    match (privacy.member_ids, configured) {
        (MemberIds::Keep, _) => Ok(None),
        (MemberIds::Pseudonymize, Some(key)) => Ok(Some(key)),
        (MemberIds::Pseudonymize, None) => generated_or_new(data_dir).map(Some),
    }
}

/// The key `cohort serve` turns raw member ids into pseudonyms with: the configured one, else the
/// one a run generated in `data_dir` (never made here: the server only reads).
pub fn for_serving(
    privacy: &PrivacyConfig,
    data_dir: &Path,
) -> Result<Option<SecretKey>, SecretKeyError> {
    match configured(privacy)? {
        Some(key) => Ok(Some(key)),
        None => generated(data_dir),
    }
}

/// The generated key's path in `data_dir`.
pub fn generated_path(data_dir: &Path) -> PathBuf {
    data_dir.join(GENERATED_KEY)
}

/// The key generated in `data_dir` by an earlier run, if there is one (what `cohort serve` uses
/// when no key is configured; it never creates one).
pub fn generated(data_dir: &Path) -> Result<Option<SecretKey>, SecretKeyError> {
    let path = generated_path(data_dir);
    match std::fs::read(&path) {
        Ok(raw) => SecretKey::new(&raw, &path.display().to_string()).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SecretKeyError::Generated { path, source }),
    }
}

/// The key generated in `data_dir`, made now if no earlier run made it; logs a warning that
/// names the file and where a production key goes.
pub fn generated_or_new(data_dir: &Path) -> Result<SecretKey, SecretKeyError> {
    let path = generated_path(data_dir);
    let (key, made) = match generated(data_dir)? {
        Some(key) => (key, false),
        None => {
            create(&path).map_err(|source| SecretKeyError::Generated {
                path: path.clone(),
                source,
            })?;
            let key = generated(data_dir)?.ok_or_else(|| SecretKeyError::Generated {
                path: path.clone(),
                source: std::io::ErrorKind::NotFound.into(),
            })?;
            (key, true)
        }
    };
    tracing::warn!(
        key_id = key.id(),
        "no privacy key configured: member ids are pseudonymised under a key {} {}; anyone who \
         can read the data directory can test guesses against them. For production, set the \
         environment variable {KEY_ENV} or [privacy] key_file before the first run of a data \
         directory (docs/privacy.md)",
        if made {
            "generated now in"
        } else {
            "generated earlier in"
        },
        path.display()
    );
    Ok(key)
}

/// Writes a new random key to `path` (directory 0700, file 0600): to a temporary file first,
/// synced, then renamed, so a crash never leaves a partial key that a later run would take.
fn create(path: &Path) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let mut secret = [0u8; 32];
    rand::fill(&mut secret[..]);
    let temporary = path.with_extension("partial");
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(format!("{}\n", hex(&secret)).as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_generated_key_is_made_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(generated(dir.path()).unwrap().is_none());
        let first = generated_or_new(dir.path()).unwrap();
        let path = generated_path(dir.path());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim().len(), 64, "32 bytes in hex");
        assert_eq!(generated_or_new(dir.path()).unwrap().id(), first.id());
        assert_eq!(generated(dir.path()).unwrap().unwrap().id(), first.id());
        let other = tempfile::tempdir().unwrap();
        assert_ne!(generated_or_new(other.path()).unwrap().id(), first.id());
    }
}
