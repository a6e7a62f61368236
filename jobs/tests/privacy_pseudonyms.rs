//! Member ids pseudonymised at ingest, end to end with the real binary: after `cohort run` on
//! embedded defaults (no key configured), no raw member id is anywhere in the data directory but
//! the dead-letter table (raw bytes, the documented exception); every stored id is the keyed
//! pseudonym of the id its event carried; `cohort serve` answers by raw id; the generated key is
//! made once and reused; a run or a server under another key refuses the data directory.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "http_api/schema.rs"]
mod schema;
// the HTTP API tests' server; this file uses part of it
#[path = "privacy_pseudonyms/scan.rs"]
mod scan;
#[allow(dead_code)]
#[path = "http_api/server.rs"]
mod server;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use cohort_jobs::lake_replay::{read_batches, table_files};
use cohort_jobs::privacy::{KEY_ENV, Pseudonymizer, SecretKey};
use cohort_schemas::Kind;
use cohort_schemas::event::{Event, Payload};
use cohort_schemas::lake::events_from_batch;
use common::*;
use scan::*;
use serde_json::Value;
use server::Server;

/// `cohort` as on a machine with no key configured.
fn keyless() -> Command {
    let mut cmd = cohort();
    cmd.env_remove(KEY_ENV);
    cmd
}

/// `cohort run --source file` over `input` into `data` with `cmd`.
fn run_with(mut cmd: Command, input: &Path, data: &Path) -> std::process::Output {
    cmd.args(["run", "--workers", "2", "--source", "file", "--input"])
        .arg(input)
        .arg("--data-dir")
        .arg(data);
    cmd.output().unwrap()
}

/// Fails with the output unless the command succeeded; returns its standard error.
fn succeeded(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        out.status.success(),
        "{}\nstdout:\n{}\nstderr:\n{stderr}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

/// Fails unless the command failed; returns its standard error.
fn refused(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "it ran:\n{stderr}");
    stderr
}

/// Every event of the lake's event tables.
fn lake_events(data: &Path) -> Vec<Event> {
    let mut events = Vec::new();
    for kind in Kind::ALL {
        for path in table_files(&data.join("lake"), kind.table(), None).unwrap() {
            read_batches(&path, |batch| {
                events.extend(events_from_batch(kind, batch).map_err(|e| e.to_string())?);
                Ok(())
            })
            .unwrap();
        }
    }
    events
}

/// The key a run generated in `data`.
fn generated_key(data: &Path) -> SecretKey {
    let raw = std::fs::read(data.join("secrets/member-key")).unwrap();
    SecretKey::new(&raw, "test").unwrap()
}

/// The member key id the last checkpoint of `data` records, from the lake's manifest and from
/// the serving database (they must agree).
fn recorded_key_id(data: &Path) -> Option<String> {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("lake/_manifest/ingest.json")).unwrap(),
    )
    .unwrap();
    let conn = read_only(data);
    let json: String = conn
        .query_row(
            "SELECT offsets_json FROM checkpoints ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let checkpoint: Value = serde_json::from_str(&json).unwrap();
    let from_db = checkpoint["member_key_id"].as_str().map(str::to_string);
    let from_manifest = manifest
        .pointer("/checkpoint/member_key_id")
        .and_then(Value::as_str)
        .map(str::to_string);
    assert_eq!(from_db, from_manifest, "manifest: {manifest:.500}");
    from_db
}

/// Each stored event's member ids are the pseudonyms of what its input line carried.
fn assert_pseudonymised(events: &[Event], input: &BTreeMap<String, Value>, p: &Pseudonymizer) {
    assert!(events.len() > 100, "{} events", events.len());
    for e in events {
        let line = &input[&e.event_id];
        let raw = |v: &Value| p.pseudonym(v.as_str().unwrap());
        assert_eq!(e.user_id, raw(&line["user_id"]), "{line}");
        match &e.payload {
            Payload::Chat(chat) => {
                let mentions = line["mentions"].as_array().cloned().unwrap_or_default();
                let expected: Vec<String> = mentions.iter().map(raw).collect();
                assert_eq!(chat.mentions, expected, "{line}");
                // the text's @-mentions too
                for m in &mentions {
                    let written = format!("@{} ", m.as_str().unwrap());
                    if line["text"].as_str().unwrap().contains(&written) {
                        assert!(chat.text.contains(&format!("@{} ", raw(m))), "{line}");
                    }
                }
            }
            Payload::Item(item) => {
                assert_eq!(item.author_id, line.get("author_id").map(raw), "{line}");
            }
            _ => {}
        }
    }
}

