//! `cohort serve` over real sockets: a serving database written by a real `cohort run`, tokens from
//! `cohort token create`, and a real HTTP client. Every route answers what the SQLite tables hold;
//! tokens are scoped to communities and scopes (401/403); bad parameters are 400s naming the
//! parameter; unknown routes, members and items are 404s; the rate limit answers 429; every answer
//! fits the server's own `/openapi.json`, which lists exactly the routes served.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "http_api/fixture.rs"]
mod fixture;
#[path = "http_api/schema.rs"]
mod schema;
#[allow(dead_code)] // shared by several test binaries: stopping it is for the others
#[path = "http_api/server.rs"]
mod server;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;

use common::*;
use fixture::{assert_same, build_data, db, enc, last_digit_changed, rows};
use rusqlite::Connection;
use serde_json::{Value, json};
use server::{Server, create_token, tokens_file};

/// The prefix of the data routes.
const REC: &str = "/v1/communities";

#[test]
fn every_route_answers_what_the_serving_tables_hold_within_the_tokens_grants() {
    let dir = tempfile::tempdir().unwrap();
    let data = build_data(dir.path());
    let conn = db(&data);

    // The member with the longest list, an item with neighbours, a community with forecasts and
    // one with alerts — all from the tables the run wrote.
    let member = rows(
        &conn,
        "SELECT community_id, user_id FROM recommendations GROUP BY 1, 2
         ORDER BY count(*) DESC, 1, 2 LIMIT 1",
        &[],
    );
    let (community, member) = (
        member[0]["community_id"].as_str().unwrap().to_string(),
        member[0]["user_id"].as_str().unwrap().to_string(),
    );
    // The tables hold pseudonyms; callers ask by the raw id the events carried.
    let input = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    let raw = raw_member(input.lines(), &member);
    assert_ne!(raw, member);
    let item = rows(
        &conn,
        "SELECT item_id FROM similar_items WHERE community_id = ?1 GROUP BY 1
         ORDER BY count(*) DESC, 1 LIMIT 1",
        &[&community],
    );
    let item = item[0]["item_id"].as_str().unwrap().to_string();
    let alert_community = rows(
        &conn,
        "SELECT community_id FROM alerts GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        &[],
    );
    let alert_community = alert_community[0]["community_id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = rows(
        &conn,
        "SELECT DISTINCT community_id FROM forecasts WHERE community_id <> ?1 ORDER BY 1 LIMIT 1",
        &[&community],
    );
    let other = other[0]["community_id"].as_str().unwrap().to_string();

    // Tokens: everything; recs of `community` only; forecasts and alerts of every community.
    let (all, all_line) = create_token("*", "recs,forecasts,alerts");
    let (recs_only, recs_line) = create_token(&community, "recs");
    let (watch, watch_line) = create_token("*", "forecasts,alerts");
    let tokens = dir.path().join("tokens");
    tokens_file(&tokens, &[&all_line, &recs_line, &watch_line]);
    let file = std::fs::read_to_string(&tokens).unwrap();
    for t in [&all, &recs_only, &watch] {
        let secret = t.rsplit('_').next().unwrap();
        assert!(!file.contains(secret), "the tokens file holds a token");
    }
    let server = Server::start(
        &data,
        &dir.path().join("serve.log"),
        &["--tokens", tokens.to_str().unwrap()],
    );

    // Health and readiness need no token; readiness reports the newest checkpoint.
    let health = server.get("/healthz", None);
    assert_eq!(
        (health.status, &health.json),
        (200, &json!({"status": "ok"}))
    );
    let ready = server.get("/readyz", None);
    assert_eq!(ready.status, 200, "{}", ready.text);
    let newest = rows(
        &conn,
        "SELECT epoch, committed_at FROM checkpoints ORDER BY id DESC LIMIT 1",
        &[],
    );
    assert_eq!(ready.json["checkpoint_epoch"], newest[0]["epoch"]);
    assert_eq!(ready.json["committed_at"], newest[0]["committed_at"]);

    // Recommendations: all of them, the first 3, and the default 10, equal the table's rows.
    let recs_sql = "SELECT rank, item_id, score, reason, epoch, updated_at FROM recommendations
                    WHERE community_id = ?1 AND user_id = ?2 ORDER BY rank";
    let table = rows(&conn, recs_sql, &[&community, &member]);
    assert!(table.len() > 3, "{} recommendations", table.len());
    let recs_path = |community: &str, member: &str| {
        format!(
            "{REC}/{}/members/{}/recommendations",
            enc(community),
            enc(member)
        )
    };
    let path = recs_path(&community, &raw);
    for (query, n) in [
        ("?k=1000", table.len()),
        ("?k=3", 3),
        ("", table.len().min(10)),
    ] {
        let r = server.get(&format!("{path}{query}"), Some(&all));
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["community_id"], json!(community));
        assert_eq!(r.json["member_id"], json!(member));
        assert_same(
            &r.json["recommendations"],
            &table[..n],
            &format!("recommendations{query}"),
        );
    }
    // The recs-only token reads them too.
    assert_eq!(server.get(&path, Some(&recs_only)).status, 200);
    // The pseudonym is not an id callers can ask by: the server hashes whatever it is given.
    let r = server.get(&recs_path(&community, &member), Some(&all));
    assert_eq!((r.status, r.error()), (404, "not_found"), "{}", r.text);

    // Similar items.
    let similar_sql = "SELECT rank, other_item_id, score, epoch, updated_at FROM similar_items
                       WHERE community_id = ?1 AND item_id = ?2 ORDER BY rank";
    let table = rows(&conn, similar_sql, &[&community, &item]);
    assert!(!table.is_empty());
    let similar = format!("{REC}/{}/items/{}/similar", enc(&community), enc(&item));
    let r = server.get(&format!("{similar}?k=1000"), Some(&recs_only));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["item_id"], json!(item));
    assert_same(&r.json["similar"], &table, "similar items");
    let r = server.get(&format!("{similar}?k=1"), Some(&all));
    assert_same(&r.json["similar"], &table[..1], "similar items, k=1");

    // Forecasts: all of the community's, and one series.
    let forecast_sql = "SELECT channel_id, metric, hour, horizon, yhat, lo80, hi80, lo95, hi95,
                               model, fitted_at, epoch, updated_at
                        FROM forecasts WHERE community_id = ?1 ORDER BY channel_id, metric, horizon";
    let table = rows(&conn, forecast_sql, &[&community]);
    assert!(table.len() >= 48, "{} forecast rows", table.len());
    let forecasts = format!("{REC}/{}/forecasts", enc(&community));
    let r = server.get(&forecasts, Some(&watch));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["community_id"], json!(community));
    assert_same(&r.json["forecasts"], &table, "forecasts");
    let series: Vec<Value> = table
        .iter()
        .filter(|f| f["metric"] == "messages" && f["channel_id"] == "")
        .cloned()
        .collect();
    assert_eq!(series.len(), 48, "the community-wide messages series");
    let r = server.get(&format!("{forecasts}?metric=messages&channel="), Some(&all));
    assert_same(&r.json["forecasts"], &series, "one forecast series");
    let r = server.get(&format!("{forecasts}?metric=no-such-metric"), Some(&all));
    assert_eq!((r.status, r.json["forecasts"].clone()), (200, json!([])));

    // Alerts: all, open only, and since a time.
    let alert_sql = "SELECT alert_id, kind, rule, channel_id, member_id, metric, severity, score,
                            status, first_seen, last_seen, count, observed, expected, lo95, hi95,
                            evidence, closed_at, verdict, epoch, updated_at
                     FROM alerts WHERE community_id = ?1 ORDER BY last_seen DESC, alert_id";
    let table = rows(&conn, alert_sql, &[&alert_community]);
    let pii = rows(
        &conn,
        "SELECT count(*) AS n FROM alerts WHERE kind = 'pii'",
        &[],
    );
    assert!(
        pii[0]["n"].as_i64().unwrap() > 0,
        "the planted phone numbers raised no pii alert"
    );
    let alerts = format!("{REC}/{}/alerts", enc(&alert_community));
    let r = server.get(&format!("{alerts}?limit=1000"), Some(&watch));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_same(&r.json["alerts"], &table, "alerts");
    let r = server.get(&format!("{alerts}?limit=1"), Some(&watch));
    assert_same(&r.json["alerts"], &table[..1], "alerts, limit=1");
    for status in ["open", "closed"] {
        let subset: Vec<Value> = table
            .iter()
            .filter(|a| a["status"] == status)
            .cloned()
            .collect();
        let r = server.get(&format!("{alerts}?status={status}&limit=1000"), Some(&all));
        assert_same(&r.json["alerts"], &subset, status);
    }
    let middle = table[table.len() / 2]["last_seen"]
        .as_str()
        .unwrap()
        .to_string();
    let recent: Vec<Value> = table
        .iter()
        .filter(|a| a["last_seen"].as_str().unwrap() >= middle.as_str())
        .cloned()
        .collect();
    let r = server.get(
        &format!("{alerts}?since={}&limit=1000", enc(&middle)),
        Some(&all),
    );
    assert_same(&r.json["alerts"], &recent, "alerts since");

    // Scoping: community and scope both checked, 403 with JSON.
    let elsewhere = recs_path(&other, &raw);
    let r = server.get(&elsewhere, Some(&recs_only));
    assert_eq!((r.status, r.error()), (403, "forbidden"), "{}", r.text);
    let r = server.get(&forecasts, Some(&recs_only));
    assert_eq!(
        (r.status, r.error()),
        (403, "forbidden"),
        "forecasts with recs only"
    );
    let r = server.get(&alerts, Some(&recs_only));
    assert_eq!(r.status, 403, "alerts with recs only");
    let r = server.get(&path, Some(&watch));
    assert_eq!(r.status, 403, "recommendations without the recs scope");
    assert_eq!(
        server
            .get(&format!("{REC}/{}/forecasts", enc(&other)), Some(&watch))
            .status,
        200
    );

    // No token, a bad token, another scheme: 401.
    for auth in [
        None,
        Some("Bearer nonsense".to_string()),
        Some(format!("Basic {all}")),
        Some(format!("Bearer {}", last_digit_changed(&all))),
    ] {
        let r = server.get_with(&path, auth.clone());
        assert_eq!((r.status, r.error()), (401, "unauthorized"), "{auth:?}");
    }
    // The scheme is case-insensitive.
    assert_eq!(
        server.get_with(&path, Some(format!("bearer {all}"))).status,
        200
    );

    // 404s: unknown member, unknown item, unknown route; 405 for another method.
    let r = server.get(
        &format!(
            "{REC}/{}/members/nobody-at-all/recommendations",
            enc(&community)
        ),
        Some(&all),
    );
    assert_eq!((r.status, r.error()), (404, "not_found"));
    let r = server.get(
        &format!("{REC}/{}/items/no-such-item/similar", enc(&community)),
        Some(&all),
    );
    assert_eq!((r.status, r.error()), (404, "not_found"));
    let r = server.get("/v1/nothing/here", Some(&all));
    assert_eq!((r.status, r.error()), (404, "not_found"));
    let r = server.post(&path);
    assert_eq!((r.status, r.error()), (405, "method_not_allowed"));

    // Bad parameters: 400 naming the parameter.
    for (query, parameter) in [
        ("k=abc", "k"),
        ("k=0", "k"),
        ("k=1001", "k"),
        ("k=3&k=4", "k"),
    ] {
        let r = server.get(&format!("{path}?{query}"), Some(&all));
        assert_eq!(
            (r.status, r.parameter()),
            (400, parameter),
            "{query}: {}",
            r.text
        );
    }
    for (query, parameter) in [
        ("status=pending", "status"),
        ("since=yesterday", "since"),
        ("limit=0", "limit"),
    ] {
        let r = server.get(&format!("{alerts}?{query}"), Some(&all));
        assert_eq!(
            (r.status, r.parameter()),
            (400, parameter),
            "{query}: {}",
            r.text
        );
    }
    let r = server.get(&format!("{path}?K=5"), Some(&all));
    assert_eq!((r.status, r.error()), (400, "bad_request"));
    assert!(
        r.json["message"].as_str().unwrap().contains("\"K\""),
        "{}",
        r.text
    );

    // The document lists exactly the routes answered above (and this test hit every one).
    let metrics = server.get("/metrics", None);
    assert_eq!(metrics.status, 200);
    let documented: BTreeSet<String> = server.openapi["paths"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let hit: BTreeSet<String> = server
        .received
        .borrow()
        .keys()
        .map(|(route, _)| route.clone())
        .filter(|r| r != "unmatched")
        .collect();
    assert_eq!(hit, documented);

    // /metrics counted exactly what the client received on every data route.
    for ((route, status), n) in server.received.borrow().iter() {
        if !route.starts_with("/v1/") {
            continue;
        }
        let line =
            format!("cohort_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
        assert!(
            metrics.text.lines().any(|l| l == line),
            "{line} not in\n{}",
            metrics.text
        );
    }
    assert!(metrics.text.contains(
        "cohort_http_request_duration_seconds_count{route=\"/v1/communities/{c}/alerts\"}"
    ));
    // Member ids never become labels.
    assert!(!metrics.text.contains(&member) && !metrics.text.contains(&raw));

    // No token reached the server's log.
    let log = server.log_text();
    for t in [&all, &recs_only, &watch] {
        assert!(
            !log.contains(t.rsplit('_').next().unwrap()),
            "a token in the log:\n{log}"
        );
    }
}

/// A server over a data directory without a database, with a token for community `c1` (all
/// scopes) and the tokens-file `lines` of any other tokens.
fn empty_server(dir: &Path, lines: &[&str], args: &[&str]) -> (Server, String) {
    let (token, line) = create_token("c1", "recs,forecasts,alerts");
    let tokens = dir.join("tokens");
    let mut all = vec![line.as_str()];
    all.extend_from_slice(lines);
    tokens_file(&tokens, &all);
    let mut serve_args = vec!["--tokens", tokens.to_str().unwrap()];
    serve_args.extend_from_slice(args);
    let server = Server::start(&dir.join("data"), &dir.join("serve.log"), &serve_args);
    (server, token)
}

#[test]
fn a_missing_database_or_table_is_a_503_in_json_and_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let (server, token) = empty_server(dir.path(), &[], &[]);
    assert_eq!(server.get("/healthz", None).status, 200);
    let ready = server.get("/readyz", None);
    assert_eq!(
        (ready.status, &ready.json["status"]),
        (503, &json!("not_ready"))
    );
    for route in [
        "members/m/recommendations",
        "items/i/similar",
        "forecasts",
        "alerts",
    ] {
        let r = server.get(&format!("{REC}/c1/{route}"), Some(&token));
        assert_eq!(
            (r.status, r.error()),
            (503, "unavailable"),
            "{route}: {}",
            r.text
        );
    }
    // Serving read-only never creates the database.
    assert!(!dir.path().join("data/serving.db").exists());

    // A database without the serving tables: 503 naming the table, still not ready.
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    Connection::open(dir.path().join("data/serving.db"))
        .unwrap()
        .execute_batch("CREATE TABLE unrelated (x INTEGER)")
        .unwrap();
    let r = server.get(&format!("{REC}/c1/alerts"), Some(&token));
    assert_eq!(r.status, 503);
    assert!(
        r.json["message"].as_str().unwrap().contains("alerts"),
        "{}",
        r.text
    );
    let ready = server.get("/readyz", None);
    assert_eq!(ready.status, 503);
    assert!(
        ready.json["reason"].as_str().unwrap().contains("no table"),
        "{}",
        ready.text
    );
}

