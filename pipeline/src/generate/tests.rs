//! Whole-stream tests of the generator: determinism, block independence, the wire format of every line,
//! and the shape of the traffic (mix of kinds, malformed and late shares, seasonality).

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::{Generator, GeneratorConfig};

/// A small stream with visible rates of malformed and late lines.
fn config(events: u64) -> GeneratorConfig {
    GeneratorConfig {
        events,
        invalid_rate: 0.01,
        late_rate: 0.01,
        ..GeneratorConfig::default()
    }
}

fn all(config: GeneratorConfig) -> Vec<u8> {
    let mut out = Vec::new();
    Generator::new(config)
        .write_all(&mut out)
        .expect("writing to a Vec cannot fail");
    out
}

/// Checks `line` against docs/events.md; returns the event (kind, ts in ms) or why it is invalid.
fn validate(line: &[u8]) -> Result<(String, i64), String> {
    let v: Value = serde_json::from_slice(line).map_err(|e| format!("json: {e}"))?;
    let o = v.as_object().ok_or("not an object")?;
    if o.get("v").is_some_and(|v| v.as_i64() != Some(1)) {
        return Err("version".into());
    }
    let id = |k: &str| match o.get(k).and_then(Value::as_str) {
        Some(s) if !s.is_empty() && s.len() <= 128 => Ok(s.to_owned()),
        _ => Err(format!("bad {k}")),
    };
    let int = |k: &str| o.get(k).and_then(Value::as_i64).ok_or(format!("bad {k}"));
    let kind = id("kind")?;
    id("event_id")?;
    id("community_id")?;
    id("user_id")?;
    let ts = match o.get("ts") {
        Some(Value::Number(n)) => n.as_i64().ok_or("ts")?,
        Some(Value::String(s)) => parse_ts(s).ok_or(format!("ts {s}"))?,
        _ => return Err("ts".into()),
    };
    if !(1_262_304_000_000..4_102_444_800_000).contains(&ts) {
        return Err("ts range".into());
    }
    let opt_ok = |k: &str, f: fn(&Value) -> bool| o.get(k).is_none_or(f);
    let ok = match kind.as_str() {
        "view" => {
            id("item_id")?;
            opt_ok("dwell_ms", |v| v.as_i64().is_some_and(|d| d >= 0))
                && opt_ok("surface", Value::is_string)
        }
        "like" => id("item_id").is_ok() && opt_ok("undo", Value::is_boolean),
        "payment" => {
            let currency = id("currency")?;
            (id("item_id").is_ok() || id("plan_id").is_ok())
                && int("amount_minor")? >= 0
                && currency.len() == 3
                && currency.bytes().all(|b| b.is_ascii_uppercase())
                && ["purchase", "subscription", "renewal", "refund"]
                    .contains(&id("payment_kind")?.as_str())
        }
        "chat" => {
            id("channel_id")?;
            id("message_id")?;
            let strings = |v: &Value| v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
            o.get("text")
                .and_then(Value::as_str)
                .is_some_and(|t| t.len() <= 16 * 1024)
                && opt_ok("reply_to", Value::is_string)
                && opt_ok("mentions", strings)
                && opt_ok("item_mentions", strings)
        }
        "item" => {
            id("item_id")?;
            id("title")?;
            ["post", "course", "lesson", "live", "event"].contains(&id("item_kind")?.as_str())
                && opt_ok("price_minor", |v| v.as_i64().is_some_and(|p| p >= 0))
                && opt_ok("deleted", Value::is_boolean)
                && opt_ok("tags", Value::is_array)
        }
        "member" => ["join", "leave", "role"].contains(&id("action")?.as_str()),
        "checkin" => id("event_id_offline").is_ok(),
        "erasure" => true,
        _ => return Err(format!("kind {kind}")),
    };
    if ok {
        Ok((kind, ts))
    } else {
        Err(format!("fields of {kind}"))
    }
}