#[test]
fn no_raw_member_id_is_stored_outside_dead_letters_and_the_api_takes_raw_ids() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    generate(15_000, 7, &input);
    let (ids, by_event) = raw_ids(&input);
    assert!(ids.len() > 300, "{} member ids", ids.len());
    let needles = RawIds::new(&ids);
    let data = dir.path().join("data");
    let mut run = keyless();
    run.env("COHORT__RECS__ENABLED", "true");
    let stderr = succeeded(&run_with(run, &input, &data));

    // The key was generated in the data directory, privately, and only its id was logged.
    let key_file = data.join("secrets/member-key");
    let key_text = std::fs::read_to_string(&key_file).unwrap();
    let mode = std::os::unix::fs::PermissionsExt::mode(&key_file.metadata().unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let key = generated_key(&data);
    assert!(
        stderr.contains("no privacy key configured")
            && stderr.contains(&key_file.display().to_string())
            && stderr.contains(KEY_ENV)
            && stderr.contains(key.id()),
        "{stderr}"
    );
    assert!(!stderr.contains(key_text.trim()), "the key reached the log");
    assert_eq!(recorded_key_id(&data).as_deref(), Some(key.id()));
    let p = Pseudonymizer::new(key.clone());

    // Every stored event carries the pseudonyms of its own raw ids: one per member, always the
    // same (the same raw id in many events gives one stored id).
    let events = lake_events(&data);
    assert_pseudonymised(&events, &by_event, &p);
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in &events {
        let raw = by_event[&e.event_id]["user_id"]
            .as_str()
            .unwrap()
            .to_string();
        seen.entry(raw).or_default().insert(e.user_id.clone());
    }
    assert!(
        seen.values().all(|s| s.len() == 1),
        "one pseudonym per member"
    );
    let distinct: BTreeSet<&String> = seen.values().flatten().collect();
    assert_eq!(distinct.len(), seen.len(), "no two members share one");

    // Every value of every Parquet file: no raw id, except in dead letters, which do keep raw
    // bytes (and so raw ids) of the records that failed — the exception docs/privacy.md states.
    let dead_dir = data.join("lake/dead_letters");
    let in_lake = ids_in_lake_values(&data, &needles);
    let (dead, elsewhere): (Vec<_>, Vec<_>) =
        in_lake.keys().partition(|p| p.starts_with(&dead_dir));
    assert!(elsewhere.is_empty(), "raw ids in {:?}", &in_lake);
    assert!(
        !dead.is_empty(),
        "the generator's malformed records keep their raw ids"
    );

    // Every value of every serving table.
    let (in_tables, pseudonyms) = ids_in_serving_values(&data, &needles);
    assert!(in_tables.is_empty(), "raw ids in {in_tables:?}");
    assert!(
        pseudonyms > 100,
        "{pseudonyms} pseudonyms in the serving tables"
    );

    // The bytes of every file of the data directory (SQLite's WAL, the manifest, the key file
    // too), but the dead-letter table's.
    let in_files = ids_in_file_bytes(&data, &needles);
    let outside: Vec<_> = in_files
        .keys()
        .filter(|p| !p.starts_with(&dead_dir))
        .collect();
    assert!(outside.is_empty(), "raw ids in {:?}", &in_files);
    let conn = read_only(&data);

    // `cohort serve`, with the key it finds in the data directory, takes the raw id.
    let (community, stored): (String, String) = conn
        .query_row(
            "SELECT community_id, user_id FROM recommendations GROUP BY 1, 2
             ORDER BY count(*) DESC, 1, 2 LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let raw = seen
        .iter()
        .find(|(_, s)| s.contains(&stored))
        .map(|(raw, _)| raw.clone())
        .unwrap();
    let expected: Vec<String> = conn
        .prepare(
            "SELECT item_id FROM recommendations WHERE community_id = ?1 AND user_id = ?2
             ORDER BY rank",
        )
        .unwrap()
        .query_map([&community, &stored], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let server = Server::start_command(
        keyless(),
        &data,
        &dir.path().join("serve.log"),
        &["--allow-anonymous"],
    );
    let path = |member: &str| {
        format!("/v1/communities/{community}/members/{member}/recommendations?k=1000")
    };
    let r = server.get(&path(&raw), None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["member_id"], Value::from(stored.clone()));
    let items: Vec<&str> = r.json["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["item_id"].as_str().unwrap())
        .collect();
    assert_eq!(items, expected);
    assert_eq!(server.get(&path(&stored), None).status, 404);
    // Alerts carry pseudonyms too.
    let mut alert_members = 0;
    for community in ["rust-circle", "course-hub", "creator-club", "design-guild"] {
        let r = server.get(
            &format!("/v1/communities/{community}/alerts?limit=1000"),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.text);
        for alert in r.json["alerts"].as_array().unwrap() {
            if let Some(member) = alert["member_id"].as_str() {
                assert!(distinct.contains(&member.to_string()), "{alert}");
                alert_members += 1;
            }
        }
    }
    assert!(alert_members > 0, "no moderation alert named a member");
    let log = server.log_text();
    assert!(
        !log.contains(key_text.trim()),
        "the key reached the server's log"
    );
}

#[test]
fn the_generated_key_is_reused_and_another_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.jsonl");
    generate(4000, 9, &all);
    let text = std::fs::read_to_string(&all).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("a.jsonl"), lines[..2500].join("\n") + "\n").unwrap();
    let data = dir.path().join("data");
    succeeded(&run_with(keyless(), &input, &data));
    let key_file = data.join("secrets/member-key");
    let first_key = std::fs::read(&key_file).unwrap();
    let key = generated_key(&data);
    assert_eq!(recorded_key_id(&data).as_deref(), Some(key.id()));

    // More input, a second run: the same key file, not rewritten, and every event — those of
    // the first run, which the jobs replay from the lake, and the new ones — carries the
    // pseudonyms of its raw ids under that key, none hashed twice.
    std::fs::write(input.join("b.jsonl"), lines[2500..].join("\n") + "\n").unwrap();
    let stderr = succeeded(&run_with(keyless(), &input, &data));
    assert!(stderr.contains("generated earlier in"), "{stderr}");
    assert_eq!(std::fs::read(&key_file).unwrap(), first_key);
    let (_, by_event) = raw_ids(&all);
    let events = lake_events(&data);
    assert!(events.len() > 3500, "{} events", events.len());
    assert_pseudonymised(&events, &by_event, &Pseudonymizer::new(key.clone()));

    // `cohort pseudonym` gives what the lake holds.
    let member = by_event.values().next().unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut cmd = keyless();
    cmd.args(["pseudonym", &member, "--data-dir"]).arg(&data);
    let printed = String::from_utf8(ok(cmd).stdout).unwrap();
    assert_eq!(
        printed,
        format!(
            "{member}\t{}\n",
            Pseudonymizer::new(key.clone()).pseudonym(&member)
        )
    );

    // Another key: the run refuses, naming both key ids and how to rotate, and writes nothing.
    let (before, _) = lake_files(&data);
    std::fs::write(input.join("c.jsonl"), lines[3999].to_string() + "\n").unwrap();
    let other = cohort(); // TEST_KEY in the environment
    let other_id = SecretKey::new(TEST_KEY.as_bytes(), "t")
        .unwrap()
        .id()
        .to_string();
    let stderr = refused(&run_with(other, &input, &data));
    assert!(
        stderr.contains(key.id()) && stderr.contains(&other_id) && stderr.contains("--data-dir"),
        "{stderr}"
    );
    assert_eq!(lake_files(&data).0, before, "a refused run wrote files");
    // So does a run that would keep raw ids, and so do `cohort serve` and `cohort pseudonym`.
    let mut keep = keyless();
    keep.env("COHORT__PRIVACY__MEMBER_IDS", "keep");
    let stderr = refused(&run_with(keep, &input, &data));
    assert!(
        stderr.contains(key.id()) && stderr.contains("keep"),
        "{stderr}"
    );
    let mut serve = cohort();
    serve
        .args([
            "serve",
            "--allow-anonymous",
            "--http",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(&data);
    let stderr = refused(&serve.output().unwrap());
    assert!(
        stderr.contains(key.id()) && stderr.contains(&other_id),
        "{stderr}"
    );
    let mut pseudonym = cohort();
    pseudonym
        .args(["pseudonym", &member, "--data-dir"])
        .arg(&data);
    refused(&pseudonym.output().unwrap());
    assert_eq!(std::fs::read(&key_file).unwrap(), first_key);
}

#[test]
fn with_member_ids_kept_the_lake_holds_raw_ids_and_no_key_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    generate(2000, 5, &input);
    let data = dir.path().join("data");
    let mut keep = keyless();
    keep.env("COHORT__PRIVACY__MEMBER_IDS", "keep")
        .env("COHORT__RECS__ENABLED", "true");
    let stderr = succeeded(&run_with(keep, &input, &data));
    assert!(!stderr.contains("no privacy key configured"), "{stderr}");
    assert!(!data.join("secrets").exists());
    assert_eq!(recorded_key_id(&data), None);
    let (ids, by_event) = raw_ids(&input);
    let events = lake_events(&data);
    assert!(events.len() > 1500);
    for e in &events {
        assert_eq!(
            Some(e.user_id.as_str()),
            by_event[&e.event_id]["user_id"].as_str()
        );
    }
    // The scans that find nothing in a pseudonymised directory find the raw ids here: in the
    // event tables' values, the serving tables, and the serving database's bytes.
    let needles = RawIds::new(&ids);
    let in_lake = ids_in_lake_values(&data, &needles);
    let events_view = data.join("lake/events_view");
    assert!(
        in_lake.keys().any(|p| p.starts_with(&events_view)),
        "{in_lake:?}"
    );
    let (in_tables, _) = ids_in_serving_values(&data, &needles);
    assert!(in_tables.contains_key("recommendations"), "{in_tables:?}");
    let in_files = ids_in_file_bytes(&data, &needles);
    let db = data.join("serving.db");
    assert!(
        in_files
            .keys()
            .any(|f| f.to_string_lossy().starts_with(&*db.to_string_lossy())),
        "{in_files:?}"
    );
    // Pseudonymising this directory later is refused rather than mixed in.
    let stderr = refused(&run_with(keyless(), &input, &data));
    assert!(stderr.contains("as they arrived"), "{stderr}");
}
