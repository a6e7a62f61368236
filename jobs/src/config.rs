//! Configuration: embedded defaults, then a TOML file, then `COHORT__SECTION__KEY` environment
//! variables, then command-line flags. Unknown keys are rejected, and every error names the key and
//! where its value came from.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cohort_pipeline::SourceSpec;
use cohort_schemas::Limits;
use serde::{Deserialize, Serialize};
use toml::{Table, Value};

/// The embedded defaults (also shipped as `deploy/config/cohort.example.toml`).
pub const DEFAULTS: &str = include_str!("default.toml");

/// Prefix of environment overrides: `COHORT__RUNTIME__WORKERS=4` sets `runtime.workers`.
pub const ENV_PREFIX: &str = "COHORT__";

/// Everything a run needs to know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What to read.
    pub source: SourceSpec,
    /// The timely runtime.
    pub runtime: Runtime,
    /// Validation limits.
    pub validation: Limits,
    /// Where results go.
    pub output: Output,
    /// The recommendation job.
    #[serde(default)]
    pub recs: crate::recs::RecsConfig,
    /// The forecast job.
    #[serde(default)]
    pub forecast: crate::forecast::ForecastJobConfig,
    /// What is kept of personal data.
    #[serde(default)]
    pub privacy: crate::privacy::PrivacyConfig,
    /// The moderation job.
    #[serde(default)]
    pub moderation: crate::moderation::job::ModerationJobConfig,
    /// The lake's upkeep (`cohort compact`).
    #[serde(default)]
    pub lake: LakeConfig,
    /// Where backends read the serving tables.
    #[serde(default)]
    pub serving: ServingConfig,
    /// Cluster mode: which process of which timely cluster this run is (docs/cluster.md).
    #[serde(default)]
    pub cluster: crate::cluster::ClusterConfig,
    /// The file this configuration was loaded from (not a key of it): a run watches it and takes up
    /// changes of `[moderation.lexicons]` without a restart.
    #[serde(skip)]
    pub loaded_from: Option<PathBuf>,
}

/// `[runtime]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runtime {
    /// Worker threads.
    pub workers: usize,
    /// Allowed lateness, ms.
    pub allowed_lateness_ms: i64,
    /// Commit interval, ms.
    pub checkpoint_interval_ms: u64,
    /// Records per split per step.
    pub batch: usize,
    /// Records a worker may hold before staging early, to bound memory.
    pub max_buffered_records: usize,
}

/// `[output]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// The data directory.
    pub data_dir: PathBuf,
}

/// `[serving]`: the database backends read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServingConfig {
    /// `sqlite` (the data directory's `serving.db` only) or `postgres` (also copied to PostgreSQL).
    pub backend: ServingBackend,
    /// The PostgreSQL connection URL (`postgresql://user@host:5432/db` or libpq `key=value`); give
    /// a password through `COHORT__SERVING__POSTGRES_URL` rather than the file.
    pub postgres_url: Option<String>,
    /// Keep each pseudonym's raw member id in the serving table `member_ids` (and the view
    /// `recommendations_by_raw_id`), for backends that look members up by raw id. Never in the lake.
    pub raw_member_ids: bool,
}

/// `serving.backend`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServingBackend {
    /// The embedded SQLite database.
    #[default]
    Sqlite,
    /// PostgreSQL, beside the SQLite database that stays the lake's commit log.
    Postgres,
}

impl ServingConfig {
    /// The PostgreSQL URL when the backend is PostgreSQL.
    pub fn postgres(&self) -> Option<&str> {
        match self.backend {
            ServingBackend::Postgres => self.postgres_url.as_deref(),
            ServingBackend::Sqlite => None,
        }
    }

    /// The first unusable setting, as (key, message).
    fn invalid(&self) -> Option<(&'static str, String)> {
        let url = self.postgres_url.as_deref().map(str::trim);
        match (self.backend, url) {
            (ServingBackend::Postgres, None | Some("")) => Some((
                "serving.postgres_url",
                "serving.backend = \"postgres\" needs a connection URL".to_string(),
            )),
            (_, Some(url)) if !url.is_empty() => url.parse::<postgres::Config>().err().map(|e| {
                (
                    "serving.postgres_url",
                    format!("not a PostgreSQL connection URL: {e}"),
                )
            }),
            _ => None,
        }
    }
}

