//! Lexicons that change without a restart: moderators add a phrase to a file or a community's list,
//! and the next check picks it up.
//!
//! [`ReloadableLexicons`] holds the current [`LexiconSet`] behind an `RwLock<Arc<_>>`: a reader
//! clones the `Arc` (one atomic increment) and matches without holding the lock, so a rebuild never
//! blocks matching, and a message is matched against one consistent set. Changes are noticed by
//! polling: [`ReloadableLexicons::reload_if_changed`] compares the modification time and length
//! of every watched file (the extra lexicon files and, if given, the config file) with what the
//! current set was built from: one `stat` per file, cheap enough to call once per dataflow step.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::SystemTime;

use super::{LexiconConfig, LexiconError, LexiconSet};

/// Re-reads `[moderation.lexicons]` when the config file changed; called on the reloading thread.
pub type ConfigLoader = Box<dyn Fn() -> Result<LexiconConfig, LexiconError> + Send + Sync>;

/// The current lexicons, rebuilt when their files change. Share it with `Arc` between workers.
pub struct ReloadableLexicons {
    current: RwLock<Arc<LexiconSet>>,
    watch: Mutex<Watch>,
    config_file: Option<(PathBuf, ConfigLoader)>,
}

/// What the current set was built from.
struct Watch {
    config: LexiconConfig,
    stamps: Vec<(PathBuf, Stamp)>,
}

/// What a file looked like when last read (`None`s: it did not exist or could not be read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: Option<u64>,
}

impl Stamp {
    fn of(path: &Path) -> Stamp {
        let meta = std::fs::metadata(path).ok();
        Stamp {
            modified: meta.as_ref().and_then(|m| m.modified().ok()),
            len: meta.map(|m| m.len()),
        }
    }
}

impl ReloadableLexicons {
    /// Builds the lexicons of a fixed `config`, then watches its extra files.
    pub fn new(config: LexiconConfig) -> Result<ReloadableLexicons, LexiconError> {
        ReloadableLexicons::start(config, None)
    }

    /// Builds the lexicons of the config `loader` returns, then watches `config_file` as well as
    /// the extra files: when it changes, `loader` is called again (typically: load the whole
    /// configuration, with its defaults and environment overrides, and take its
    /// `moderation.lexicons`).
    pub fn with_config_file(
        config_file: PathBuf,
        loader: ConfigLoader,
    ) -> Result<ReloadableLexicons, LexiconError> {
        let config = loader()?;
        ReloadableLexicons::start(config, Some((config_file, loader)))
    }

    fn start(
        config: LexiconConfig,
        config_file: Option<(PathBuf, ConfigLoader)>,
    ) -> Result<ReloadableLexicons, LexiconError> {
        let stamps = stamps(config_file.as_ref().map(|(p, _)| p.as_path()), &config);
        let set = LexiconSet::build(&config)?;
        Ok(ReloadableLexicons {
            current: RwLock::new(Arc::new(set)),
            watch: Mutex::new(Watch { config, stamps }),
            config_file,
        })
    }

    /// The current lexicons. Hold the `Arc` for one message or one batch, then ask again.
    pub fn current(&self) -> Arc<LexiconSet> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(&current)
    }

    /// Rebuilds the lexicons if a watched file changed since the last check: `Ok(true)` when a new
    /// set is in place, `Ok(false)` when nothing changed.
    ///
    /// On an error the previous set stays in use and the error is returned once: the failed
    /// attempt's files count as seen, so the next call returns `Ok(false)` until a file changes
    /// again (typically: the fix). Stamps are taken before the files are read, so a file written
    /// during a rebuild is read again at the next check.
    pub fn reload_if_changed(&self) -> Result<bool, LexiconError> {
        let mut watch = self.watch.lock().unwrap_or_else(PoisonError::into_inner);
        if watch
            .stamps
            .iter()
            .all(|(path, seen)| Stamp::of(path) == *seen)
        {
            return Ok(false);
        }
        let config_path = self.config_file.as_ref().map(|(p, _)| p.as_path());
        let config = match &self.config_file {
            Some((_, loader)) => match loader() {
                Ok(config) => config,
                Err(e) => {
                    watch.stamps = stamps(config_path, &watch.config);
                    return Err(e);
                }
            },
            None => watch.config.clone(),
        };
        watch.stamps = stamps(config_path, &config);
        let set = LexiconSet::build(&config)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(set);
        watch.config = config;
        Ok(true)
    }
}

/// The stamps of the config file (if any) and of the extra lexicon files of `config`.
fn stamps(config_file: Option<&Path>, config: &LexiconConfig) -> Vec<(PathBuf, Stamp)> {
    config_file
        .into_iter()
        .chain(config.extra_files.iter().map(PathBuf::as_path))
        .map(|path| (path.to_path_buf(), Stamp::of(path)))
        .collect()
}

#[cfg(test)]
mod tests;
