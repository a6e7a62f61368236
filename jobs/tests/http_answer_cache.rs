//! The answer cache of `cohort serve` (docs/http.md, "Answer cache"), over real sockets: repeated
//! questions are answered from memory, and an answer is never staler than the tables. A second
//! `cohort run` commits into the data directory the server is serving; the moment it has exited,
//! every member's answer equals what the tables then hold, though each was kept a moment before.
#![allow(clippy::unwrap_used)]

mod common;
#[allow(dead_code)] // shared by several test binaries
#[path = "http_api/fixture.rs"]
mod fixture;
#[allow(dead_code)] // the server module checks answers against it
#[path = "http_api/schema.rs"]
mod schema;
#[allow(dead_code)] // shared by several test binaries
#[path = "http_api/server.rs"]
mod server;

use std::collections::BTreeMap;

use common::kafka::split_file;
use common::*;
use fixture::{db, enc, rows};
use serde_json::Value;
use server::{Server, create_token, sample, tokens_file};

/// What the recommendations route should answer for `stored`: the table's rows, or nothing.
fn table_rows(data: &std::path::Path, community: &str, stored: &str) -> Vec<Value> {
    rows(
        &db(data),
        "SELECT rank, item_id, score, reason, epoch, updated_at FROM recommendations
         WHERE community_id = ?1 AND user_id = ?2 ORDER BY rank",
        &[&community, &stored],
    )
}

#[test]
fn kept_answers_are_reused_until_a_commit_and_never_outlive_it() {
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.jsonl");
    generate(24_000, 11, &all);
    let (first, second) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    split_file(&all, 12_000, &first, &second);
    let data = dir.path().join("data");
    run_file_with_recs(&first, &data, &[]);

    // Members with recommendations after the first run, by (community, pseudonym) → raw id.
    let text = std::fs::read_to_string(&all).unwrap();
    let raw_of: BTreeMap<String, String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|e| e["user_id"].as_str().map(str::to_string))
        .map(|raw| (pseudonym(&raw), raw))
        .collect();
    let members: Vec<(String, String)> = rows(
        &db(&data),
        "SELECT DISTINCT community_id, user_id FROM recommendations ORDER BY 1, 2 LIMIT 150",
        &[],
    )
    .iter()
    .map(|r| {
        let community = r["community_id"].as_str().unwrap().to_string();
        (community, r["user_id"].as_str().unwrap().to_string())
    })
    .collect();
    assert!(members.len() >= 50, "too few members: {}", members.len());

    let (token, line) = create_token("*", "recs");
    let tokens = dir.path().join("tokens");
    tokens_file(&tokens, &[&line]);
    let tokens_arg = tokens.to_str().unwrap();
    let server = Server::start(
        &data,
        &dir.path().join("serve.log"),
        &["--tokens", tokens_arg, "--rate-limit", "0"],
    );
    let ask = |community: &str, stored: &str| {
        let path = format!(
            "/v1/communities/{}/members/{}/recommendations?k=20",
            enc(community),
            enc(&raw_of[stored])
        );
        server.get(&path, Some(&token))
    };
    let check = |community: &str, stored: &str| {
        let reply = ask(community, stored);
        let table = table_rows(&data, community, stored);
        if table.is_empty() {
            assert_eq!(reply.status, 404, "{}", reply.text);
        } else {
            assert_eq!(reply.status, 200, "{}", reply.text);
            assert_eq!(reply.json["recommendations"], Value::Array(table.clone()));
        }
        table
    };

    // Every member twice: the second answer comes from memory and equals the first.
    let before: Vec<Vec<Value>> = members.iter().map(|(c, m)| check(c, m)).collect();
    for (c, m) in &members {
        check(c, m);
    }
    let metrics = server.get("/metrics", None).text;
    let hits = sample(&metrics, "cohort_http_answer_cache_hits_total");
    assert!(hits >= members.len() as f64, "{hits} hits\n{metrics}");

    // Another run commits into the served data directory. Right after it exits, no kept answer
    // may survive: each member's answer is what the tables now hold.
    run_file_with_recs(&second, &data, &[]);
    let after: Vec<Vec<Value>> = members.iter().map(|(c, m)| check(c, m)).collect();
    let changed = before.iter().zip(&after).filter(|(b, a)| b != a).count();
    assert!(
        changed * 2 >= members.len(),
        "the second run changed only {changed} of {} members' lists: the test would not see stale answers",
        members.len()
    );
    server.stop();
}
