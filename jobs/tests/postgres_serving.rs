//! `serving.backend = "postgres"` end to end, with the real `cohort` binary and real PostgreSQL:
//! the serving tables in PostgreSQL equal the SQLite backend's for the same input; a PostgreSQL
//! restart in the middle of a run loses and duplicates nothing; a run killed with SIGKILL and
//! started again leaves every row exactly once.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../sinks/tests/common/pg.rs"]
mod pg;
#[path = "http_api/schema.rs"]
#[allow(dead_code)]
mod schema;
#[path = "http_api/server.rs"]
#[allow(dead_code)]
mod server;

use std::path::Path;
use std::process::{Child, Stdio};

use std::time::{Duration, Instant};

use common::*;
use pg::{
    Cell, PrivateServer, SERVING_TABLES, TestDatabase, assert_postgres_equals_sqlite, sqlite_rows,
};

/// A run's results: every serving table's rows but the checkpoints (the run's own), without when
/// and in which epoch they were written.
fn results(data: &Path) -> Vec<(&'static str, Vec<Vec<Cell>>)> {
    let sqlite = rusqlite::Connection::open(data.join("serving.db")).unwrap();
    SERVING_TABLES
        .iter()
        .filter(|t| **t != "checkpoints")
        .map(|t| (*t, sqlite_rows(&sqlite, t, &["epoch", "updated_at"])))
        .collect()
}

/// `cohort run` over `input` into `data` with the recommendation job on and PostgreSQL at `url`;
/// its standard error goes to `data`'s sibling file `<data>.log`.
fn spawn_run(input: &Path, data: &Path, url: &str) -> Child {
    let mut cmd = cohort_with_recs();
    cmd.args(["run", "--source", "file", "--workers", "2"])
        .args(["--checkpoint-interval-ms", "20", "--input"])
        .arg(input)
        .arg("--data-dir")
        .arg(data)
        .args(["--postgres", url])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(data.with_extension("log")).unwrap());
    cmd.spawn().unwrap()
}