#[test]
fn each_token_has_its_own_rate_limit_and_excess_is_a_429() {
    let dir = tempfile::tempdir().unwrap();
    let (second, second_line) = create_token("*", "alerts");
    let (server, token) = empty_server(
        dir.path(),
        &[&second_line],
        // One request per 5 seconds: the requests below take far less, even on a loaded machine,
        // so no token comes back before the refill this test waits for.
        &["--rate-limit", "0.2", "--rate-burst", "5"],
    );
    let alerts = format!("{REC}/c1/alerts");
    let statuses: Vec<u16> = (0..8)
        .map(|_| server.get(&alerts, Some(&token)).status)
        .collect();
    // The burst passes (to the missing database's 503), then the bucket is empty.
    assert_eq!(&statuses[..5], &[503; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|&s| s == 429), "{statuses:?}");
    let r = server.get(&alerts, Some(&token));
    assert_eq!((r.status, r.error()), (429, "rate_limited"));
    assert!(
        r.retry_after
            .is_some_and(|s| s.parse::<u64>().unwrap() >= 1)
    );
    // The other token is not limited by the first one's traffic.
    assert_eq!(server.get(&alerts, Some(&second)).status, 503);
    // Health needs no token and is not limited.
    assert!((0..20).all(|_| server.get("/healthz", None).status == 200));
    // Refilled at 1 per 5 seconds.
    std::thread::sleep(std::time::Duration::from_millis(5200));
    assert_eq!(server.get(&alerts, Some(&token)).status, 503);
}

