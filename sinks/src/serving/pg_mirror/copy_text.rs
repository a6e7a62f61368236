//! PostgreSQL's COPY text format for rows read from SQLite: one line per row, columns separated by
//! tabs, `\N` for NULL, backslash escapes for the characters the format reserves. COPY moves a
//! commit's rows in one round trip instead of one per row, and text needs no per-column type
//! mapping: PostgreSQL parses each value as its column's type.

use std::fmt::Write as _;

use rusqlite::types::ValueRef;

/// A value COPY text cannot carry (the serving tables hold none).
#[derive(Debug, thiserror::Error)]
#[error("column {column} holds a BLOB, which the serving tables never store")]
pub struct BlobColumn {
    /// The column.
    pub column: String,
}

/// Appends one row (its columns in order) to `out`, newline-terminated.
pub(crate) fn push_row(
    out: &mut String,
    row: &rusqlite::Row<'_>,
    columns: &[String],
) -> Result<(), CopyError> {
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        match row.get_ref(i)? {
            ValueRef::Null => out.push_str("\\N"),
            ValueRef::Integer(v) => {
                let _ = write!(out, "{v}");
            }
            ValueRef::Real(v) => push_real(out, v),
            ValueRef::Text(bytes) => push_text(out, &String::from_utf8_lossy(bytes)),
            ValueRef::Blob(_) => {
                return Err(CopyError::Blob(BlobColumn {
                    column: column.clone(),
                }));
            }
        }
    }
    out.push('\n');
    Ok(())
}

/// Appends a line of text values (`None` is NULL).
pub(crate) fn push_texts<'a>(out: &mut String, values: impl IntoIterator<Item = Option<&'a str>>) {
    for (i, value) in values.into_iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        match value {
            Some(text) => push_text(out, text),
            None => out.push_str("\\N"),
        }
    }
    out.push('\n');
}

/// A double as PostgreSQL reads it back bit for bit: Rust prints the shortest decimal that
/// round-trips, and PostgreSQL's own spelling of the non-finite values.
fn push_real(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        let _ = write!(out, "{v:?}");
    }
}

fn push_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// A row that could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// SQLite refused to hand out a column.
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
    /// A BLOB column.
    #[error(transparent)]
    Blob(#[from] BlobColumn),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_nulls_and_doubles_are_encoded() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let mut out = String::new();
        conn.query_row("SELECT 'a\tb\\c\nd', NULL, 42, 0.1, 1e300, -0.0", [], |r| {
            let columns: Vec<String> = (0..6).map(|i| format!("c{i}")).collect();
            push_row(&mut out, r, &columns).map_err(|_| rusqlite::Error::InvalidQuery)
        })
        .unwrap();
        assert_eq!(out, "a\\tb\\\\c\\nd\t\\N\t42\t0.1\t1e300\t-0.0\n");
        let mut line = String::new();
        push_texts(&mut line, [Some("x\ty"), None]);
        assert_eq!(line, "x\\ty\t\\N\n");
    }
}
