//! The two ways rows reach PostgreSQL: one commit's touched rows ([`commit`]), or everything
//! ([`catch_up`]). Both run in one PostgreSQL transaction that also writes the checkpoint rows, so
//! a reader sees a commit whole or not at all, with the source offsets that produced it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;

use postgres::{Client, Transaction};
use rusqlite::{Connection, ToSql, params};

use super::Attempt;
use super::copy_text::{push_row, push_texts};
use super::touched::{KeyGroup, MIRRORED_TABLES, Touched};

/// Key groups have at most this many columns (the forecast series).
const MAX_KEY_COLUMNS: usize = 3;

/// Set up once per connection: the temporary table that carries a commit's touched keys, so one
/// `DELETE … USING` removes them all instead of one statement per key.
pub(super) fn prepare_session(client: &mut Client) -> Result<(), postgres::Error> {
    client.batch_execute(
        "CREATE TEMP TABLE IF NOT EXISTS cohort_touched (k1 TEXT, k2 TEXT, k3 TEXT)
         ON COMMIT DELETE ROWS",
    )
}

/// Copies the commit with SQLite checkpoint `checkpoint_id`: deletes every touched key's rows in
/// PostgreSQL, then copies the rows SQLite now holds under those keys. Writes nothing if
/// PostgreSQL has that checkpoint already.
pub(super) fn commit(
    client: &mut Client,
    sqlite: &Connection,
    job: &str,
    checkpoint_id: i64,
    touched: &Touched,
) -> Result<(), Attempt> {
    let mut tx = client.transaction()?;
    if last_checkpoint(&mut tx, job)?.is_some_and(|last| last >= checkpoint_id) {
        return Ok(());
    }
    let mut rows: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for (group, keys) in &touched.groups {
        delete_keys(&mut tx, group, keys)?;
        let columns = columns_of(sqlite, group.table)?;
        let rows = rows.entry(group.table).or_default();
        let filter = group
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ?{}", i + 1))
            .collect::<Vec<_>>()
            .join(" AND ");
        let mut select = sqlite.prepare_cached(&format!(
            "SELECT {} FROM {} WHERE {filter}",
            columns.join(", "),
            group.table
        ))?;
        for key in keys {
            let values: Vec<&dyn ToSql> = key.iter().map(|v| v as &dyn ToSql).collect();
            let mut found = select.query(values.as_slice())?;
            while let Some(row) = found.next()? {
                let mut line = String::new();
                push_row(&mut line, row, &columns)?;
                rows.insert(line);
            }
        }
    }
    for (table, lines) in rows {
        let columns = columns_of(sqlite, table)?;
        copy_in(&mut tx, table, &columns, lines.iter().map(String::as_str))?;
    }
    copy_checkpoints(&mut tx, sqlite, job, Some(checkpoint_id))?;
    // The same short history as SQLite keeps.
    tx.execute(
        "DELETE FROM checkpoints WHERE job = $1 AND id < $2::BIGINT - 100",
        &[&job, &checkpoint_id],
    )?;
    tx.commit()?;
    Ok(())
}

/// Copies every serving row and checkpoint of `job` over when PostgreSQL's last checkpoint is not
/// SQLite's (a crash between the two commits, a new database, or a data directory started over).
pub(super) fn catch_up(client: &mut Client, sqlite: &Connection, job: &str) -> Result<(), Attempt> {
    let newest: Option<i64> = sqlite.query_row(
        "SELECT max(id) FROM checkpoints WHERE job = ?1",
        params![job],
        |r| r.get(0),
    )?;
    let mut tx = client.transaction()?;
    if last_checkpoint(&mut tx, job)? == newest {
        return Ok(());
    }
    for table in MIRRORED_TABLES {
        // DELETE rather than TRUNCATE: readers keep reading the old rows until the commit.
        tx.batch_execute(&format!("DELETE FROM {table}"))?;
        let columns = columns_of(sqlite, table)?;
        let mut select =
            sqlite.prepare_cached(&format!("SELECT {} FROM {table}", columns.join(", ")))?;
        let mut found = select.query([])?;
        let mut lines = Vec::new();
        while let Some(row) = found.next()? {
            let mut line = String::new();
            push_row(&mut line, row, &columns)?;
            lines.push(line);
        }
        copy_in(&mut tx, table, &columns, lines.iter().map(String::as_str))?;
    }
    tx.execute("DELETE FROM checkpoints WHERE job = $1", &[&job])?;
    copy_checkpoints(&mut tx, sqlite, job, None)?;
    tx.commit()?;
    Ok(())
}

