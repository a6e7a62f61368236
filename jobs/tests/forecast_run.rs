//! The forecast job inside `cohort run`: the lake's closed hours equal the series computed from the
//! committed events at once, the serving `forecasts` and `alerts` tables equal what the series'
//! monitors issue when fed those hours, and alerts fire on an injected spike and outage in generated
//! traffic but (almost) never on the normal traffic around them.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::str::FromStr;

use cohort_jobs::forecast::job::series_id;
use cohort_jobs::forecast::monitor::{MonitorConfig, SeriesMonitor};
use cohort_jobs::forecast::series::{HOUR_MS, Metric, SeriesKey, batch};
use cohort_jobs::lake_replay::{read_batches, table_files};
use cohort_schemas::Kind;
use cohort_schemas::activity::{ActivityAlert, ActivityOutput, AlertStatus, ForecastIssue};
use cohort_schemas::lake::{activity_hours_from_batch, events_from_batch};
use cohort_schemas::time::{format_rfc3339_ms, parse_rfc3339_ms};
use cohort_sinks::SqliteStore;
use common::*;

/// The default allowed lateness of `cohort run`.
const LATENESS_MS: i64 = 300_000;

/// The lake's closed hours per series, in hour order; fails on an hour written twice.
fn lake_hours(data: &Path) -> BTreeMap<SeriesKey, Vec<(i64, i64)>> {
    let mut hours: BTreeMap<SeriesKey, Vec<(i64, i64)>> = BTreeMap::new();
    for path in table_files(&data.join("lake"), "activity_hourly", None).unwrap() {
        read_batches(&path, |batch| {
            for h in activity_hours_from_batch(batch).unwrap() {
                let metric = Metric::from_str(&h.series.metric).unwrap();
                let key = SeriesKey::new(&h.series.community_id, &h.series.channel_id, metric);
                hours.entry(key).or_default().push((h.hour_ms, h.value));
            }
            Ok(())
        })
        .unwrap();
    }
    for (key, series) in &mut hours {
        series.sort_unstable();
        let n = series.len();
        series.dedup_by_key(|(h, _)| *h);
        assert_eq!(series.len(), n, "{key:?} has an hour written twice");
    }
    hours
}

/// The series computed at once from every event committed to the lake, closed up to the last
/// event's watermark.
fn batch_hours(data: &Path) -> BTreeMap<SeriesKey, Vec<(i64, i64)>> {
    let mut events = Vec::new();
    for kind in Kind::ALL {
        for path in table_files(&data.join("lake"), kind.table(), None).unwrap() {
            read_batches(&path, |b| {
                events.extend(events_from_batch(kind, b).unwrap());
                Ok(())
            })
            .unwrap();
        }
    }
    let mut hours: BTreeMap<SeriesKey, Vec<(i64, i64)>> = BTreeMap::new();
    for closed in batch(&events, LATENESS_MS, false) {
        hours
            .entry(closed.key)
            .or_default()
            .push((closed.hour_ms, closed.value));
    }
    hours
}

/// What the job's monitors output when fed `hours`, one series after another.
fn replay(hours: &BTreeMap<SeriesKey, Vec<(i64, i64)>>) -> Vec<ActivityOutput> {
    let config = MonitorConfig::default();
    let mut out = Vec::new();
    for (key, series) in hours {
        let mut monitor = SeriesMonitor::new(series_id(key));
        for &(hour, value) in series {
            out.extend(monitor.close(hour, value, &config));
        }
    }
    out
}

/// The last forecast and the final state of every alert among `outputs`.
fn final_state(outputs: &[ActivityOutput]) -> (Vec<ForecastIssue>, Vec<ActivityAlert>) {
    let mut forecasts = BTreeMap::new();
    let mut alerts = BTreeMap::new();
    for o in outputs {
        match o {
            ActivityOutput::Forecast(f) => {
                forecasts.insert(f.series.clone(), f.clone());
            }
            ActivityOutput::Alert(a) => {
                alerts.insert((a.series.clone(), a.first_hour_ms), a.clone());
            }
            ActivityOutput::Hour(_) => {}
        }
    }
    (
        forecasts.into_values().collect(),
        alerts.into_values().collect(),
    )
}

fn store(data: &Path) -> SqliteStore {
    SqliteStore::open(&data.join("serving.db"), "ingest").unwrap()
}

