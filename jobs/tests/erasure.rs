//! Erasure end to end, on the real binary: a member with chat, views or likes and payments asks
//! to be forgotten. After the run, nothing in the serving tables or the API answers names them;
//! after `cohort compact --apply-erasures`, nothing in the lake does either — no row of theirs,
//! no mention of them in anyone else's row — while every other member's rows are still there;
//! and the bytes of the data directory hold neither their raw id nor their pseudonym. A control
//! run of the same input without the erasure request shows each check finding the member.
#![allow(clippy::unwrap_used)]

mod common;
#[allow(dead_code)]
#[path = "http_api/fixture.rs"]
mod fixture;
#[path = "erasure/input.rs"]
mod input;
#[allow(dead_code)]
#[path = "privacy_pseudonyms/scan.rs"]
mod scan;
#[allow(dead_code)]
#[path = "http_api/schema.rs"]
mod schema;
#[allow(dead_code)]
#[path = "http_api/server.rs"]
mod server;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use fixture::enc;
use input::{MENTION, RAW};
use scan::{RawIds, files_under, ids_in_file_bytes, ids_in_lake_values, ids_in_serving_values};
use server::{Server, create_token, tokens_file};

/// Late events are dead-lettered with their raw bytes, which no erasure can match: allow
/// 30 days so that none of the member's events is late.
const LATENESS: &str = "2592000000";

fn needles(id: &str) -> RawIds {
    RawIds::new(&BTreeSet::from([id.to_string()]))
}

/// Starts `cohort serve` on `data` with a token for every community and scope.
fn serve(data: &Path, dir: &Path, name: &str) -> (Server, String) {
    let (token, line) = create_token("*", "recs,forecasts,alerts");
    let tokens = dir.join(format!("{name}.tokens"));
    tokens_file(&tokens, &[&line]);
    let server = Server::start(
        data,
        &dir.join(format!("{name}.log")),
        &["--tokens", tokens.to_str().unwrap()],
    );
    (server, token)
}

/// The API's answers about the member and their community, as one text: recommendations (the
/// status too), alerts, and the community's forecasts.
fn api_answers(server: &Server, token: &str, community: &str) -> (u16, String) {
    let c = enc(community);
    let recs = server.get(
        &format!(
            "/v1/communities/{c}/members/{}/recommendations?k=1000",
            enc(RAW)
        ),
        Some(token),
    );
    let alerts = server.get(
        &format!("/v1/communities/{c}/alerts?limit=1000"),
        Some(token),
    );
    assert_eq!(alerts.status, 200, "{}", alerts.text);
    let forecasts = server.get(&format!("/v1/communities/{c}/forecasts"), Some(token));
    assert_eq!(forecasts.status, 200, "{}", forecasts.text);
    (
        recs.status,
        format!("{}\n{}\n{}", recs.text, alerts.text, forecasts.text),
    )
}

/// Rows per event table (and of the member, by their stored id), from the lake.
fn event_rows(data: &Path, stored: &str) -> Vec<(String, u64, u64)> {
    EVENT_TABLES
        .iter()
        .map(|table| {
            let all = query_u64(data, &format!("SELECT count(*) FROM {table}"));
            let theirs = query_u64(
                data,
                &format!("SELECT count(*) FROM {table} WHERE user_id = '{stored}'"),
            );
            (table.to_string(), all, theirs)
        })
        .collect()
}

