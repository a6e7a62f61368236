//! `cohort eval pii`: the detectors' recall on generated PII ([`super::generate`]) and their false
//! alert share on real messages that should hold none (SMS ham, Stack Exchange comments).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::generate::generate;
use super::{PiiKind, alerts, detect};
use crate::import::stackexchange::xml_rows::read_rows;
use crate::moderation::data::{self, DataError, DataFormat};

/// Where real messages come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageSource {
    /// UCI SMS Spam Collection (`label TAB text`).
    Sms,
    /// COLD CSV (`label`, `TEXT` columns).
    Cold,
    /// Generic `label,text` CSV.
    Csv,
    /// A Stack Exchange dump's Comments.xml (`Text` of every row).
    SeComments,
}

/// Why the messages could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PiiEvalError {
    /// A labelled file could not be read.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The XML file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A row of the XML file is malformed, or the XML breaks off.
    #[error("{path}: row {row}: {message}")]
    Xml {
        /// The file.
        path: PathBuf,
        /// The row, from 1.
        row: u64,
        /// What is wrong.
        message: String,
    },
}

/// Reads the messages of `path`; for labelled files only the negatives (ham, non-offensive) unless
/// `all_labels`.
pub fn read_messages(
    path: &Path,
    source: MessageSource,
    all_labels: bool,
) -> Result<Vec<String>, PiiEvalError> {
    let format = match source {
        MessageSource::Sms => DataFormat::Sms,
        MessageSource::Cold => DataFormat::Cold,
        MessageSource::Csv => DataFormat::Csv,
        MessageSource::SeComments => return comment_texts(path),
    };
    Ok(data::read(path, format)?
        .into_iter()
        .filter(|e| all_labels || !e.positive)
        .map(|e| e.text)
        .collect())
}

/// The `Text` of every row of a Stack Exchange dump's Comments.xml, read with the importer's row
/// reader. The first row that cannot be read is an error naming it: a false-alert share measured on
/// part of a file would silently describe something else.
fn comment_texts(path: &Path) -> Result<Vec<String>, PiiEvalError> {
    let file = std::fs::File::open(path).map_err(|source| PiiEvalError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut texts = Vec::new();
    let mut rows = 0;
    let mut first_bad = None;
    let read = read_rows(std::io::BufReader::new(file), |row| {
        rows += 1;
        match row {
            Ok(row) => texts.extend(row.get("Text").map(str::to_string)),
            Err(message) => {
                first_bad.get_or_insert((rows, message));
            }
        }
    });
    let bad = match read {
        Err(broken) => first_bad.or(Some((rows + 1, broken.to_string()))),
        Ok(_) => first_bad,
    };
    match bad {
        Some((row, message)) => Err(PiiEvalError::Xml {
            path: path.to_path_buf(),
            row,
            message,
        }),
        None => Ok(texts),
    }
}

/// Alerts raised on messages that should have none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanReport {
    /// Messages scanned.
    pub messages: usize,
    /// Messages with at least one `pii` alert.
    pub alerted: usize,
    /// `alerted / messages`: the false alert share when the messages hold no PII.
    pub alert_share: f64,
    /// Findings per kind (links included, though they do not alert).
    pub findings: BTreeMap<&'static str, usize>,
    /// The first alerted messages, redacted, with the kinds found (for inspection).
    pub examples: Vec<String>,
}

/// Runs the detectors over `messages`; keeps up to `show` examples.
pub fn scan(messages: &[String], show: usize) -> ScanReport {
    let mut report = ScanReport {
        messages: messages.len(),
        alerted: 0,
        alert_share: 0.0,
        findings: BTreeMap::new(),
        examples: Vec::new(),
    };
    for m in messages {
        let found = detect(m);
        for f in &found {
            *report.findings.entry(f.kind.label()).or_default() += 1;
        }
        if alerts(&found) {
            report.alerted += 1;
            if report.examples.len() < show {
                let kinds: Vec<&str> = found
                    .iter()
                    .filter(|f| f.kind.alerts())
                    .map(|f| f.kind.label())
                    .collect();
                let shown: Vec<&str> = found
                    .iter()
                    .filter(|f| f.kind.alerts())
                    .filter_map(|f| m.get(f.original.clone()))
                    .collect();
                report
                    .examples
                    .push(format!("{kinds:?} {shown:?} in {m:?}"));
            }
        }
    }
    report.alert_share = report.alerted as f64 / report.messages.max(1) as f64;
    report
}

/// Recall on generated messages, overall and per kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecallReport {
    /// Messages generated (one planted value each).
    pub generated: usize,
    /// Planted values found: a finding of the same kind covering the value's whole range.
    pub found: usize,
    /// `found / generated`.
    pub recall: f64,
    /// (generated, found) per kind.
    pub by_kind: BTreeMap<&'static str, (usize, usize)>,
    /// The first misses (for inspection).
    pub misses: Vec<String>,
}

/// Generates `n` messages from `seed` and measures how many planted values are found.
pub fn recall(n: usize, seed: u64, show: usize) -> RecallReport {
    let mut report = RecallReport {
        generated: n,
        found: 0,
        recall: 0.0,
        by_kind: BTreeMap::new(),
        misses: Vec::new(),
    };
    for p in generate(n, seed) {
        let found = detect(&p.message);
        let hit = found.iter().any(|f| {
            f.kind == p.kind && f.original.start <= p.range.start && p.range.end <= f.original.end
        });
        let entry = report.by_kind.entry(p.kind.label()).or_default();
        entry.0 += 1;
        if hit {
            entry.1 += 1;
            report.found += 1;
        } else if report.misses.len() < show {
            let kinds: Vec<PiiKind> = found.iter().map(|f| f.kind).collect();
            report
                .misses
                .push(format!("{:?} in {:?}: found {kinds:?}", p.kind, p.message));
        }
    }
    report.recall = report.found as f64 / n.max(1) as f64;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_texts_are_read_past_the_doctype_and_a_bad_row_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Comments.xml");
        std::fs::write(
            &path,
            "\u{FEFF}<?xml version=\"1.0\"?>\n<!DOCTYPE comments SYSTEM 'c.dtd'>\n<comments>\n  \
             <row Id=\"1\" Text=\"a &amp; b &lt;i&gt; &quot;q&quot;&#xA;line 2&#39;\" UserId=\"3\" />\n  \
             <row Id=\"2\" Score=\"0\" />\n</comments>\n",
        )
        .unwrap();
        assert_eq!(
            comment_texts(&path).unwrap(),
            vec!["a & b <i> \"q\"\nline 2'"]
        );
        std::fs::write(
            &path,
            "<comments><row Text=\"fine\" /><row Text=\"x &bogus; y\" /></comments>",
        )
        .unwrap();
        let Err(PiiEvalError::Xml { row, .. }) = comment_texts(&path) else {
            panic!("a bad escape is an error");
        };
        assert_eq!(row, 2);
    }
}
