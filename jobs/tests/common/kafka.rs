//! The real Kafka-protocol broker (Tansu, via `scripts/kafka-broker.sh`) and an independent Python
//! client (confluent-kafka, `tests/kafka_client.py`) for the Kafka tests.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{cohort, ok};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn script(state: Option<&Path>) -> Command {
    let mut cmd = Command::new(repo_root().join("scripts/kafka-broker.sh"));
    if let Some(state) = state {
        cmd.env("COHORT_KAFKA_DIR", state);
    }
    cmd
}

/// A running broker: the suite's shared one, or a test's own (stopped when dropped) for tests that
/// stop or restart it.
pub struct Broker {
    /// `host:port`.
    pub brokers: String,
    own: Option<PathBuf>,
}

impl Broker {
    /// The suite's broker (`scripts/test.sh` starts it; started here when run another way).
    pub fn shared() -> Broker {
        let brokers = match std::env::var("COHORT_KAFKA_BROKERS") {
            Ok(b) if !b.is_empty() => b,
            _ => start(None),
        };
        Broker { brokers, own: None }
    }

    /// A broker of this test's own, with its data in `state`.
    pub fn own(state: &Path) -> Broker {
        Broker {
            brokers: start(Some(state)),
            own: Some(state.to_path_buf()),
        }
    }

    /// Creates the event, dead-letter and alert topics under `prefix`.
    pub fn topics(&self, prefix: &str, partitions: u32) {
        // The shared broker's state directory comes from the environment, as for the script.
        let mut cmd = script(self.own.as_deref());
        cmd.args(["topics", prefix, &partitions.to_string()]);
        ok(cmd);
    }

    /// The broker's process id (own brokers only).
    pub fn pid(&self) -> i32 {
        let mut cmd = script(self.own.as_deref());
        cmd.arg("pid");
        String::from_utf8(ok(cmd).stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// Stops the broker process and starts it again on the same port and data.
    pub fn restart(&self) {
        let mut cmd = script(self.own.as_deref());
        cmd.arg("restart");
        ok(cmd);
    }

    /// Sends `signal` (`STOP`, `CONT`) to the broker process.
    pub fn signal(&self, signal: &str) {
        let mut cmd = Command::new("kill");
        cmd.arg(format!("-{signal}")).arg(self.pid().to_string());
        ok(cmd);
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(state) = &self.own {
            let _ = script(Some(state)).arg("stop").output();
        }
    }
}

fn start(state: Option<&Path>) -> String {
    let mut cmd = script(state);
    cmd.arg("start");
    String::from_utf8(ok(cmd).stdout)
        .unwrap()
        .trim()
        .to_string()
}

/// A topic prefix no other test uses.
pub fn unique_prefix(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("t{}{name}{nanos}.", std::process::id())
}

/// The independent Python client.
pub fn client() -> Command {
    let python = std::env::var("COHORT_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap();
        format!("{home}/.cache/cohort/venv/bin/python")
    });
    let mut cmd = Command::new(python);
    cmd.arg(repo_root().join("jobs/tests/kafka_client.py"));
    cmd
}

/// Produces `file` under `prefix` with the Python client; returns the count.
pub fn python_produce(brokers: &str, prefix: &str, file: &Path) -> u64 {
    let mut cmd = client();
    cmd.args(["produce", brokers, prefix]).arg(file);
    String::from_utf8(ok(cmd).stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The end offset of every partition of the event topics under `prefix`, keyed `topic/partition`.
pub fn end_offsets(brokers: &str, prefix: &str) -> BTreeMap<String, u64> {
    let mut cmd = client();
    cmd.args(["end-offsets", brokers]);
    for key in [
        "views", "likes", "payments", "chat", "items", "members", "checkins", "erasures",
    ] {
        cmd.arg(format!("{prefix}{key}"));
    }
    serde_json::from_slice(&ok(cmd).stdout).unwrap()
}

/// Every record of `topic`, read by the Python client.
pub fn consume(brokers: &str, topic: &str) -> Vec<serde_json::Value> {
    let mut cmd = client();
    cmd.args(["consume", brokers, topic]);
    String::from_utf8(ok(cmd).stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The resume offset of every partition in the lake's manifest, keyed `topic/partition`.
pub fn manifest_offsets(data_dir: &Path) -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string(data_dir.join("lake/_manifest/ingest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    kafka_positions(&manifest["checkpoint"])
}

/// The same offsets as stored in the serving database's newest checkpoint row.
pub fn serving_offsets(data_dir: &Path) -> BTreeMap<String, u64> {
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        "import sqlite3,sys,json; c=sqlite3.connect(sys.argv[1]); \
         print(c.execute(\"SELECT offsets_json FROM checkpoints WHERE job='ingest' ORDER BY id DESC LIMIT 1\").fetchone()[0])",
    ])
    .arg(data_dir.join("serving.db"));
    let checkpoint: serde_json::Value = serde_json::from_slice(&ok(cmd).stdout).unwrap();
    kafka_positions(&checkpoint)
}

/// The resume position of every Kafka split of a checkpoint (as JSON), keyed `topic/partition`.
fn kafka_positions(checkpoint: &serde_json::Value) -> BTreeMap<String, u64> {
    checkpoint["splits"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(split, resume)| {
            let key = split.strip_prefix("kafka:")?;
            Some((key.to_string(), resume["position"].as_u64().unwrap()))
        })
        .collect()
}

/// `cohort run --source kafka` against `brokers`/`prefix` into `data_dir` (not started).
pub fn kafka_run(brokers: &str, prefix: &str, data_dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = cohort();
    cmd.args([
        "run",
        "--source",
        "kafka",
        "--brokers",
        brokers,
        "--topic-prefix",
        prefix,
        "--data-dir",
    ])
    .arg(data_dir)
    .args(extra)
    // Short idle detection and commits keep the tests quick.
    .env("COHORT__SOURCE__TYPE", "kafka")
    .env("COHORT__SOURCE__IDLE_TIMEOUT_MS", "300")
    .env("COHORT__RUNTIME__CHECKPOINT_INTERVAL_MS", "100");
    cmd
}

/// Event rows, distinct event ids and late dead letters in the lake: "exactly once" means rows equal
/// distinct ids, and events plus late letters equal what was produced minus malformed records.
pub fn event_counts(data_dir: &Path) -> (u64, u64, u64) {
    let union = super::EVENT_TABLES
        .iter()
        .map(|t| format!("SELECT event_id FROM {t}"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let rows = super::query(
        data_dir,
        &format!("SELECT count(*), count(DISTINCT event_id) FROM ({union})"),
    );
    let late = super::query_u64(
        data_dir,
        "SELECT count(*) FROM dead_letters WHERE reason = 'late'",
    );
    (
        rows[0][0].parse().unwrap(),
        rows[0][1].parse().unwrap(),
        late,
    )
}

/// Writes the first `n` lines of `from` to `to`, the rest to `rest`.
pub fn split_file(from: &Path, n: usize, to: &Path, rest: &Path) {
    let text = std::fs::read_to_string(from).unwrap();
    let mut first = std::fs::File::create(to).unwrap();
    let mut second = std::fs::File::create(rest).unwrap();
    for (i, line) in text.lines().enumerate() {
        let out = if i < n { &mut first } else { &mut second };
        writeln!(out, "{line}").unwrap();
    }
}
