//! Cluster mode: one `cohort run` process of an N-process timely cluster (issue 8).
//!
//! Timely clusters are static: every process knows every other's address from the start (the
//! hostfile, line `i` = process `i`) and the cluster lives as long as every process does. Global
//! worker `w` is thread `w mod threads` of process `w / threads`, so splits (file ranges, generator
//! blocks, Kafka partitions) spread over all workers of all processes exactly as they spread over
//! the threads of one process with as many workers: a 2-process × 1-thread cluster and a 1-process ×
//! 2-thread run read the same splits, write the same lake and resume each other's checkpoints.
//!
//! How the parts fit (docs/cluster.md has the operator's view):
//!
//! - [`ClusterConfig`] is `[cluster]`; [`ClusterConfig::plan`] validates it and reads the hostfile.
//! - [`connect`] opens the connections in an order that makes process 0 the one that prepares the
//!   data directory: process 0 recovers (publishes what a crash left committed, clears staging)
//!   *before* it listens, and every other process reads its start state only once connected to
//!   process 0, so all processes start from the one checkpoint process 0 has made consistent.
//! - [`peer_loss`] turns timely's panics on a lost connection into one clear error, so the
//!   surviving processes exit instead of hanging or printing a wall of panics.

mod connect;
pub mod peer_loss;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use connect::{Connected, connect};

/// `[cluster]`: which process of which cluster this run is (`processes = 1`: not a cluster).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// Processes in the cluster.
    pub processes: usize,
    /// This process's index, `0 .. processes`. Process 0 commits: it holds the serving database
    /// and the data directory's lock.
    pub process: usize,
    /// The hostfile: one `host:port` per line, line `i` = process `i` (blank lines and lines
    /// starting with `#` are skipped). Needed when `processes > 1`.
    pub hosts: Option<PathBuf>,
    /// How long a process waits at start for every other process to connect (ms).
    pub connect_timeout_ms: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            processes: 1,
            process: 0,
            hosts: None,
            connect_timeout_ms: 300_000,
        }
    }
}

/// A validated cluster: this process's place in it and everyone's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterPlan {
    /// This process's index.
    pub process: usize,
    /// `host:port` of every process, by index.
    pub addresses: Vec<String>,
    /// How long to wait for the others at start.
    pub connect_timeout: Duration,
}

impl ClusterPlan {
    /// Processes in the cluster.
    pub fn processes(&self) -> usize {
        self.addresses.len()
    }

    /// Whether this process commits (process 0, which holds global worker 0).
    pub fn commits(&self) -> bool {
        self.process == 0
    }
}

/// A `[cluster]` setting or hostfile that cannot be used, or a cluster that could not form.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A value of `[cluster]` (or its command-line flag) is unusable.
    #[error("invalid config key `cluster.{key}`: {message}")]
    Key {
        /// The key under `[cluster]`.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The hostfile could not be read.
    #[error("cannot read the hostfile {path} (`cluster.hosts`): {source}")]
    ReadHosts {
        /// The hostfile.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The hostfile's content does not fit `[cluster]`.
    #[error("the hostfile {path} (`cluster.hosts`): {message}")]
    Hosts {
        /// The hostfile.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Connecting to the other processes failed.
    #[error(
        "process {process} could not form the cluster: {message}; start every process of the \
         cluster (same hostfile, same data directory), each with its own --process"
    )]
    Connect {
        /// This process.
        process: usize,
        /// What failed.
        message: String,
    },
}

impl ClusterConfig {
    /// The first unusable value, as (key, message), without reading the hostfile: what config
    /// loading checks (the flags are applied and checked again by [`ClusterConfig::plan`]).
    pub fn invalid(&self) -> Option<(&'static str, String)> {
        if self.processes == 0 {
            return Some(("cluster.processes", "must be at least 1".into()));
        }
        if self.process >= self.processes {
            return Some((
                "cluster.process",
                format!(
                    "is {}, but a cluster of {} processes numbers them 0 to {}",
                    self.process,
                    self.processes,
                    self.processes - 1
                ),
            ));
        }
        if self.processes > 1 && self.hosts.is_none() {
            return Some((
                "cluster.hosts",
                format!(
                    "a cluster of {} processes needs a hostfile: one host:port per line, line i = process i",
                    self.processes
                ),
            ));
        }
        None
    }

