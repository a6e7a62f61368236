//! Looking for raw member ids in a data directory: in the values of every Parquet file, in the
//! text of every serving table, and in the bytes of every file.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use cohort_jobs::lake_replay::read_batches;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::DataType;
use serde_json::Value;

use crate::common::lake_files;

/// Every member id the valid JSON lines of `input` carry (actors, mentions, item authors), and
/// their events by event id.
pub fn raw_ids(input: &Path) -> (BTreeSet<String>, BTreeMap<String, Value>) {
    let mut ids = BTreeSet::new();
    let mut events = BTreeMap::new();
    for line in std::fs::read_to_string(input).unwrap().lines() {
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
        ids.extend(text(&event["user_id"]));
        ids.extend(text(&event["author_id"]));
        if let Some(mentions) = event["mentions"].as_array() {
            ids.extend(mentions.iter().filter_map(text));
        }
        if let Some(id) = event["event_id"].as_str() {
            events.insert(id.to_string(), event.clone());
        }
    }
    (ids, events)
}

/// Raw member ids, ready to be looked for in bytes.
pub struct RawIds {
    ids: HashSet<String>,
    lengths: BTreeSet<usize>,
    firsts: HashSet<u8>,
}

impl RawIds {
    pub fn new(ids: &BTreeSet<String>) -> RawIds {
        RawIds {
            ids: ids.iter().cloned().collect(),
            lengths: ids.iter().map(String::len).collect(),
            firsts: ids.iter().filter_map(|id| id.bytes().next()).collect(),
        }
    }

    /// The ids that occur anywhere in `haystack`, as plain substrings (SQLite and Parquet put
    /// values next to each other without separators).
    pub fn found_in(&self, haystack: &[u8]) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for (i, b) in haystack.iter().enumerate() {
            if !self.firsts.contains(b) {
                continue;
            }
            for &n in &self.lengths {
                if let Some(window) = haystack.get(i..i + n)
                    && let Ok(text) = std::str::from_utf8(window)
                    && self.ids.contains(text)
                {
                    found.insert(text.to_string());
                }
            }
        }
        found
    }
}

/// Every string and binary value of an Arrow array (lists and structs included).
pub fn values_of(array: &dyn Array, out: &mut Vec<Vec<u8>>) {
    match array.data_type() {
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            out.extend(a.iter().flatten().map(|s| s.as_bytes().to_vec()));
        }
        DataType::Binary => {
            let a = array.as_binary::<i32>();
            out.extend(a.iter().flatten().map(<[u8]>::to_vec));
        }
        DataType::List(_) => values_of(array.as_list::<i32>().values().as_ref(), out),
        DataType::Struct(_) => {
            for column in array.as_struct().columns() {
                values_of(column.as_ref(), out);
            }
        }
        _ => {}
    }
}

/// Every file under `dir`.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// Where raw ids occur among the values of every Parquet file of the lake, by file.
pub fn ids_in_lake_values(data: &Path, needles: &RawIds) -> BTreeMap<PathBuf, BTreeSet<String>> {
    let (parquet, _) = lake_files(data);
    assert!(parquet.len() > 10, "{} Parquet files", parquet.len());
    let mut found = BTreeMap::new();
    for path in parquet {
        let mut values = Vec::new();
        read_batches(&path, |batch| {
            for column in batch.columns() {
                values_of(column.as_ref(), &mut values);
            }
            Ok(())
        })
        .unwrap();
        let ids: BTreeSet<String> = values.iter().flat_map(|v| needles.found_in(v)).collect();
        if !ids.is_empty() {
            found.insert(path, ids);
        }
    }
    found
}

/// Where raw ids occur among the text values of every serving table, by table, and how many
/// values are pseudonyms.
pub fn ids_in_serving_values(
    data: &Path,
    needles: &RawIds,
) -> (BTreeMap<String, BTreeSet<String>>, usize) {
    let conn = read_only(data);
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(tables.len() > 5, "{tables:?}");
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pseudonyms = 0;
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                if let rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) =
                    row.get_ref(i).unwrap()
                {
                    let ids = needles.found_in(t);
                    if !ids.is_empty() {
                        found.entry(table.clone()).or_default().extend(ids);
                    }
                    pseudonyms += usize::from(t.starts_with(b"pm_"));
                }
            }
        }
    }
    (found, pseudonyms)
}

/// Where raw ids occur in the bytes of the files of `data` (compressed Parquet pages hide some;
/// SQLite, its WAL and the manifest hold text as it is), by file.
pub fn ids_in_file_bytes(data: &Path, needles: &RawIds) -> BTreeMap<PathBuf, BTreeSet<String>> {
    let files = files_under(data);
    assert!(files.iter().any(|f| f.ends_with("serving.db")));
    files
        .into_iter()
        .filter_map(|file| {
            let ids = needles.found_in(&std::fs::read(&file).unwrap());
            (!ids.is_empty()).then_some((file, ids))
        })
        .collect()
}

/// The serving database of `data`, read-only.
pub fn read_only(data: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        data.join("serving.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
}
