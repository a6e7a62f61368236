//! Running a 2-process cluster of the real binary on loopback, and comparing what two runs wrote
//! (lake tables row for row, serving tables without their commit-time columns): shared by the
//! cluster tests of each source (`cluster.rs`, `cluster_kafka.rs`).

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::{cohort, ok};

/// How long any cluster run of these tests may take (the machine is shared and small).
pub const PATIENCE: Duration = Duration::from_secs(600);

/// A hostfile for a 2-process cluster on loopback, with ports free right now.
pub fn hostfile(dir: &Path, name: &str) -> PathBuf {
    let listeners: Vec<_> = (0..2)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let text: String = listeners
        .iter()
        .map(|l| format!("127.0.0.1:{}\n", l.local_addr().unwrap().port()))
        .collect();
    let path = dir.join(format!("{name}.hosts"));
    std::fs::write(&path, text).unwrap();
    path
}

/// One process of a running cluster, its output going to files beside the hostfile.
pub struct Process {
    pub child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Process {
    /// Process `index` of the 2-process cluster of `hosts`, one worker: `run` is a `cohort run`
    /// with its source and data directory, to which this adds the cluster's flags.
    pub fn spawn(mut run: Command, index: usize, hosts: &Path) -> Process {
        let stdout = hosts.with_extension(format!("p{index}.out"));
        let stderr = hosts.with_extension(format!("p{index}.err"));
        run.args([
            "--workers",
            "1",
            "--processes",
            "2",
            "--process",
            &index.to_string(),
        ])
        .args(["--checkpoint-interval-ms", "20", "--hosts"])
        .arg(hosts)
        .stdout(Stdio::from(File::create(&stdout).unwrap()))
        .stderr(Stdio::from(File::create(&stderr).unwrap()));
        Process {
            child: run.spawn().unwrap(),
            stdout,
            stderr,
        }
    }

    /// Waits for the process to exit; returns its status, standard output and standard error.
    pub fn wait(mut self) -> (ExitStatus, String, String) {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > PATIENCE {
                self.child.kill().unwrap();
                panic!(
                    "a cluster process did not exit within {PATIENCE:?}; stderr:\n{}",
                    std::fs::read_to_string(&self.stderr).unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        (status, read(&self.stdout), read(&self.stderr))
    }
}

/// Runs a whole 2-process cluster to its end, each process a `run()` (a `cohort run` with its
/// source and data directory); returns each process's standard output.
pub fn run_cluster(run: impl Fn() -> Command, dir: &Path, name: &str) -> [String; 2] {
    let hosts = hostfile(dir, name);
    let processes = [0, 1].map(|i| Process::spawn(run(), i, &hosts));
    processes.map(|p| {
        let (status, stdout, stderr) = p.wait();
        assert!(
            status.success(),
            "cluster process failed ({status}):\n{stderr}"
        );
        stdout
    })
}

/// The lake's tables (directories under `lake/`).
pub fn lake_tables(data: &Path) -> BTreeSet<String> {
    std::fs::read_dir(data.join("lake"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('_'))
        .collect()
}

/// Every row of a lake table as JSON lines (CSV has no lists), sorted: the table's contents
/// whatever the file layout.
pub fn lake_rows(data: &Path, sql: &str) -> Vec<String> {
    let mut cmd = cohort();
    cmd.args(["query", "--format", "json", "--data-dir"])
        .arg(data)
        .arg(sql);
    let text = String::from_utf8(ok(cmd).stdout).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// What a lake table holds, compared between runs. Most tables hold one row per event, closed
/// hour, forecast or alert state, and are compared row for row. Two hold changes whose
/// intermediate steps depend on when commits happened (wall clock), so only their net effect is:
/// `recommendations` (change records) by their sum per row, `moderation_alerts` (every state of an
/// alert) by each alert's id, findings and latest finding: which states were written, and so the
/// status of the last one written, depends on where restarts fell (the serving table `alerts`,
/// compared in full, holds each alert's final state).
pub fn lake_contents(data: &Path, table: &str) -> Vec<String> {
    let sql = match table {
        "recommendations" => {
            "SELECT community_id, user_id, item_id, rank, score, reason, sum(diff) \
             FROM recommendations GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(diff) <> 0"
                .to_string()
        }
        "moderation_alerts" => "SELECT alert_id, max(count), max(last_seen) \
             FROM moderation_alerts GROUP BY alert_id"
            .to_string(),
        _ => format!("SELECT * FROM {table}"),
    };
    lake_rows(data, &sql)
}

/// Every row of every serving table but the bookkeeping ones, without the columns that say when
/// a row was written (`epoch`, `updated_at`: commit timing, not content).
pub fn serving_contents(data: &Path) -> Vec<(String, Vec<String>)> {
    let db = rusqlite::Connection::open_with_flags(
        data.join("serving.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables.retain(|t| {
        !matches!(
            t.as_str(),
            "checkpoints"
                | "lake_files"
                | "schema_migrations"
                | "kafka_forwarded"
                | "sqlite_sequence"
        )
    });
    tables
        .into_iter()
        .map(|table| {
            let columns: Vec<String> = db
                .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .filter(|c: &String| c != "epoch" && c != "updated_at")
                .collect();
            let sql = format!("SELECT {} FROM {table}", columns.join(", "));
            let mut stmt = db.prepare(&sql).unwrap();
            let mut rows: Vec<String> = stmt
                .query_map([], |r| {
                    Ok((0..columns.len())
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join("|"))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            rows.sort();
            (table, rows)
        })
        .collect()
}

/// The committed totals (events per kind, dead letters per reason) of a data directory.
pub fn totals(data: &Path) -> std::collections::BTreeMap<String, u64> {
    let store = cohort_sinks::SqliteStore::open(&data.join("serving.db"), "ingest").unwrap();
    store.last_checkpoint().unwrap().unwrap().totals
}

/// Equal lists, or a failure that shows where they first differ (they are long).
pub fn assert_same(what: &str, actual: &[String], expected: &[String]) {
    if actual == expected {
        return;
    }
    let a: BTreeSet<&String> = actual.iter().collect();
    let e: BTreeSet<&String> = expected.iter().collect();
    let missing: Vec<_> = e.difference(&a).take(3).collect();
    let extra: Vec<_> = a.difference(&e).take(3).collect();
    panic!(
        "{what}: {} rows, expected {}\nmissing: {missing:#?}\nextra: {extra:#?}",
        actual.len(),
        expected.len()
    );
}

/// The lake and the serving tables of `data` are those of `reference`.
pub fn assert_same_outputs(data: &Path, reference: &Path) {
    let tables = lake_tables(reference);
    assert_eq!(lake_tables(data), tables);
    assert!(
        tables.contains("events_view") && tables.contains("chat_scans"),
        "{tables:?}"
    );
    for table in &tables {
        let expected = lake_contents(reference, table);
        assert!(!expected.is_empty(), "{table} is empty in the reference");
        assert_same(
            &format!("lake table {table}"),
            &lake_contents(data, table),
            &expected,
        );
    }
    let serving = serving_contents(data);
    let expected = serving_contents(reference);
    assert_eq!(
        serving.iter().map(|(t, _)| t).collect::<Vec<_>>(),
        expected.iter().map(|(t, _)| t).collect::<Vec<_>>()
    );
    for ((table, rows), (_, expected_rows)) in serving.iter().zip(&expected) {
        assert_same(&format!("serving table {table}"), rows, expected_rows);
    }
    assert_eq!(totals(data), totals(reference));
}
