//! The PostgreSQL serving backend against a real PostgreSQL server: after every commit of a random
//! sequence (ranked lists changing, forecasts replacing their series, alerts growing and closing,
//! raw member ids recorded, members erased), PostgreSQL holds exactly what the SQLite serving tables hold; a PostgreSQL that
//! missed commits, or holds another run's rows, is brought to SQLite's state when the mirror opens.
#![allow(clippy::unwrap_used)]

#[path = "common/pg.rs"]
mod pg;

use std::collections::BTreeMap;

use cohort_pipeline::checkpoint::{Checkpoint, CommitStore, ServingUpdates};
use cohort_schemas::activity::{
    ActivityAlert, ActivityOutput, AlertStatus, ForecastIssue, ForecastPoint, SeriesId, Severity,
};
use cohort_schemas::moderation::{ModerationAlert, ModerationKind};
use cohort_schemas::serving::{ServingChange, ServingRow, consolidate};
use cohort_sinks::{PostgresMirror, SqliteStore};
use pg::{TestDatabase, assert_postgres_equals_sqlite};

const HOUR_MS: i64 = 3_600_000;
const T0: i64 = 1_793_491_200_000;

/// A small deterministic generator (xorshift), so a failing sequence replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Builds random commits, keeping the ranked lists it has written so its changes are consistent.
struct Workload {
    rng: Rng,
    lists: BTreeMap<String, Vec<ServingRow>>,
    alert_counts: BTreeMap<String, u32>,
    epoch: u64,
}

impl Workload {
    fn new(seed: u64) -> Workload {
        Workload {
            rng: Rng(seed | 1),
            lists: BTreeMap::new(),
            alert_counts: BTreeMap::new(),
            epoch: 0,
        }
    }

    fn member(&mut self) -> String {
        format!("pm_{}", self.rng.below(6))
    }

    fn next(&mut self) -> (Checkpoint, ServingUpdates) {
        self.epoch += 1;
        let mut updates = ServingUpdates::default();
        let mut changes = Vec::new();
        for _ in 0..self.rng.below(4) {
            let member = self.member();
            let len = self.rng.below(4) as u32;
            let new: Vec<ServingRow> = (1..=len)
                .map(|rank| ServingRow::Recommendation {
                    community_id: "c1".into(),
                    user_id: member.clone(),
                    rank,
                    item_id: format!("i{}", self.rng.below(9)),
                    score_micros: self.rng.below(5_000_000) as i64,
                    reason: format!("i{}", self.rng.below(9)),
                })
                .collect();
            let old = self.lists.insert(member, new.clone()).unwrap_or_default();
            changes.extend(old.into_iter().map(|row| ServingChange { row, diff: -1 }));
            changes.extend(new.into_iter().map(|row| ServingChange { row, diff: 1 }));
        }
        updates.changes = consolidate(changes);
        if self.rng.below(2) == 0 {
            updates.activity.push(self.forecast());
        }
        if self.rng.below(3) == 0 {
            updates
                .activity
                .push(ActivityOutput::Alert(self.activity_alert()));
        }
        for _ in 0..self.rng.below(3) {
            let member = self.member();
            updates
                .member_ids
                .push((member.clone(), format!("raw-{member}")));
            updates.moderation.push(self.moderation_alert(member));
        }
        if self.rng.below(8) == 0 {
            let member = self.member();
            // The recommendation job retracts an erased member's lists itself.
            if let Some(rows) = self.lists.remove(&member) {
                updates
                    .changes
                    .extend(rows.into_iter().map(|row| ServingChange { row, diff: -1 }));
                updates.changes = consolidate(std::mem::take(&mut updates.changes));
            }
            updates.erased.push(member);
        }
        let mut checkpoint = Checkpoint::empty(1, "test".into());
        checkpoint.epoch = self.epoch;
        (checkpoint, updates)
    }

    fn forecast(&mut self) -> ActivityOutput {
        let yhat = self.rng.below(100) as f64 / 7.0;
        let point = ForecastPoint {
            yhat,
            lo80: yhat - 1.5,
            hi80: yhat + 1.5,
            lo95: yhat - 3.25,
            hi95: yhat + 3.25,
        };
        let first_hour_ms = T0 + self.epoch as i64 * HOUR_MS;
        ActivityOutput::Forecast(ForecastIssue {
            series: SeriesId {
                community_id: "c1".into(),
                channel_id: format!("ch{}", self.rng.below(2)),
                metric: "messages".into(),
            },
            first_hour_ms,
            model: "seasonal_mean".into(),
            fitted_at_ms: first_hour_ms - HOUR_MS,
            points: vec![point; 1 + self.rng.below(4) as usize],
        })
    }