#[test]
fn hours_forecasts_and_alerts_equal_the_series_computed_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    let mut cmd = cohort();
    cmd.args([
        "generate", "--events", "30000", "--days", "6", "--seed", "3", "--out",
    ])
    .arg(&input);
    ok(cmd);
    let data = dir.path().join("data");
    let summary = run_file(&input, &data, &["--workers", "2"]);
    assert!(summary.contains("cohort run finished"), "{summary}");

    let hours = lake_hours(&data);
    let expected = batch_hours(&data);
    assert!(expected.len() > 20, "{} series", expected.len());
    assert_eq!(
        hours.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (key, series) in &expected {
        assert_eq!(&hours[key], series, "closed hours of {key:?}");
    }

    let (forecasts, alerts) = final_state(&replay(&expected));
    let rows = store(&data).forecasts().unwrap();
    assert_eq!(rows.len(), forecasts.len() * 48);
    for (issue, rows) in forecasts.iter().zip(rows.chunks(48)) {
        assert_eq!(rows[0].series, issue.series);
        assert_eq!(rows[0].hour, format_rfc3339_ms(issue.first_hour_ms));
        assert_eq!(rows[0].model, issue.model);
        for (row, p) in rows.iter().zip(&issue.points) {
            assert_eq!(
                (row.yhat, row.lo80, row.hi80, row.lo95, row.hi95),
                (p.yhat, p.lo80, p.hi80, p.lo95, p.hi95)
            );
        }
    }
    assert_eq!(store(&data).activity_alerts().unwrap(), alerts);

    // Every closed hour issued one forecast of 48 hours, all in the lake.
    let closed: usize = hours.values().map(Vec::len).sum();
    assert_eq!(
        query_u64(&data, "SELECT count(*) FROM activity_hourly"),
        closed as u64
    );
    assert_eq!(
        query_u64(&data, "SELECT count(*) FROM forecasts"),
        closed as u64 * 48
    );
}

/// Generated traffic as JSON values, one per line.
fn read_events(path: &Path) -> Vec<serde_json::Value> {
    std::io::BufReader::new(std::fs::File::open(path).unwrap())
        .lines()
        .filter_map(|l| serde_json::from_str(&l.unwrap()).ok())
        .collect()
}

/// An event's time: RFC 3339 text, or epoch milliseconds (the generator writes payments so).
fn ts_of(event: &serde_json::Value) -> Option<i64> {
    match &event["ts"] {
        serde_json::Value::Number(n) => n.as_i64(),
        ts => ts.as_str().and_then(parse_rfc3339_ms),
    }
}

/// An abnormal hour the generator makes on its own: a flood (one member repeating one text in a
/// channel) or a payment burst (card testing: one member's run of purchases; or many refunds of one
/// item). The series it moves may alert there, rightly: those alerts are not false.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GeneratedAnomaly {
    community: String,
    /// The flooded channel; empty for payment bursts (payments have no channel).
    channel: String,
    hour_ms: i64,
    /// Floods move messages; bursts move purchases and revenue.
    flood: bool,
}

impl GeneratedAnomaly {
    /// Whether `alert` is on a series this anomaly moves, in its hour.
    fn explains(&self, alert: &ActivityAlert) -> bool {
        let s = &alert.series;
        let metric_moved = if self.flood {
            s.metric == "messages" && (s.channel_id.is_empty() || s.channel_id == self.channel)
        } else {
            s.channel_id.is_empty() && (s.metric == "purchases" || s.metric.starts_with("revenue:"))
        };
        let moved = metric_moved || (s.metric == "active_members" && s.channel_id.is_empty());
        s.community_id == self.community
            && moved
            && alert.first_hour_ms <= self.hour_ms
            && alert.last_hour_ms >= self.hour_ms
    }
}

