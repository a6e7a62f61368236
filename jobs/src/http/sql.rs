//! The few SQL reads of the API, once for both serving backends: a query is written with SQLite's
//! numbered placeholders (`?1`, `?2`, …), which [`Reader`] for PostgreSQL rewrites to `$1`, `$2`;
//! rows are read by position through [`SqlRow`]. The serving tables have the same columns and
//! value kinds in both (integers, doubles, text), so nothing else differs.

use std::collections::HashMap;

/// A query parameter.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    /// Text, or NULL.
    Text(Option<&'a str>),
    /// An integer.
    Int(i64),
}

/// A failed read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// SQLite refused.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL refused, or the connection failed.
    #[error(transparent)]
    Postgres(#[from] postgres::Error),
    /// The newest checkpoint is not JSON.
    #[error("the newest checkpoint is not JSON: {0}")]
    Checkpoint(serde_json::Error),
}

/// One row of an answer, read by column position.
pub trait SqlRow {
    /// A text column.
    fn text(&self, i: usize) -> Result<String, ReadError>;
    /// A text column that may be NULL.
    fn opt_text(&self, i: usize) -> Result<Option<String>, ReadError>;
    /// An integer column.
    fn int(&self, i: usize) -> Result<i64, ReadError>;
    /// A double column.
    fn real(&self, i: usize) -> Result<f64, ReadError>;
    /// A double column that may be NULL.
    fn opt_real(&self, i: usize) -> Result<Option<f64>, ReadError>;
}

/// [`SqlRow`] for a row type whose typed getter is `$get`.
macro_rules! sql_row {
    ($row:ty, $get:ident) => {
        impl SqlRow for $row {
            fn text(&self, i: usize) -> Result<String, ReadError> {
                Ok(self.$get(i)?)
            }
            fn opt_text(&self, i: usize) -> Result<Option<String>, ReadError> {
                Ok(self.$get(i)?)
            }
            fn int(&self, i: usize) -> Result<i64, ReadError> {
                Ok(self.$get(i)?)
            }
            fn real(&self, i: usize) -> Result<f64, ReadError> {
                Ok(self.$get(i)?)
            }
            fn opt_real(&self, i: usize) -> Result<Option<f64>, ReadError> {
                Ok(self.$get(i)?)
            }
        }
    };
}
sql_row!(rusqlite::Row<'_>, get);
sql_row!(postgres::Row, try_get);

/// A connection the API reads the serving tables with.
pub trait Reader {
    /// Runs `sql` with `params`, handing each row to `each` in order.
    fn query(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(&dyn SqlRow) -> Result<(), ReadError>,
    ) -> Result<(), ReadError>;
}

/// Every row of `sql`, read with `row`.
pub fn rows<T>(
    db: &mut dyn Reader,
    sql: &'static str,
    params: &[Param<'_>],
    row: impl Fn(&dyn SqlRow) -> Result<T, ReadError>,
) -> Result<Vec<T>, ReadError> {
    let mut out = Vec::new();
    db.query(sql, params, &mut |r| {
        out.push(row(r)?);
        Ok(())
    })?;
    Ok(out)
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Param::Text(text) => text.to_sql(),
            Param::Int(n) => n.to_sql(),
        }
    }
}

impl Reader for rusqlite::Connection {
    fn query(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(&dyn SqlRow) -> Result<(), ReadError>,
    ) -> Result<(), ReadError> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            each(row)?;
        }
        Ok(())
    }
}

/// A PostgreSQL connection with its prepared statements (preparing costs a round trip).
pub struct PostgresReader {
    /// The connection.
    pub client: postgres::Client,
    prepared: HashMap<&'static str, postgres::Statement>,
}

impl std::fmt::Debug for PostgresReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresReader")
            .field("prepared", &self.prepared.len())
            .finish()
    }
}

impl PostgresReader {
    /// Wraps a connected client.
    pub fn new(client: postgres::Client) -> PostgresReader {
        PostgresReader {
            client,
            prepared: HashMap::new(),
        }
    }
}

impl Reader for PostgresReader {
    fn query(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(&dyn SqlRow) -> Result<(), ReadError>,
    ) -> Result<(), ReadError> {
        let statement = match self.prepared.get(sql) {
            Some(statement) => statement.clone(),
            None => {
                let statement = self.client.prepare(&numbered_placeholders(sql))?;
                self.prepared.insert(sql, statement.clone());
                statement
            }
        };
        let values: Vec<Box<dyn postgres::types::ToSql + Sync + '_>> = params
            .iter()
            .map(|p| -> Box<dyn postgres::types::ToSql + Sync + '_> {
                match *p {
                    Param::Text(text) => Box::new(text),
                    Param::Int(n) => Box::new(n),
                }
            })
            .collect();
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            values.iter().map(|v| v.as_ref()).collect();
        for row in self.client.query(&statement, &refs)? {
            each(&row)?;
        }
        Ok(())
    }
}

/// `sql` with SQLite's `?N` placeholders spelled as PostgreSQL's `$N` (the queries hold no `?`
/// anywhere else).
fn numbered_placeholders(sql: &str) -> String {
    sql.replace('?', "$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_renumbered_for_postgres() {
        assert_eq!(
            numbered_placeholders("WHERE a = ?1 AND (?2 IS NULL OR b = ?2) LIMIT ?3"),
            "WHERE a = $1 AND ($2 IS NULL OR b = $2) LIMIT $3"
        );
    }

    #[test]
    fn sqlite_rows_are_read_by_position() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let got = rows(
            &mut conn,
            "SELECT ?1, ?2, 2.5, NULL",
            &[Param::Text(Some("a")), Param::Int(7)],
            |r| Ok((r.text(0)?, r.int(1)?, r.real(2)?, r.opt_text(3)?)),
        )
        .unwrap();
        assert_eq!(got, vec![("a".to_string(), 7, 2.5, None)]);
    }
}
