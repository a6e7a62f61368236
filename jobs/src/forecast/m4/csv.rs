//! Reading M4-format CSV files: one series per row, its id in the first column, then its values in
//! time order, padded with `NA` or empty fields up to the longest series. Fields may be quoted
//! (the published files quote everything, header included).

use std::path::{Path, PathBuf};

use crate::csv_line::csv_fields;

/// One series of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The id in the first column, e.g. `H1`.
    pub id: String,
    /// The values, oldest first, padding removed.
    pub values: Vec<f64>,
}

/// Why an M4 file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The file could not be opened or read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not a series row.
    #[error("{path}:{line}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Whether a field is padding.
fn is_padding(field: &str) -> bool {
    let f = field.trim();
    f.is_empty() || f.eq_ignore_ascii_case("na") || f.eq_ignore_ascii_case("nan")
}

/// Parses one row; `Ok(None)` for a header row (its second field is neither a number nor padding).
fn parse_row(line: &str) -> Result<Option<Series>, String> {
    let fields = csv_fields(line)?;
    let Some((id, rest)) = fields.split_first() else {
        return Err("empty line".to_string());
    };
    if let Some(second) = rest.first()
        && !is_padding(second)
        && second.trim().parse::<f64>().is_err()
    {
        return Ok(None);
    }
    let mut values = Vec::with_capacity(rest.len());
    let mut padded = false;
    for (i, field) in rest.iter().enumerate() {
        if is_padding(field) {
            padded = true;
            continue;
        }
        if padded {
            return Err(format!("value after padding in column {}", i + 2));
        }
        let value: f64 = field
            .trim()
            .parse()
            .map_err(|_| format!("column {}: `{}` is not a number", i + 2, field.trim()))?;
        if !value.is_finite() {
            return Err(format!(
                "column {}: `{}` is not finite",
                i + 2,
                field.trim()
            ));
        }
        values.push(value);
    }
    Ok(Some(Series {
        id: id.trim().to_string(),
        values,
    }))
}

/// Reads every series of the M4-format file at `path`, in file order, skipping a header row and
/// blank lines.
pub fn read_series(path: &Path) -> Result<Vec<Series>, CsvError> {
    let text = std::fs::read_to_string(path).map_err(|source| CsvError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut series = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{feff}');
        if line.trim().is_empty() {
            continue;
        }
        match parse_row(line) {
            Ok(Some(s)) => series.push(s),
            Ok(None) if series.is_empty() => {}
            Ok(None) => {
                return Err(CsvError::Format {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message: "a header row after the first row".to_string(),
                });
            }
            Err(message) => {
                return Err(CsvError::Format {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message,
                });
            }
        }
    }
    Ok(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_header_padding_and_plain_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m4.csv");
        std::fs::write(
            &path,
            "\"V1\",\"V2\",\"V3\",\"V4\"\n\"H1\",\"1\",\"2.5\",\"3\"\n\"H2\",\"4\",NA,\n\nH3,5,,\n",
        )
        .unwrap();
        let series = read_series(&path).unwrap();
        assert_eq!(series.len(), 3);
        assert_eq!(series[0].id, "H1");
        assert_eq!(series[0].values, vec![1.0, 2.5, 3.0]);
        assert_eq!(series[1].values, vec![4.0]);
        assert_eq!(series[2].values, vec![5.0]);
    }

    #[test]
    fn bad_values_are_errors_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        std::fs::write(&path, "H1,1,2\nH2,1,x\n").unwrap();
        let err = read_series(&path).unwrap_err().to_string();
        assert!(err.contains(":2:") && err.contains("`x`"), "{err}");
        std::fs::write(&path, "H1,1,NA,3\n").unwrap();
        assert!(read_series(&path).is_err());
        assert!(read_series(&dir.path().join("missing.csv")).is_err());
    }
}
