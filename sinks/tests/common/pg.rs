//! PostgreSQL for tests: a fresh database per test on the server `scripts/postgres.sh` started
//! (`COHORT_POSTGRES_URL`), a private server a test may restart (`COHORT_PG_BINDIR`), and the rows
//! of a serving table read alike from SQLite and PostgreSQL, for comparing the two backends.
//! Shared by the sinks' and the jobs' tests (`#[path]`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The server's URL (`scripts/test.sh` exports it; the machine default otherwise).
pub fn server_url() -> String {
    std::env::var("COHORT_POSTGRES_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".to_string())
}

/// `url` with its database replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a URL with a database");
    format!("{base}/{db}")
}

/// A database of its own for one test, dropped when the test ends.
pub struct TestDatabase {
    /// Its URL.
    pub url: String,
    admin: String,
    name: String,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl TestDatabase {
    /// Creates an empty database on the server at `admin` (a URL).
    pub fn create_on(admin: &str, label: &str) -> TestDatabase {
        let name = format!(
            "cohort_test_{label}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let mut client = connect(admin);
        // Two statements, not one batch: a batch runs in a transaction, which these refuse.
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        TestDatabase {
            url: with_database(admin, &name),
            admin: admin.to_string(),
            name,
        }
    }

    /// Creates an empty database on the test server.
    pub fn create(label: &str) -> TestDatabase {
        TestDatabase::create_on(&server_url(), label)
    }

    /// A new connection to it.
    pub fn client(&self) -> postgres::Client {
        connect(&self.url)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Connects, failing the test with where it tried.
pub fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap_or_else(|e| {
        panic!("PostgreSQL at {url} (scripts/postgres.sh starts it; COHORT_POSTGRES_URL): {e}")
    })
}

/// One value of a row, as both databases hold it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A double, by its shortest exact spelling (equal doubles spell alike).
    Real(String),
    /// Text.
    Text(String),
}

/// The columns of a SQLite table, without `skip`.
fn columns(sqlite: &rusqlite::Connection, table: &str, skip: &[&str]) -> Vec<String> {
    let mut stmt = sqlite
        .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
        .unwrap();
    let names: Vec<String> = stmt
        .query_map([table], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!names.is_empty(), "SQLite has no table {table}");
    names
        .into_iter()
        .filter(|c| !skip.contains(&c.as_str()))
        .collect()
}

/// Every row of `table` in SQLite (columns but `skip`), sorted.
pub fn sqlite_rows(sqlite: &rusqlite::Connection, table: &str, skip: &[&str]) -> Vec<Vec<Cell>> {
    use rusqlite::types::ValueRef;
    let columns = columns(sqlite, table, skip);
    let mut stmt = sqlite
        .prepare(&format!("SELECT {} FROM {table}", columns.join(", ")))
        .unwrap();
    let mut rows: Vec<Vec<Cell>> = stmt
        .query_map([], |r| {
            Ok((0..columns.len())
                .map(|i| match r.get_ref(i).unwrap() {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(v) => Cell::Int(v),
                    ValueRef::Real(v) => Cell::Real(format!("{v:?}")),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8(t.to_vec()).unwrap()),
                    ValueRef::Blob(_) => panic!("a BLOB in {table}"),
                })
                .collect())
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.sort();
    rows
}

/// Every row of `table` in PostgreSQL, the columns SQLite's table has (but `skip`), sorted.
pub fn postgres_rows(
    client: &mut postgres::Client,
    sqlite: &rusqlite::Connection,
    table: &str,
    skip: &[&str],
) -> Vec<Vec<Cell>> {
    use postgres::types::Type;
    let columns = columns(sqlite, table, skip);
    let found = client
        .query(&format!("SELECT {} FROM {table}", columns.join(", ")), &[])
        .unwrap();
    let mut rows: Vec<Vec<Cell>> = found
        .iter()
        .map(|r| {
            (0..columns.len())
                .map(|i| {
                    let ty = r.columns()[i].type_().clone();
                    let cell = if ty == Type::INT8 {
                        r.get::<_, Option<i64>>(i).map(Cell::Int)
                    } else if ty == Type::FLOAT8 {
                        r.get::<_, Option<f64>>(i)
                            .map(|v| Cell::Real(format!("{v:?}")))
                    } else if ty == Type::TEXT {
                        r.get::<_, Option<String>>(i).map(Cell::Text)
                    } else {
                        panic!("column {} of {table} has type {ty}", columns[i])
                    };
                    cell.unwrap_or(Cell::Null)
                })
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

/// The serving tables both backends hold.
pub const SERVING_TABLES: &[&str] = &[
    "recommendations",
    "similar_items",
    "trending_items",
    "forecasts",
    "alerts",
    "erased_members",
    "member_ids",
    "checkpoints",
];

/// Asserts that PostgreSQL holds exactly SQLite's serving tables; returns the rows compared.
pub fn assert_postgres_equals_sqlite(client: &mut postgres::Client, sqlite: &Path) -> usize {
    let sqlite = rusqlite::Connection::open(sqlite).unwrap();
    let mut compared = 0;
    for table in SERVING_TABLES {
        let expected = sqlite_rows(&sqlite, table, &[]);
        let actual = postgres_rows(client, &sqlite, table, &[]);
        assert_eq!(
            actual.len(),
            expected.len(),
            "{table}: PostgreSQL has {} rows, SQLite {}",
            actual.len(),
            expected.len()
        );
        assert!(
            actual == expected,
            "{table}: PostgreSQL's rows differ from SQLite's"
        );
        compared += expected.len();
    }
    compared
}

/// A PostgreSQL server of a test's own, in a temporary directory, that the test may stop, start
/// and restart without disturbing other tests.
pub struct PrivateServer {
    dir: tempfile::TempDir,
    bindir: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl PrivateServer {
    /// initdb (trust auth) and start on a free port.
    pub fn start() -> PrivateServer {
        let bindir = PathBuf::from(
            std::env::var("COHORT_PG_BINDIR")
                .unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".to_string()),
        );
        let dir = tempfile::Builder::new()
            .prefix("cohort-pg-")
            .tempdir_in("/tmp")
            .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = PrivateServer { dir, bindir, port };
        if is_root() {
            // PostgreSQL refuses to run as root: the files belong to the postgres user.
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(server.dir.path())
                .status()
                .unwrap();
            assert!(status.success());
        }
        server.pg(
            "initdb",
            &["-A", "trust", "-U", "postgres", "--no-sync", "-D"],
            true,
        );
        server.ctl("start");
        server
    }

    /// The data directory.
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs a PostgreSQL program (as the postgres user when root), with the data directory last
    /// when `data_last`.
    fn pg(&self, program: &str, args: &[&str], data_last: bool) {
        let binary = self.bindir.join(program);
        let mut command = self.command(program);
        command.args(args);
        if data_last {
            command.arg(self.data());
        }
        let output = command.output().unwrap_or_else(|e| {
            panic!(
                "{} (COHORT_PG_BINDIR, scripts/postgres.sh): {e}",
                binary.display()
            )
        });
        assert!(
            output.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// A PostgreSQL program, run as the postgres user when the test runs as root.
    fn command(&self, program: &str) -> Command {
        let binary = self.bindir.join(program);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&binary);
            c
        } else {
            Command::new(&binary)
        }
    }

    /// `pg_ctl start|stop|restart`, waiting until done.
    pub fn ctl(&self, action: &str) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log");
        let log = log.to_str().unwrap();
        let data = self.data();
        let data = data.to_str().unwrap();
        let mut args = vec![action, "-w", "-l", log, "-o", &options, "-D", data];
        if action != "start" {
            args.extend(["-m", "fast"]);
        }
        self.pg("pg_ctl", &args, false);
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["stop", "-m", "immediate", "-D"])
            .arg(self.data())
            .output();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
