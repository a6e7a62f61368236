//! The fixture of the HTTP API tests: a serving database written by a real `cohort run`, and
//! comparisons of API answers with the rows its tables hold.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};

use crate::common::*;

/// Generated traffic over 6 days with a few planted phone numbers (so moderation alerts exist),
/// run through `cohort run` with recommendations on.
pub fn build_data(dir: &Path) -> std::path::PathBuf {
    let generated = dir.join("generated.jsonl");
    let mut cmd = cohort();
    cmd.args([
        "generate", "--events", "30000", "--days", "6", "--seed", "3", "--out",
    ])
    .arg(&generated);
    ok(cmd);
    let mut out = String::new();
    let mut planted = 0;
    for line in std::fs::read_to_string(&generated).unwrap().lines() {
        out.push_str(line);
        out.push('\n');
        // The generator writes some malformed lines on purpose (dead letters): skip them.
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if event["kind"] == "chat" && event["text"].is_string() && planted < 5 {
            // The same member, a moment later, leaving a phone number in the same channel.
            let mut leak = event.clone();
            leak["event_id"] = json!(format!("planted-{planted}"));
            leak["message_id"] = json!(format!("planted-m-{planted}"));
            leak["text"] = json!("call me at 13812345678 tonight");
            out.push_str(&leak.to_string());
            out.push('\n');
            planted += 1;
        }
    }
    let input = dir.join("events.jsonl");
    std::fs::write(&input, out).unwrap();
    let data = dir.join("data");
    run_file_with_recs(&input, &data, &["--workers", "2"]);
    data
}

/// The serving database, read-only.
pub fn db(data: &Path) -> Connection {
    Connection::open_with_flags(data.join("serving.db"), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

/// Rows of `sql` (with `params`) as JSON objects keyed by column name.
pub fn rows(conn: &Connection, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Vec<Value> {
    let mut stmt = conn.prepare(sql).unwrap();
    let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let mut out = Vec::new();
    let mut q = stmt.query(params).unwrap();
    while let Some(r) = q.next().unwrap() {
        let mut obj = serde_json::Map::new();
        for (i, name) in names.iter().enumerate() {
            let v = match r.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(n) => json!(n),
                rusqlite::types::ValueRef::Real(x) => json!(x),
                rusqlite::types::ValueRef::Text(t) => json!(std::str::from_utf8(t).unwrap()),
                rusqlite::types::ValueRef::Blob(_) => panic!("blob in {name}"),
            };
            obj.insert(name.clone(), v);
        }
        out.push(Value::Object(obj));
    }
    out
}

/// Equal JSON, numbers compared as floats within a relative 1e-12 (a float printed and parsed
/// again may differ in its last bit).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

pub fn assert_same(api: &Value, table: &[Value], what: &str) {
    let table = Value::Array(table.to_vec());
    assert!(
        same(api, &table),
        "{what}:\nAPI:   {api:.2000}\ntable: {table:.2000}"
    );
}

/// `token` with its last hex digit changed: the right id, a wrong secret.
pub fn last_digit_changed(token: &str) -> String {
    let (head, last) = token.split_at(token.len() - 1);
    format!("{head}{}", if last == "0" { "1" } else { "0" })
}

/// A percent-encoded query value (RFC 3986 unreserved characters kept).
pub fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