/// The id of PostgreSQL's newest checkpoint of `job`.
fn last_checkpoint(tx: &mut Transaction<'_>, job: &str) -> Result<Option<i64>, postgres::Error> {
    tx.query_one("SELECT max(id) FROM checkpoints WHERE job = $1", &[&job])?
        .try_get(0)
}

/// Deletes the rows of `group`'s table under `keys`.
fn delete_keys(
    tx: &mut Transaction<'_>,
    group: &KeyGroup,
    keys: &BTreeSet<Vec<String>>,
) -> Result<(), Attempt> {
    tx.batch_execute("DELETE FROM cohort_touched")?;
    let lines = keys.iter().map(|key| {
        let mut line = String::new();
        push_texts(
            &mut line,
            (0..MAX_KEY_COLUMNS).map(|i| key.get(i).map(String::as_str)),
        );
        line
    });
    let lines: Vec<String> = lines.collect();
    copy_in(
        tx,
        "cohort_touched",
        &["k1".to_string(), "k2".to_string(), "k3".to_string()],
        lines.iter().map(String::as_str),
    )?;
    let on = group
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("t.{c} = k.k{}", i + 1))
        .collect::<Vec<_>>()
        .join(" AND ");
    tx.batch_execute(&format!(
        "DELETE FROM {} t USING cohort_touched k WHERE {on}",
        group.table
    ))?;
    Ok(())
}

/// Copies `job`'s checkpoint rows (only `id` when given) from SQLite.
fn copy_checkpoints(
    tx: &mut Transaction<'_>,
    sqlite: &Connection,
    job: &str,
    id: Option<i64>,
) -> Result<(), Attempt> {
    let columns = columns_of(sqlite, "checkpoints")?;
    let mut select = sqlite.prepare_cached(&format!(
        "SELECT {} FROM checkpoints WHERE job = ?1 AND (?2 IS NULL OR id = ?2)",
        columns.join(", ")
    ))?;
    let mut found = select.query(params![job, id])?;
    let mut lines = Vec::new();
    while let Some(row) = found.next()? {
        let mut line = String::new();
        push_row(&mut line, row, &columns)?;
        lines.push(line);
    }
    copy_in(
        tx,
        "checkpoints",
        &columns,
        lines.iter().map(String::as_str),
    )
}

/// Streams COPY text lines into `table`'s `columns`.
fn copy_in<'a>(
    tx: &mut Transaction<'_>,
    table: &str,
    columns: &[String],
    lines: impl Iterator<Item = &'a str>,
) -> Result<(), Attempt> {
    let mut lines = lines.peekable();
    if lines.peek().is_none() {
        return Ok(());
    }
    let mut writer = tx.copy_in(&format!("COPY {table} ({}) FROM STDIN", columns.join(", ")))?;
    for line in lines {
        writer.write_all(line.as_bytes())?;
    }
    writer.finish()?;
    Ok(())
}

/// The columns of a SQLite table, in order.
fn columns_of(sqlite: &Connection, table: &str) -> Result<Vec<String>, rusqlite::Error> {
    let mut stmt = sqlite.prepare_cached("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
    let names = stmt.query_map([table], |r| r.get(0))?;
    names.collect()
}