/// The generator's floods and payment bursts in `events`, per hour: at least five identical
/// messages of one member in one channel, five payments of one member, or four refunds of one item.
fn generated_anomalies(events: &[serde_json::Value]) -> Vec<GeneratedAnomaly> {
    let text = |e: &serde_json::Value, key: &str| e[key].as_str().unwrap_or_default().to_string();
    let mut counts: BTreeMap<(GeneratedAnomaly, String), usize> = BTreeMap::new();
    for e in events {
        let Some(ts) = ts_of(e) else { continue };
        let hour_ms = ts - ts.rem_euclid(HOUR_MS);
        let community = text(e, "community_id");
        let key = match (e["kind"].as_str(), e["payment_kind"].as_str()) {
            (Some("chat"), _) => (
                GeneratedAnomaly {
                    community,
                    channel: text(e, "channel_id"),
                    hour_ms,
                    flood: true,
                },
                format!("{}\u{0}{}", text(e, "user_id"), text(e, "text")),
            ),
            (Some("payment"), Some("refund")) => (
                GeneratedAnomaly {
                    community,
                    channel: String::new(),
                    hour_ms,
                    flood: false,
                },
                format!("refund\u{0}{}", text(e, "item_id")),
            ),
            (Some("payment"), _) => (
                GeneratedAnomaly {
                    community,
                    channel: String::new(),
                    hour_ms,
                    flood: false,
                },
                format!("payer\u{0}{}", text(e, "user_id")),
            ),
            _ => continue,
        };
        *counts.entry(key).or_default() += 1;
    }
    let mut anomalies: Vec<GeneratedAnomaly> = counts
        .into_iter()
        .filter(|((a, what), n)| {
            *n >= if !a.flood && what.starts_with("refund") {
                4
            } else {
                5
            }
        })
        .map(|((a, _), _)| a)
        .collect();
    anomalies.dedup();
    anomalies
}

