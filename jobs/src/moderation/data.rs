//! Reading labelled messages for training and evaluation, in the three layouts public moderation
//! data comes in:
//! - `sms`: the UCI SMS Spam Collection, `label TAB text` per line, labels `ham`/`spam`, an optional
//!   header line `Label TAB SMS`;
//! - `cold`: COLD (Chinese offensive language), CSV with a header naming a `label` column (1 =
//!   offensive) and a `TEXT` column, UTF-8 with a byte-order mark;
//! - `csv`: generic `label,text` CSV, optional header, labels `1/0`, `spam/ham`, `true/false`,
//!   `yes/no`, `positive/negative`.
//!
//! CSV fields may be quoted, with commas, quotes (`""`) and line breaks inside. Every error names
//! the file and the line, so a bad row in a 30,000-row file is found at once.

use std::path::{Path, PathBuf};

/// One labelled message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledText {
    /// The message as written.
    pub text: String,
    /// Whether it is in the positive class (spam, offensive).
    pub positive: bool,
}

/// The layout of a labelled file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DataFormat {
    /// `label TAB text`, labels ham/spam (UCI SMS Spam Collection).
    Sms,
    /// CSV with `label` (1 = offensive) and `TEXT` columns (COLD).
    Cold,
    /// CSV `label,text`, labels 1/0, spam/ham, true/false, yes/no, positive/negative.
    Csv,
}

/// A labelled file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line or record does not fit the format.
    #[error("{path}:{line}: {message}")]
    Line {
        /// The file.
        path: PathBuf,
        /// Line number, from 1 (the first line of the record for CSV).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The CSV header lacks a column the format needs.
    #[error("{path}: the header has no `{column}` column (found: {found})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The missing column.
        column: &'static str,
        /// The header's columns.
        found: String,
    },
    /// The file holds no examples.
    #[error("{path} holds no labelled messages")]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

/// Reads every labelled message of `path`.
pub fn read(path: &Path, format: DataFormat) -> Result<Vec<LabelledText>, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let examples = match format {
        DataFormat::Sms => read_sms(path, bytes)?,
        DataFormat::Cold => read_csv(path, bytes, true)?,
        DataFormat::Csv => read_csv(path, bytes, false)?,
    };
    if examples.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(examples)
}

fn line_error(path: &Path, line: u64, message: impl Into<String>) -> DataError {
    DataError::Line {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

fn read_sms(path: &Path, bytes: &[u8]) -> Result<Vec<LabelledText>, DataError> {
    let mut out = Vec::new();
    for (n, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = n as u64 + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = std::str::from_utf8(raw)
            .map_err(|e| line_error(path, line, format!("not UTF-8: {e}")))?;
        if text.trim().is_empty() {
            continue;
        }
        let Some((label, message)) = text.split_once('\t') else {
            return Err(line_error(
                path,
                line,
                "expected `label TAB text`, found no tab",
            ));
        };
        let positive = match label.trim().to_ascii_lowercase().as_str() {
            "spam" => true,
            "ham" => false,
            "label" if line == 1 => continue,
            other => {
                return Err(line_error(
                    path,
                    line,
                    format!("label {other:?} is neither ham nor spam"),
                ));
            }
        };
        out.push(LabelledText {
            text: message.to_string(),
            positive,
        });
    }
    Ok(out)
}

/// A generic label, or `None` when it is not one.
fn parse_label(label: &str) -> Option<bool> {
    match label.trim().to_ascii_lowercase().as_str() {
        "1" | "spam" | "true" | "yes" | "positive" | "offensive" => Some(true),
        "0" | "ham" | "false" | "no" | "negative" | "safe" => Some(false),
        _ => None,
    }
}

/// CSV: with `named_columns`, the header must name `label` and `text` (any case, any position);
/// otherwise the label is the first field and the text the rest (an optional header is skipped).
fn read_csv(
    path: &Path,
    bytes: &[u8],
    named_columns: bool,
) -> Result<Vec<LabelledText>, DataError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut columns: Option<(usize, usize)> = None;
    let mut out = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            line_error(path, line, format!("bad CSV: {e}"))
        })?;
        let line = record.position().map_or(n as u64 + 1, csv::Position::line);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if n == 0 && named_columns {
            let find = |column: &'static str| {
                record
                    .iter()
                    .position(|f| f.trim().eq_ignore_ascii_case(column))
                    .ok_or_else(|| DataError::MissingColumn {
                        path: path.to_path_buf(),
                        column,
                        found: record.iter().collect::<Vec<_>>().join(","),
                    })
            };
            columns = Some((find("label")?, find("text")?));
            continue;
        }
        let (label, text) = match columns {
            Some((l, t)) => {
                let (Some(label), Some(text)) = (record.get(l), record.get(t)) else {
                    return Err(line_error(
                        path,
                        line,
                        format!("{} fields, the header has more", record.len()),
                    ));
                };
                (label, text.to_string())
            }
            None => {
                let label = record.get(0).unwrap_or_default();
                if record.len() < 2 {
                    return Err(line_error(
                        path,
                        line,
                        "expected `label,text`, found one field",
                    ));
                }
                (label, record.iter().skip(1).collect::<Vec<_>>().join(","))
            }
        };
        match parse_label(label) {
            Some(positive) => out.push(LabelledText { text, positive }),
            None if n == 0 && !named_columns => continue, // a header line
            None => {
                return Err(line_error(
                    path,
                    line,
                    format!("label {label:?} is not 0/1, spam/ham, ..."),
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