#[test]
fn parameters_are_checked_before_the_database_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (server, token) = empty_server(dir.path(), &[], &[]);
    let long = "x".repeat(300);
    for (path, parameter) in [
        (format!("{REC}/c1/members/m/recommendations?k=abc"), "k"),
        (format!("{REC}/c1/items/i/similar?k=-3"), "k"),
        (format!("{REC}/c1/alerts?status=all"), "status"),
        (
            format!("{REC}/c1/alerts?since=2026-13-01T00:00:00Z"),
            "since",
        ),
        (format!("{REC}/c1/alerts?limit=5000"), "limit"),
        (format!("{REC}/c1/forecasts?metric={long}"), "metric"),
        (format!("{REC}/c1/members/{long}/recommendations"), "m"),
    ] {
        let r = server.get(&path, Some(&token));
        assert_eq!(
            (r.status, r.parameter()),
            (400, parameter),
            "{path}: {}",
            r.text
        );
    }
    // A community id over the limit is refused before access is checked against it.
    let r = server.get(&format!("{REC}/{long}/alerts"), Some(&token));
    assert_eq!((r.status, r.parameter()), (400, "c"));
}

#[test]
fn a_large_request_body_is_refused_with_413() {
    let dir = tempfile::tempdir().unwrap();
    let (server, token) = empty_server(dir.path(), &[], &["--max-body-bytes", "1024"]);
    let addr = server.base.trim_start_matches("http://");
    // Raw HTTP: the client announces a body far over the limit and sends none of it.
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {REC}/c1/alerts HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Length: 100000000\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("\"error\":\"payload_too_large\""),
        "{answer}"
    );
}

