//! Which key a data directory's member ids were pseudonymised with, against the key at hand.
//!
//! Every checkpoint records the key id (`member_key_id`, `None` for ids stored as they arrived).
//! A run under another key would give every member a second pseudonym, silently splitting their
//! history in the lake, the recommendations and the alerts; a server under another key would
//! answer 404 for every member. Both refuse instead and say what to do.

use std::path::{Path, PathBuf};

use super::KEY_ENV;
use super::keys::GENERATED_KEY;

/// The data directory was written under another key, or another `member_ids` setting.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct KeyMismatch {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The key id the data was written with (`None`: raw member ids).
    pub written: Option<String>,
    /// The key id at hand (`None`: member ids kept, or no key).
    pub now: Option<String>,
    message: String,
}

/// Where a key goes, for the messages.
fn key_places(data_dir: &Path) -> String {
    format!(
        "the environment variable {KEY_ENV}, the file [privacy] key_file names, or {}",
        data_dir.join(GENERATED_KEY).display()
    )
}

/// Checks a run that pseudonymises under `now` (`None`: it keeps raw ids) against what
/// `data_dir`'s last checkpoint says its ids were written with.
pub fn check_run(
    data_dir: &Path,
    written: Option<&str>,
    now: Option<&str>,
) -> Result<(), KeyMismatch> {
    let dir = data_dir.display();
    let message = match (written, now) {
        (a, b) if a == b => return Ok(()),
        (Some(a), Some(b)) => format!(
            "{dir} holds member ids pseudonymised under the key with id {a}, but this run's key has \
             id {b}: every member would get a second pseudonym. Run with the key {a} again (from \
             {}), or rotate keys by starting a new --data-dir (docs/privacy.md, \"Rotating the key\")",
            key_places(data_dir)
        ),
        (Some(a), None) => format!(
            "{dir} holds member ids pseudonymised under the key with id {a}, but this run keeps raw \
             member ids (privacy.member_ids = \"keep\"): set privacy.member_ids = \"pseudonymize\" \
             with the key {a}, or use a new --data-dir"
        ),
        (None, Some(b)) => format!(
            "{dir} holds member ids as they arrived (written with privacy.member_ids = \"keep\", or \
             by a version before pseudonymisation), but this run would pseudonymise them under the \
             key with id {b}: set privacy.member_ids = \"keep\" for this directory, or start a new \
             --data-dir to pseudonymise from now on"
        ),
        (None, None) => return Ok(()),
    };
    Err(KeyMismatch {
        data_dir: data_dir.to_path_buf(),
        written: written.map(str::to_string),
        now: now.map(str::to_string),
        message,
    })
}

/// Checks the id of `cohort serve`'s key (`now`, `None` without a key) against what the serving
/// database's last checkpoint says: data with raw ids is served with or without a key,
/// pseudonymised data only under its own key.
pub fn check_serve(
    data_dir: &Path,
    written: Option<&str>,
    now: Option<&str>,
) -> Result<(), KeyMismatch> {
    let Some(a) = written.filter(|a| Some(*a) != now) else {
        return Ok(());
    };
    let has = match now {
        Some(b) => format!("this server's key has id {b}"),
        None => "this server has no key".to_string(),
    };
    Err(KeyMismatch {
        data_dir: data_dir.to_path_buf(),
        written: Some(a.to_string()),
        now: now.map(str::to_string),
        message: format!(
            "{} holds member ids pseudonymised under the key with id {a}, but {has}: a member's \
             raw id could not be turned into its pseudonym. Give cohort serve the key {a} ({}; \
             cohort serve --config FILE reads key_file)",
            data_dir.display(),
            key_places(data_dir)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::SecretKey;

    #[test]
    fn a_run_must_match_the_written_key_or_keep_setting() {
        let dir = Path::new("/data");
        assert!(check_run(dir, None, None).is_ok());
        assert!(check_run(dir, Some("aa"), Some("aa")).is_ok());
        let e = check_run(dir, Some("aa"), Some("bb"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("aa") && e.contains("bb") && e.contains("Rotating the key"),
            "{e}"
        );
        let e = check_run(dir, Some("aa"), None).unwrap_err().to_string();
        assert!(e.contains("\"keep\"") && e.contains("aa"), "{e}");
        let e = check_run(dir, None, Some("bb")).unwrap_err().to_string();
        assert!(e.contains("as they arrived") && e.contains("bb"), "{e}");
    }

    #[test]
    fn a_server_needs_the_written_key_only_for_pseudonymised_data() {
        let dir = Path::new("/data");
        let secret = SecretKey::new(b"a test key that is long enough", "t").unwrap();
        let id = secret.id();
        let key = Some(id);
        assert!(check_serve(dir, None, None).is_ok());
        assert!(check_serve(dir, None, key).is_ok());
        assert!(check_serve(dir, key, key).is_ok());
        let e = check_serve(dir, Some("aa"), None).unwrap_err().to_string();
        assert!(e.contains("no key") && e.contains(KEY_ENV), "{e}");
        let e = check_serve(dir, Some("aa"), key).unwrap_err();
        assert_eq!(e.now.as_deref(), key);
        assert!(
            e.to_string().contains(id) && e.to_string().contains("aa"),
            "{e}"
        );
    }
}