#[test]
fn an_erased_member_leaves_no_trace_in_serving_tables_api_answers_or_the_compacted_lake() {
    let dir = tempfile::tempdir().unwrap();
    let input = input::build(dir.path(), 20_000, 11);
    let stored = pseudonym(RAW);
    let (raw, pseudo) = (needles(RAW), needles(&stored));

    // Control: the same input without the erasure request. Every check below finds the member.
    let control_input = dir.path().join("control.jsonl");
    input.write(&control_input, false);
    let control = dir.path().join("control");
    run_file_with_recs(&control_input, &control, &["--lateness-ms", LATENESS]);
    let before = event_rows(&control, &stored);
    for kind in ["events_chat", "events_payment"] {
        let theirs = before.iter().find(|(t, _, _)| t == kind).unwrap().2;
        assert!(theirs > 0, "the member has no {kind} rows: {before:?}");
    }
    let (in_serving, _) = ids_in_serving_values(&control, &pseudo);
    for table in ["recommendations", "alerts"] {
        assert!(
            in_serving.contains_key(table),
            "control serving: {in_serving:?}"
        );
    }
    assert!(!ids_in_lake_values(&control, &pseudo).is_empty());
    let (server, token) = serve(&control, dir.path(), "control");
    let (status, text) = api_answers(&server, &token, &input.community);
    assert_eq!(status, 200, "control recommendations: {text:.300}");
    assert!(
        text.contains(&stored),
        "the control alerts do not name the member"
    );
    drop(server);

    // The same input and the erasure request: gone from the serving tables and the API within
    // the run.
    let erased_input = dir.path().join("erased.jsonl");
    input.write(&erased_input, true);
    let data = dir.path().join("erased");
    run_file_with_recs(&erased_input, &data, &["--lateness-ms", LATENESS]);
    let (in_serving, pseudonyms) = ids_in_serving_values(&data, &pseudo);
    assert!(
        in_serving.is_empty(),
        "serving tables name the member: {in_serving:?}"
    );
    assert!(pseudonyms > 0, "the serving tables hold no member at all");
    let (server, token) = serve(&data, dir.path(), "erased");
    let (status, text) = api_answers(&server, &token, &input.community);
    assert_eq!(
        status, 404,
        "recommendations of the erased member: {text:.300}"
    );
    assert!(!text.contains(&stored), "an API answer names the member");
    assert!(text.contains("pm_"), "the alerts name no member at all");
    drop(server);
    // The lake keeps the member's rows until compaction, and the request in its register.
    assert!(!ids_in_lake_values(&data, &pseudo).is_empty());
    assert!(query_u64(&data, "SELECT count(*) FROM erasures") >= 1);

    let mut cmd = cohort();
    cmd.args(["compact", "--apply-erasures", "--data-dir"])
        .arg(&data);
    let summary = String::from_utf8(ok(cmd).stdout).unwrap();
    assert!(summary.contains("events_chat"), "{summary}");

    // No value of any lake file names the member, and none of their rows is left; every other
    // member's row is (the control's counts less the member's, table by table).
    let found = ids_in_lake_values(&data, &pseudo);
    assert!(found.is_empty(), "lake values name the member: {found:?}");
    let after = event_rows(&data, &stored);
    for ((table, all, theirs), (_, now, left)) in before.iter().zip(&after) {
        assert_eq!((*now, *left), (all - theirs, 0), "{table}");
    }
    let mention = query(
        &data,
        &format!(
            "SELECT text, array_to_string(mentions, ' ') FROM events_chat WHERE event_id = '{MENTION}'"
        ),
    );
    assert_eq!(
        mention,
        vec![vec![
            "thanks @[erased] for the notes".to_string(),
            "[erased]".to_string()
        ]],
        "the other member's message stays, without the member's id"
    );
    // The bytes: neither the raw id anywhere in the data directory, nor the pseudonym in the
    // lake.
    let found = ids_in_file_bytes(&data, &raw);
    assert!(found.is_empty(), "the raw id is in {found:?}");
    let found: Vec<_> = files_under(&data.join("lake"))
        .into_iter()
        .filter(|f| !pseudo.found_in(&std::fs::read(f).unwrap()).is_empty())
        .collect();
    assert!(found.is_empty(), "the pseudonym is in {found:?}");

    // Idempotent: a second compaction changes nothing; the jobs resume from the rewritten lake.
    let (files_before, _) = lake_files(&data);
    let mut cmd = cohort();
    cmd.args(["compact", "--apply-erasures", "--data-dir"])
        .arg(&data);
    let again = String::from_utf8(ok(cmd).stdout).unwrap();
    assert!(again.contains("nothing to do"), "{again}");
    assert_eq!(lake_files(&data).0, files_before);
    run_file_with_recs(&erased_input, &data, &["--lateness-ms", LATENESS]);
    assert_eq!(event_rows(&data, &stored), after);
}