#[test]
fn serve_needs_tokens_or_an_explicit_anonymous_flag() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut cmd = cohort();
    cmd.args(["serve", "--http", "127.0.0.1:0", "--data-dir"])
        .arg(&data);
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--allow-anonymous") && stderr.contains("--tokens"),
        "{stderr}"
    );

    // Both at once is a contradiction.
    let tokens = dir.path().join("tokens");
    let (_, line) = create_token("*", "recs");
    tokens_file(&tokens, &[&line]);
    let mut cmd = cohort();
    cmd.args([
        "serve",
        "--http",
        "127.0.0.1:0",
        "--allow-anonymous",
        "--tokens",
    ])
    .arg(&tokens)
    .arg("--data-dir")
    .arg(&data);
    assert!(!cmd.output().unwrap().status.success());

    // An empty tokens file would refuse everyone: refused at start.
    tokens_file(&tokens, &[]);
    let mut cmd = cohort();
    cmd.args(["serve", "--http", "127.0.0.1:0", "--tokens"])
        .arg(&tokens)
        .arg("--data-dir")
        .arg(&data);
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no token"));

    // Anonymous: no token needed (the missing database answers), every community.
    let server = Server::start(&data, &dir.path().join("serve.log"), &["--allow-anonymous"]);
    for c in ["a", "b"] {
        let r = server.get(&format!("{REC}/{c}/alerts"), None);
        assert_eq!((r.status, r.error()), (503, "unavailable"));
    }
}

#[test]
fn token_create_prints_the_token_once_and_a_line_that_holds_only_its_hash() {
    let (token, line) = create_token("a,b", "recs,alerts");
    assert!(token.starts_with("cohort_") && token.len() > 70, "{token}");
    let secret = token.rsplit('_').next().unwrap();
    assert_eq!(secret.len(), 64, "a 256-bit secret in hex");
    assert!(!line.contains(secret));
    assert!(
        line.starts_with("token ") && line.contains("communities=a,b"),
        "{line}"
    );
    assert!(line.contains("scopes=recs,alerts"), "{line}");
    // Two tokens never repeat.
    let (again, _) = create_token("a,b", "recs,alerts");
    assert_ne!(token, again);
    // Unknown scopes are refused.
    let mut cmd = cohort();
    cmd.args(["token", "create", "--communities", "a", "--scopes", "admin"]);
    assert!(!cmd.output().unwrap().status.success());
}