    fn activity_alert(&mut self) -> ActivityAlert {
        let hours = 1 + self.rng.below(3) as u32;
        let status = if self.rng.below(2) == 0 {
            AlertStatus::Open
        } else {
            AlertStatus::Closed
        };
        ActivityAlert {
            series: SeriesId {
                community_id: "c1".into(),
                channel_id: String::new(),
                metric: "views".into(),
            },
            first_hour_ms: T0,
            last_hour_ms: T0 + i64::from(hours - 1) * HOUR_MS,
            hours,
            observed: 80.0,
            expected: 10.0,
            lo95: 5.0,
            hi95: 16.0,
            score: 11.7,
            severity: Severity::Critical,
            status,
            closed_hour_ms: (status == AlertStatus::Closed)
                .then_some(T0 + i64::from(hours) * HOUR_MS),
        }
    }

    fn moderation_alert(&mut self, member: String) -> ModerationAlert {
        let count = self.alert_counts.entry(member.clone()).or_insert(0);
        *count += 1;
        let count = *count;
        ModerationAlert {
            community_id: "c1".into(),
            channel_id: "general".into(),
            member_id: member,
            kind: ModerationKind::Pii,
            rule: "pii.mobile".into(),
            severity: Severity::Major,
            score: 1.0,
            evidence: "call me\tat [mobile]\n\\ now".into(),
            first_seen_ms: T0,
            last_seen_ms: T0 + i64::from(count) * 1000,
            count,
            status: AlertStatus::Open,
            closed_ms: None,
            verdict: None,
        }
    }
}

#[test]
fn postgres_holds_what_sqlite_holds_after_every_commit() {
    for seed in [7u64, 1234, 99_991] {
        let db = TestDatabase::create("mirror");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("serving.db");
        let mut store = SqliteStore::open(&path, "ingest")
            .unwrap()
            .with_mirror(PostgresMirror::new(&db.url, "ingest").unwrap())
            .unwrap();
        let mut workload = Workload::new(seed);
        let mut client = db.client();
        let mut compared = 0;
        for _ in 0..40 {
            let (checkpoint, updates) = workload.next();
            store.commit(&checkpoint, &[], &updates).unwrap();
            compared += assert_postgres_equals_sqlite(&mut client, &path);
        }
        assert!(compared > 500, "seed {seed}: only {compared} rows compared");
    }
}

#[test]
fn opening_the_mirror_copies_what_postgres_missed_and_drops_what_sqlite_does_not_hold() {
    let db = TestDatabase::create("catchup");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("serving.db");
    let mut workload = Workload::new(42);
    {
        // Commits PostgreSQL never sees (a crash between the two commits, or a new database).
        let mut store = SqliteStore::open(&path, "ingest").unwrap();
        for _ in 0..10 {
            let (checkpoint, updates) = workload.next();
            store.commit(&checkpoint, &[], &updates).unwrap();
        }
    }
    let mut client = db.client();
    {
        let mut store = SqliteStore::open(&path, "ingest")
            .unwrap()
            .with_mirror(PostgresMirror::new(&db.url, "ingest").unwrap())
            .unwrap();
        assert!(assert_postgres_equals_sqlite(&mut client, &path) > 20);
        // Rows of some other run, and a checkpoint that is not SQLite's.
        client
            .batch_execute(
                "INSERT INTO recommendations VALUES ('c9', 'pm_x', 1, 'i1', 0.5, 'i2', 3, 't');
                 INSERT INTO checkpoints VALUES (100000, 'ingest', 1, '{}', 't');",
            )
            .unwrap();
        let (checkpoint, updates) = workload.next();
        // PostgreSQL claims a later checkpoint, so this commit is taken as copied already.
        store.commit(&checkpoint, &[], &updates).unwrap();
    }
    let _store = SqliteStore::open(&path, "ingest")
        .unwrap()
        .with_mirror(PostgresMirror::new(&db.url, "ingest").unwrap())
        .unwrap();
    assert_postgres_equals_sqlite(&mut client, &path);
}

#[test]
fn a_url_that_does_not_parse_is_refused_with_the_key() {
    let error = PostgresMirror::new("postgresql://[::1", "ingest").unwrap_err();
    assert!(
        error.to_string().contains("serving.postgres_url"),
        "{error}"
    );
}