#[test]
fn alerts_fire_on_an_injected_spike_and_outage_and_not_on_normal_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("generated.jsonl");
    let mut cmd = cohort();
    // Seed 8 unless `COHORT_ALERT_TEST_SEED` says otherwise (docs/forecast.md reports seeds 8 to 11).
    let seed = std::env::var("COHORT_ALERT_TEST_SEED").unwrap_or_else(|_| "8".into());
    cmd.args(["generate", "--events", "120000", "--days", "21", "--seed"])
        .arg(&seed)
        .arg("--out")
        .arg(&input);
    ok(cmd);
    let events = read_events(&input);
    // The generator's invalid records (times in seconds, say) are rejected, so they do not count.
    let limits = cohort_schemas::Limits::default();
    let start = events
        .iter()
        .filter_map(ts_of)
        .filter(|ts| (limits.min_ts_ms..=limits.max_ts_ms).contains(ts))
        .min()
        .unwrap();
    let start = start - start.rem_euclid(HOUR_MS);

    // The busiest chat channel gets 300 extra messages in one afternoon hour of day 18 ...
    let mut by_channel: BTreeMap<(String, String), usize> = BTreeMap::new();
    for e in events.iter().filter(|e| e["kind"] == "chat") {
        let key = (
            e["community_id"].as_str().unwrap().to_string(),
            e["channel_id"].as_str().unwrap().to_string(),
        );
        *by_channel.entry(key).or_default() += 1;
    }
    let ((spike_community, spike_channel), _) = by_channel.iter().max_by_key(|(_, n)| **n).unwrap();
    let spike_hour = start + (17 * 24 + 15) * HOUR_MS;
    let template = events
        .iter()
        .find(|e| e["kind"] == "chat" && e["community_id"] == spike_community.as_str())
        .unwrap()
        .clone();
    // ... and the busiest community goes silent for the three busiest hours of the day on day 20.
    let mut by_community: BTreeMap<String, usize> = BTreeMap::new();
    for e in &events {
        if let Some(c) = e["community_id"].as_str() {
            *by_community.entry(c.to_string()).or_default() += 1;
        }
    }
    let (outage_community, _) = by_community.iter().max_by_key(|(_, n)| **n).unwrap();
    let mut by_hour_of_day = [0usize; 24];
    for e in events
        .iter()
        .filter(|e| e["community_id"] == outage_community.as_str())
    {
        by_hour_of_day[(ts_of(e).unwrap_or(0).rem_euclid(24 * HOUR_MS) / HOUR_MS) as usize] += 1;
    }
    let peak = (0..24)
        .max_by_key(|&h| (0..3).map(|d| by_hour_of_day[(h + d) % 24]).sum::<usize>())
        .unwrap() as i64;
    let outage_start = start + (19 * 24 + peak) * HOUR_MS;
    let outage = (outage_start, outage_start + 3 * HOUR_MS);

    let injected = dir.path().join("injected.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&injected).unwrap());
    let mut spiked = false;
    for e in &events {
        let ts = ts_of(e).unwrap_or(0);
        if e["community_id"] == outage_community.as_str() && ts >= outage.0 && ts < outage.1 {
            continue;
        }
        if !spiked && ts >= spike_hour {
            for i in 0..300 {
                let mut m = template.clone();
                m["event_id"] = format!("spike-{i}").into();
                m["message_id"] = format!("spike-m{i}").into();
                m["user_id"] = format!("spiker-{}", i % 40).into();
                m["channel_id"] = spike_channel.as_str().into();
                m["ts"] = format_rfc3339_ms(spike_hour + 1_000 + i * 10_000).into();
                writeln!(out, "{m}").unwrap();
            }
            spiked = true;
        }
        writeln!(out, "{e}").unwrap();
    }
    drop(out);

    let data = dir.path().join("data");
    run_file(&injected, &data, &["--workers", "2"]);
    let alerts = store(&data).activity_alerts().unwrap();
    let during =
        |a: &ActivityAlert, from: i64, to: i64| a.first_hour_ms < to && a.last_hour_ms >= from;
    let spike_alerts: Vec<&ActivityAlert> = alerts
        .iter()
        .filter(|a| {
            a.series.community_id == *spike_community
                && a.series.metric == "messages"
                && during(a, spike_hour, spike_hour + HOUR_MS)
        })
        .collect();
    assert!(
        spike_alerts
            .iter()
            .any(|a| a.series.channel_id == *spike_channel && a.observed > a.hi95),
        "no alert on the spike in {spike_channel}: {spike_alerts:#?}"
    );
    let outage_alerts: Vec<&ActivityAlert> = alerts
        .iter()
        .filter(|a| a.series.community_id == *outage_community && during(a, outage.0, outage.1))
        .collect();
    assert!(
        outage_alerts
            .iter()
            .any(|a| a.observed < a.lo95 && a.series.channel_id.is_empty()),
        "no alert on the outage of {outage_community}: {outage_alerts:#?}"
    );
    // Alerts that ended well before the last hour have all closed again.
    let last_hour = lake_hours(&data)
        .values()
        .filter_map(|s| s.last().map(|(h, _)| *h))
        .max()
        .unwrap();
    let stale: Vec<&ActivityAlert> = alerts
        .iter()
        .filter(|a| a.last_hour_ms < last_hour && a.status == AlertStatus::Open)
        .collect();
    assert!(stale.is_empty(), "open alerts of past hours: {stale:#?}");

    // The false-alert rate: alerts of the third week that neither touch an injected window nor sit
    // on a flood or payment burst of the generator's own, per series-hour of that week.
    let week3 = start + 14 * 24 * HOUR_MS;
    let hours = lake_hours(&data);
    let series_hours: usize = hours
        .values()
        .map(|s| s.iter().filter(|(h, _)| *h >= week3).count())
        .sum();
    let anomalies = generated_anomalies(&events);
    let week3_alerts: Vec<&ActivityAlert> = alerts
        .iter()
        .filter(|a| a.first_hour_ms >= week3)
        .filter(|a| !during(a, spike_hour, spike_hour + HOUR_MS) && !during(a, outage.0, outage.1))
        .collect();
    let (on_generated, false_alerts): (Vec<&ActivityAlert>, Vec<&ActivityAlert>) = week3_alerts
        .into_iter()
        .partition(|a| anomalies.iter().any(|g| g.explains(a)));
    let rate = false_alerts.len() as f64 / series_hours as f64;
    let mut by_metric: BTreeMap<String, usize> = BTreeMap::new();
    for a in &false_alerts {
        let family = a.series.metric.split(':').next().unwrap_or_default();
        let scope = if a.series.channel_id.is_empty() {
            "community"
        } else {
            "channel"
        };
        *by_metric
            .entry(format!("{family} per {scope}"))
            .or_default() += 1;
    }
    eprintln!(
        "seed {seed}, week 3: {} series-hours, {} generated floods and bursts in all; {} alerts on them; \
         {} false alerts ({:.4}%) by metric {by_metric:?}; {} alerts in all",
        series_hours,
        anomalies.len(),
        on_generated.len(),
        false_alerts.len(),
        rate * 100.0,
        alerts.len()
    );
    assert!(
        !on_generated.is_empty(),
        "the generator's floods and bursts raised no alert: {anomalies:#?}"
    );
    // None: judged as counts (docs/forecast.md, "False alerts"), a purchase in a quiet hour, a
    // meetup's check-ins or a thread of replies in a small channel are ordinary. (Other seeds and
    // what is left on them: the same section.)
    assert!(
        false_alerts.is_empty(),
        "false-alert rate {rate}: {false_alerts:#?}"
    );
}