/// Parses the two RFC 3339 shapes the generator writes (`…Z` and `…+08:00`, with milliseconds).
fn parse_ts(s: &str) -> Option<i64> {
    let (civil, offset_ms) = if let Some(c) = s.strip_suffix('Z') {
        (c, 0)
    } else {
        (s.strip_suffix("+08:00")?, 8 * 3_600_000)
    };
    let n = |r: std::ops::Range<usize>| civil.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, sec, ms) = (n(11..13)?, n(14..16)?, n(17..19)?, n(20..23)?);
    if civil.len() != 23
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || h > 23
        || mi > 59
        || sec > 59
    {
        return None;
    }
    // Days from civil (Howard Hinnant).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(days * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms - offset_ms)
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = all(config(20_000));
    assert_eq!(a, all(config(20_000)));
    assert_ne!(
        a,
        all(GeneratorConfig {
            seed: 7,
            ..config(20_000)
        })
    );
}

#[test]
fn blocks_in_any_order_give_the_same_bytes() {
    let g = Generator::new(config(3 * Generator::BLOCK + 123));
    assert_eq!(g.block_count(), 4);
    let mut blocks: Vec<Vec<u8>> = vec![Vec::new(); 4];
    for b in [3, 1, 0, 2, 1] {
        blocks[b as usize].clear();
        g.write_block(b, &mut blocks[b as usize]);
    }
    assert_eq!(blocks.concat(), all(config(3 * Generator::BLOCK + 123)));
    let lines = |b: &Vec<u8>| b.iter().filter(|&&c| c == b'\n').count() as u64;
    assert_eq!(lines(&blocks[0]), Generator::BLOCK);
    assert_eq!(lines(&blocks[3]), 123);
    let mut appended = b"x\n".to_vec();
    g.write_block(0, &mut appended);
    assert_eq!(&appended[2..], &blocks[0][..]);
    let mut past = Vec::new();
    g.write_block(4, &mut past);
    assert!(past.is_empty());
    assert!(all(config(0)).is_empty());
    assert_eq!(all(config(1)).iter().filter(|&&c| c == b'\n').count(), 1);
}

#[test]
fn every_line_is_valid_when_no_errors_are_asked_for() {
    let cfg = GeneratorConfig {
        events: 60_000,
        invalid_rate: 0.0,
        late_rate: 0.0,
        ..GeneratorConfig::default()
    };
    let (start, end) = (
        cfg.start_ms,
        cfg.start_ms + i64::from(cfg.days) * 86_400_000,
    );
    let out = all(cfg);
    let mut ids = HashSet::new();
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let (_, ts) =
            validate(line).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(line)));
        assert!((start..end).contains(&ts));
        let v: Value = serde_json::from_slice(line).expect("valid");
        assert!(
            ids.insert(v["event_id"].as_str().expect("id").to_owned()),
            "duplicate id"
        );
    }
    assert_eq!(ids.len(), 60_000);
}

#[test]
fn the_mix_the_errors_and_the_seasons_look_right() {
    let cfg = config(400_000);
    let start = cfg.start_ms;
    let out = all(cfg);
    let lines: Vec<&[u8]> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let (mut invalid, mut late) = (0, 0);
    let mut hours = [0usize; 24];
    let mut window: Vec<i64> = Vec::new();
    for line in &lines {
        match validate(line) {
            Err(_) => invalid += 1,
            Ok((kind, ts)) => {
                *kinds.entry(kind).or_default() += 1;
                // Late: well behind the running maximum of recent events.
                let recent = window.iter().rev().take(50).copied().max().unwrap_or(ts);
                if ts < recent - 3_600_000 {
                    late += 1;
                } else {
                    assert!(ts >= start);
                    hours[((ts + 8 * 3_600_000).rem_euclid(86_400_000) / 3_600_000) as usize] += 1;
                }
                window.push(ts);
            }
        }
    }
    let n = lines.len() as f64;
    let share = |k: &str| kinds.get(k).copied().unwrap_or(0) as f64 / n;
    let near =
        |x: f64, want: f64, tol: f64| assert!((x - want).abs() <= tol, "{x} vs {want}: {kinds:?}");
    near(invalid as f64 / n, 0.01, 0.002);
    near(late as f64 / n, 0.01, 0.002);
    near(share("view"), 0.59, 0.03);
    near(share("like"), 0.14, 0.015);
    near(share("payment"), 0.03, 0.008);
    near(share("chat"), 0.18, 0.02);
    near(share("item"), 0.011, 0.004);
    near(share("member"), 0.025, 0.01);
    near(share("checkin"), 0.01, 0.005);
    assert!(
        hours[20] > 4 * hours[4] && hours[21] > 4 * hours[4],
        "{hours:?}"
    );
}