    /// The cluster this process belongs to, or `None` for a single process. Reads and checks the
    /// hostfile.
    pub fn plan(&self) -> Result<Option<ClusterPlan>, ClusterError> {
        if let Some((key, message)) = self.invalid() {
            let key = key.trim_start_matches("cluster.");
            return Err(ClusterError::Key { key, message });
        }
        if self.processes == 1 {
            return Ok(None);
        }
        let Some(path) = self.hosts.as_deref() else {
            return Err(ClusterError::Key {
                key: "hosts",
                message: "a cluster needs a hostfile".into(),
            });
        };
        let addresses = read_hosts(path)?;
        if addresses.len() != self.processes {
            return Err(ClusterError::Hosts {
                path: path.to_path_buf(),
                message: format!(
                    "has {} addresses, but `cluster.processes` is {}: one host:port per line, line i = process i",
                    addresses.len(),
                    self.processes
                ),
            });
        }
        Ok(Some(ClusterPlan {
            process: self.process,
            addresses,
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
        }))
    }
}

/// The addresses of a hostfile, checked to be `host:port` each and distinct.
fn read_hosts(path: &Path) -> Result<Vec<String>, ClusterError> {
    let text = std::fs::read_to_string(path).map_err(|source| ClusterError::ReadHosts {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |message: String| ClusterError::Hosts {
        path: path.to_path_buf(),
        message,
    };
    let mut addresses: Vec<String> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let port = line
            .rsplit_once(':')
            .map(|(host, port)| (host, port.parse::<u16>()));
        match port {
            Some((host, Ok(_))) if !host.is_empty() => {}
            _ => {
                return Err(bad(format!(
                    "line {} is `{line}`, not host:port",
                    number + 1
                )));
            }
        }
        if addresses.iter().any(|a| a == line) {
            return Err(bad(format!(
                "line {} repeats the address {line}: every process needs its own",
                number + 1
            )));
        }
        addresses.push(line.to_string());
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(processes: usize, process: usize, hosts: Option<&Path>) -> ClusterConfig {
        ClusterConfig {
            processes,
            process,
            hosts: hosts.map(Path::to_path_buf),
            ..ClusterConfig::default()
        }
    }

    #[test]
    fn one_process_is_no_cluster() {
        assert_eq!(ClusterConfig::default().plan().unwrap(), None);
    }

    #[test]
    fn a_hostfile_gives_every_process_its_address() {
        let dir = tempfile::tempdir().unwrap();
        let hosts = dir.path().join("hosts");
        std::fs::write(&hosts, "# the cluster\n10.0.0.1:2101\n\n10.0.0.2:2101\n").unwrap();
        let plan = config(2, 1, Some(&hosts)).plan().unwrap().unwrap();
        assert_eq!(plan.addresses, ["10.0.0.1:2101", "10.0.0.2:2101"]);
        assert_eq!(
            (plan.process, plan.processes(), plan.commits()),
            (1, 2, false)
        );
    }

    #[test]
    fn errors_name_the_key_or_the_hostfile() {
        let dir = tempfile::tempdir().unwrap();
        let hosts = dir.path().join("hosts.txt");
        std::fs::write(&hosts, "a:1\nb:2\n").unwrap();
        let e = config(2, 2, Some(&hosts)).plan().unwrap_err().to_string();
        assert!(e.contains("cluster.process") && e.contains("0 to 1"), "{e}");
        let e = config(2, 0, None).plan().unwrap_err().to_string();
        assert!(e.contains("cluster.hosts"), "{e}");
        let e = config(3, 0, Some(&hosts)).plan().unwrap_err().to_string();
        assert!(
            e.contains("hosts.txt") && e.contains("has 2 addresses"),
            "{e}"
        );
        for body in ["a:1\nb\n", "a:1\nb:port\n", "a:1\n:2\n", "a:1\na:1\n"] {
            std::fs::write(&hosts, body).unwrap();
            let e = config(2, 0, Some(&hosts)).plan().unwrap_err().to_string();
            assert!(
                e.contains("hosts.txt") && e.contains("line 2"),
                "{body:?}: {e}"
            );
        }
        let e = config(2, 0, Some(&dir.path().join("missing")))
            .plan()
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing") && e.contains("cluster.hosts"), "{e}");
    }
}