/// `[lake]`: what `cohort compact` keeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LakeConfig {
    /// `[lake.retention_days]`: per lake table, the days its date partitions are kept (counted by
    /// event time); a table not listed is kept forever.
    pub retention_days: std::collections::BTreeMap<String, u32>,
}

impl LakeConfig {
    /// The first unusable setting, as (key, message).
    fn invalid(&self) -> Option<(String, String)> {
        use cohort_schemas::lake::LakeTable;
        self.retention_days.iter().find_map(|(table, days)| {
            let key = format!("lake.retention_days.{table}");
            match LakeTable::from_name(table) {
                None => Some((
                    key,
                    format!(
                        "no lake table is called `{table}`; expected one of {:?}",
                        LakeTable::all()
                            .filter(|t| *t != LakeTable::Erasures)
                            .map(LakeTable::name)
                            .collect::<Vec<_>>()
                    ),
                )),
                Some(LakeTable::Erasures) => Some((
                    key,
                    "the erasure register is kept as long as the lake: without it, compaction \
                     could not remove an erased member's late or replayed events"
                        .to_string(),
                )),
                Some(_) if *days == 0 => Some((key, "must be at least 1 day".to_string())),
                Some(_) => None,
            }
        })
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A key is unknown or its value has the wrong type.
    #[error("invalid config key `{key}` (from {origin}): {message}")]
    Key {
        /// Dotted key path.
        key: String,
        /// The file, the environment variable, or the embedded defaults.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A value is of the right type but not usable.
    #[error("invalid config key `{key}` (from {origin}): {message}")]
    Value {
        /// Dotted key path.
        key: String,
        /// The file, the environment variable, or the embedded defaults.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

/// Loads the configuration: defaults, then `file`, then the environment `env`.
pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let mut merged: Table = DEFAULTS.parse().expect("embedded defaults are valid TOML");
    let file_origin = file.map(|p| p.display().to_string());
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let table: Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Syntax {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        merge(&mut merged, table);
    }
    let mut from_env = BTreeSet::new();
    for (name, raw) in env {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        set_path(&mut merged, &path, parse_env_value(&raw));
        from_env.insert((path.join("."), name));
    }
    // Where a key's value came from: the environment variable that set it, else the file, else
    // the embedded defaults.
    let origin = |key: &str| {
        from_env
            .iter()
            .find(|(k, _)| key == *k || key.starts_with(&format!("{k}.")) || k.starts_with(key))
            .map(|(_, var)| format!("environment variable {var}"))
            .or(file_origin.clone())
            .unwrap_or_else(|| "the embedded defaults".to_string())
    };
    let mut config: Config =
        serde_path_to_error::deserialize(Value::Table(merged)).map_err(|e| {
            let key = e.path().to_string();
            ConfigError::Key {
                origin: origin(&key),
                key,
                message: e.into_inner().to_string(),
            }
        })?;
    config
        .validate()
        .map_err(|(key, message)| ConfigError::Value {
            origin: origin(&key),
            key,
            message,
        })?;
    config.loaded_from = file.map(Path::to_path_buf);
    Ok(config)
}

/// Re-reads `[moderation.lexicons]` from `file` the way [`load`] reads it (defaults, the file, then
/// the environment as it is at the time of the call): what a running job's lexicons reload from.
pub fn lexicon_loader(file: PathBuf) -> crate::moderation::lexicon::ConfigLoader {
    Box::new(move || {
        load(Some(&file), std::env::vars())
            .map(|config| config.moderation.lexicons)
            .map_err(|e| crate::moderation::lexicon::LexiconError::Config {
                path: file.clone(),
                message: e.to_string(),
            })
    })
}

impl Config {
    /// The first unusable value, as (key, message).
    fn validate(&self) -> Result<(), (String, String)> {
        let bad = |key: &str, message: &str| Err((key.to_string(), message.to_string()));
        if self.runtime.workers == 0 {
            return bad("runtime.workers", "must be at least 1");
        }
        if self.runtime.batch == 0 {
            return bad("runtime.batch", "must be at least 1");
        }
        if self.runtime.allowed_lateness_ms < 0 {
            return bad("runtime.allowed_lateness_ms", "must not be negative");
        }
        if self.validation.min_ts_ms >= self.validation.max_ts_ms {
            return bad("validation.min_ts_ms", "must be below validation.max_ts_ms");
        }
        if let Some((key, message)) = self.recs.invalid() {
            return bad(key, message);
        }
        if let Some((key, message)) = self.forecast.invalid() {
            return bad(key, message);
        }
        if let Some((key, message)) = self.moderation.invalid() {
            return bad(key, message);
        }
        if let Some((key, message)) = self.lake.invalid() {
            return bad(&key, &message);
        }
        if let Some((key, message)) = self.serving.invalid() {
            return bad(key, &message);
        }
        if let Some((key, message)) = self.cluster.invalid() {
            return bad(key, &message);
        }
        if let SourceSpec::Kafka(kafka) = &self.source {
            let unknown = kafka.unknown_topic_keys();
            if !unknown.is_empty() {
                return bad(
                    "source.topics",
                    &format!(
                        "unknown topic keys {unknown:?}; expected some of {:?}",
                        cohort_pipeline::source::kafka::TOPIC_KEYS
                    ),
                );
            }
            if kafka.brokers.trim().is_empty() {
                return bad("source.brokers", "must name at least one host:port");
            }
        }
        Ok(())
    }
}

fn merge(base: &mut Table, over: Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            // `source` is replaced whole: the keys of one source type mean nothing to another.
            (Some(Value::Table(b)), Value::Table(o)) if key != "source" => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn set_path(table: &mut Table, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut t = table;
    for p in parents {
        let entry = t
            .entry(p.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        t = entry.as_table_mut().expect("made a table above");
    }
    t.insert(last.clone(), value);
}

/// Environment values are TOML values when they parse as one (`4`, `true`, `[1, 2]`), strings otherwise.
fn parse_env_value(raw: &str) -> Value {
    format!("v = {raw}")
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_shipped_example_config_is_the_embedded_defaults() {
        assert!(
            include_str!("../../deploy/config/cohort.example.toml") == DEFAULTS,
            "deploy/config/cohort.example.toml differs from jobs/src/default.toml: copy it over"
        );
    }

    #[test]
    fn defaults_load_and_env_overrides_apply() {
        let c = load(
            None,
            env(&[("COHORT__RUNTIME__WORKERS", "3"), ("HOME", "/x")]),
        )
        .unwrap();
        assert_eq!(c.runtime.workers, 3);
        assert!(matches!(c.source, SourceSpec::Generate(_)));
        assert_eq!(c.output.data_dir, PathBuf::from("./cohort-data"));
    }

    #[test]
    fn unknown_keys_name_the_key_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[runtime]\nwrokers = 2\n").unwrap();
        let e = load(Some(&path), env(&[])).unwrap_err().to_string();
        assert!(e.contains("runtime.wrokers") && e.contains("c.toml"), "{e}");
        let e = load(None, env(&[("COHORT__RUNTIME__WORKERS", "many")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("runtime.workers") && e.contains("COHORT__RUNTIME__WORKERS"),
            "{e}"
        );
    }

    #[test]
    fn a_kafka_source_reads_topics_security_options_and_env_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[source]\ntype = \"kafka\"\nbrokers = \"k1:9092,k2:9092\"\nstart = \"latest\"\n\
             [source.topics]\nviews = \"prod.page_views\"\n\
             [source.librdkafka]\n\"security.protocol\" = \"SASL_SSL\"\n",
        )
        .unwrap();
        let c = load(
            Some(&path),
            env(&[("COHORT__SOURCE__IDLE_TIMEOUT_MS", "250")]),
        )
        .unwrap();
        let SourceSpec::Kafka(k) = &c.source else {
            panic!("not kafka: {:?}", c.source)
        };
        assert_eq!(k.brokers, "k1:9092,k2:9092");
        assert_eq!(k.start, cohort_pipeline::source::kafka::StartFrom::Latest);
        assert_eq!(k.idle_timeout_ms, 250);
        assert_eq!(k.topic("views"), "prod.page_views");
        assert_eq!(k.topic("likes"), "cohort.likes");
        assert_eq!(k.librdkafka["security.protocol"], "SASL_SSL");

        std::fs::write(
            &path,
            "[source]\ntype = \"kafka\"\n[source.topics]\nview = \"x\"\n",
        )
        .unwrap();
        let e = load(Some(&path), env(&[])).unwrap_err().to_string();
        assert!(e.contains("source.topics") && e.contains("view"), "{e}");
        std::fs::write(&path, "[source]\ntype = \"kafka\"\nstart = \"soon\"\n").unwrap();
        let e = load(Some(&path), env(&[])).unwrap_err().to_string();
        assert!(e.contains("source") && e.contains("soon"), "{e}");
    }

    #[test]
    fn retention_names_lake_tables_and_errors_name_the_key_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[lake.retention_days]\ndead_letters = 7\nevents_chat = 365\n",
        )
        .unwrap();
        let c = load(Some(&path), env(&[])).unwrap();
        assert_eq!(c.lake.retention_days["dead_letters"], 7);
        assert_eq!(c.lake.retention_days.len(), 2);
        assert!(load(None, env(&[])).unwrap().lake.retention_days.is_empty());
        for (body, key) in [
            (
                "[lake.retention_days]\nevents_chats = 7\n",
                "lake.retention_days.events_chats",
            ),
            (
                "[lake.retention_days]\nerasures = 7\n",
                "lake.retention_days.erasures",
            ),
            (
                "[lake.retention_days]\nalerts = 0\n",
                "lake.retention_days.alerts",
            ),
            (
                "[lake.retention_days]\nalerts = \"a week\"\n",
                "lake.retention_days.alerts",
            ),
        ] {
            std::fs::write(&path, body).unwrap();
            let e = load(Some(&path), env(&[])).unwrap_err().to_string();
            assert!(e.contains(key) && e.contains("c.toml"), "{body}: {e}");
        }
    }

    #[test]
    fn cluster_settings_come_from_the_file_and_errors_name_the_key_and_the_file() {
        assert_eq!(load(None, env(&[])).unwrap().cluster.processes, 1);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[cluster]\nprocesses = 2\nprocess = 1\nhosts = \"hosts.txt\"\n",
        )
        .unwrap();
        let c = load(Some(&path), env(&[])).unwrap();
        assert_eq!((c.cluster.processes, c.cluster.process), (2, 1));
        assert_eq!(c.cluster.hosts, Some(PathBuf::from("hosts.txt")));
        std::fs::write(
            &path,
            "[cluster]\nprocesses = 2\nprocess = 2\nhosts = \"h\"\n",
        )
        .unwrap();
        let e = load(Some(&path), env(&[])).unwrap_err().to_string();
        assert!(e.contains("cluster.process") && e.contains("c.toml"), "{e}");
        std::fs::write(&path, "[cluster]\nprocesses = 2\n").unwrap();
        let e = load(Some(&path), env(&[])).unwrap_err().to_string();
        assert!(e.contains("cluster.hosts") && e.contains("c.toml"), "{e}");
    }

    #[test]
    fn a_file_source_replaces_the_default_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[source]\ntype = \"file\"\npath = \"in.jsonl\"\n").unwrap();
        let c = load(Some(&path), env(&[])).unwrap();
        assert_eq!(
            c.source,
            SourceSpec::File {
                path: "in.jsonl".into()
            }
        );
        let e = load(None, env(&[("COHORT__RUNTIME__WORKERS", "0")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("runtime.workers"), "{e}");
    }
}