/// Waits until PostgreSQL at `url` holds `n` checkpoints (tolerating a database not migrated yet).
fn wait_for_checkpoints(url: &str, n: i64, run: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let count = postgres::Client::connect(url, postgres::NoTls)
            .ok()
            .and_then(|mut c| c.query_one("SELECT count(*) FROM checkpoints", &[]).ok())
            .map(|r| r.get::<_, i64>(0))
            .unwrap_or(0);
        if count >= n {
            return;
        }
        assert!(
            run.try_wait().unwrap().is_none(),
            "the run ended before PostgreSQL had {n} checkpoints"
        );
        assert!(
            Instant::now() < deadline,
            "no {n} checkpoints in PostgreSQL"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for `run` (started by [`spawn_run`] on `data`) to exit 0; returns its standard error.
fn finish(mut run: Child, data: &Path) -> String {
    let status = run.wait().unwrap();
    let stderr = std::fs::read_to_string(data.with_extension("log")).unwrap();
    assert!(status.success(), "cohort run failed: {stderr}");
    stderr
}

#[test]
fn the_postgres_backend_holds_what_the_sqlite_backend_holds_for_the_same_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    generate(20_000, 11, &input);
    let db = TestDatabase::create("backend");
    let with_pg = dir.path().join("with-postgres");
    let sqlite_only = dir.path().join("sqlite-only");
    run_file_with_recs(&input, &with_pg, &["--workers", "2", "--postgres", &db.url]);
    run_file_with_recs(&input, &sqlite_only, &["--workers", "2"]);
    let mut client = db.client();
    let rows = assert_postgres_equals_sqlite(&mut client, &with_pg.join("serving.db"));
    for table in ["recommendations", "similar_items", "forecasts", "alerts"] {
        let n: i64 = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .unwrap()
            .get(0);
        assert!(n > 0, "PostgreSQL's {table} is empty");
    }
    assert!(rows > 1000, "only {rows} rows");
    assert!(
        results(&with_pg) == results(&sqlite_only),
        "the run with PostgreSQL computed other results than the run without"
    );
    serve_answers_alike(&input, &with_pg, &db.url);
}

/// The (community, `owner`) of the first three lists of `table`.
fn first_lists(sqlite: &rusqlite::Connection, owner: &str, table: &str) -> Vec<(String, String)> {
    sqlite
        .prepare(&format!(
            "SELECT DISTINCT community_id, {owner} FROM {table} ORDER BY 1, 2 LIMIT 3"
        ))
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Asserts that the run into `data` ended with the results of an undisturbed run over `input`
/// (made in `dir`, without PostgreSQL).
fn assert_results_of_an_undisturbed_run(input: &Path, data: &Path, dir: &Path) {
    let reference = dir.join("reference");
    run_file_with_recs(input, &reference, &["--workers", "2"]);
    assert!(
        results(data) == results(&reference),
        "the results differ from an undisturbed run's"
    );
}

/// `cohort serve --postgres URL` answers every data route as `cohort serve --data-dir` does over
/// the SQLite database PostgreSQL copies.
fn serve_answers_alike(input: &Path, data: &Path, url: &str) {
    let logs = tempfile::tempdir().unwrap();
    let anonymous = ["--allow-anonymous"];
    let from_sqlite = server::Server::start(data, &logs.path().join("sqlite.log"), &anonymous);
    let from_postgres = server::Server::start(
        data,
        &logs.path().join("postgres.log"),
        &["--allow-anonymous", "--postgres", url],
    );
    let sqlite = rusqlite::Connection::open(data.join("serving.db")).unwrap();
    let pairs = first_lists(&sqlite, "user_id", "recommendations");
    let lines = std::fs::read_to_string(input).unwrap();
    let mut paths = vec!["/readyz".to_string()];
    for (community, stored) in &pairs {
        let raw = raw_member(lines.lines(), stored);
        paths.push(format!(
            "/v1/communities/{community}/members/{raw}/recommendations?k=5"
        ));
        paths.push(format!("/v1/communities/{community}/forecasts"));
        paths.push(format!("/v1/communities/{community}/alerts?limit=50"));
    }
    let items = first_lists(&sqlite, "item_id", "similar_items");
    for (community, item) in &items {
        paths.push(format!(
            "/v1/communities/{community}/items/{item}/similar?k=10"
        ));
    }
    assert!(paths.len() >= 10, "too little to compare: {paths:?}");
    for path in &paths {
        let expected = from_sqlite.get(path, None);
        let actual = from_postgres.get(path, None);
        assert_eq!(
            expected.status, 200,
            "{path} from SQLite: {}",
            expected.text
        );
        assert_eq!(
            (actual.status, &actual.json),
            (expected.status, &expected.json),
            "{path}: PostgreSQL answered otherwise than SQLite"
        );
    }
}

#[test]
fn a_postgres_restart_in_the_middle_of_a_run_loses_and_duplicates_nothing() {
    let server = PrivateServer::start();
    let db = TestDatabase::create_on(&server.url(), "restart");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    generate(150_000, 12, &input);
    let data = dir.path().join("data");
    let mut run = spawn_run(&input, &data, &db.url);
    wait_for_checkpoints(&db.url, 2, &mut run);
    server.ctl("stop");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        run.try_wait().unwrap().is_none(),
        "the run ended while PostgreSQL was down: the test needs a longer input"
    );
    server.ctl("start");
    let stderr = finish(run, &data);
    assert!(
        stderr.contains("holding progress back"),
        "the run never waited for PostgreSQL: {stderr}"
    );
    let mut client = db.client();
    assert!(assert_postgres_equals_sqlite(&mut client, &data.join("serving.db")) > 1000);
    assert_results_of_an_undisturbed_run(&input, &data, dir.path());
}

#[test]
fn a_run_killed_and_started_again_leaves_every_row_exactly_once() {
    let db = TestDatabase::create("sigkill");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    generate(60_000, 13, &input);
    let data = dir.path().join("data");
    let mut run = spawn_run(&input, &data, &db.url);
    wait_for_checkpoints(&db.url, 3, &mut run);
    run.kill().unwrap();
    run.wait().unwrap();
    finish(spawn_run(&input, &data, &db.url), &data);
    let mut client = db.client();
    assert!(assert_postgres_equals_sqlite(&mut client, &data.join("serving.db")) > 1000);
    assert_results_of_an_undisturbed_run(&input, &data, dir.path());
}
