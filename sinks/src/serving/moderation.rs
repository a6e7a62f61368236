//! The moderation job's rows of `alerts`: one per alert (kind `pii`, `abuse`, `spam` or `fraud`),
//! upserted by id as it opens, grows, closes and gets a moderator's verdict. The table is shared
//! with the forecast job's activity alerts (kind `activity`), so a moderator's screen reads one
//! table.

use std::collections::BTreeMap;

use cohort_schemas::activity::{AlertStatus, Severity};
use cohort_schemas::moderation::{ModerationAlert, ModerationKind, VerdictOutcome};
use cohort_schemas::time::format_rfc3339_ms;
use rusqlite::{Connection, params};

use super::activity::{NOW, time_column};
use super::{SqliteStore, StoreError};

/// The version of a state: a later one has more findings, or as many and is closed, or as many,
/// closed and judged. An older state never replaces a newer one, whatever order they arrive in.
fn version(a: &ModerationAlert) -> (u32, bool, bool) {
    (
        a.count,
        a.status == AlertStatus::Closed,
        a.verdict.is_some(),
    )
}

/// Applies one commit's alert states: the newest of each alert, and only if newer than the row.
pub(super) fn apply(
    conn: &Connection,
    epoch: i64,
    alerts: &[ModerationAlert],
) -> rusqlite::Result<()> {
    let mut newest: BTreeMap<String, &ModerationAlert> = BTreeMap::new();
    for a in alerts {
        let slot = newest.entry(a.alert_id()).or_insert(a);
        if version(a) > version(slot) {
            *slot = a;
        }
    }
    let mut upsert = conn.prepare_cached(&format!(
        "INSERT INTO alerts (alert_id, kind, rule, community_id, channel_id, member_id,
             metric, severity, score, status, first_seen, last_seen, count, evidence, closed_at,
             verdict, epoch, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, {NOW})
         ON CONFLICT (alert_id) DO UPDATE SET severity = excluded.severity,
             score = excluded.score, status = excluded.status, last_seen = excluded.last_seen,
             count = excluded.count, evidence = excluded.evidence,
             closed_at = excluded.closed_at, verdict = excluded.verdict,
             epoch = excluded.epoch, updated_at = excluded.updated_at
         WHERE excluded.count > alerts.count
            OR (excluded.count = alerts.count AND excluded.status = 'closed'
                AND (alerts.status = 'open'
                     OR (excluded.verdict IS NOT NULL AND alerts.verdict IS NULL)))"
    ))?;
    for (id, a) in newest {
        upsert.execute(params![
            id,
            a.kind.name(),
            a.rule,
            a.community_id,
            a.channel_id,
            a.member_id,
            a.severity.name(),
            a.score,
            a.status.name(),
            format_rfc3339_ms(a.first_seen_ms),
            format_rfc3339_ms(a.last_seen_ms),
            a.count,
            a.evidence,
            a.closed_ms.map(format_rfc3339_ms),
            a.verdict.map(VerdictOutcome::name),
            epoch,
        ])?;
    }
    Ok(())
}

/// The columns [`read`] reads, in order.
const COLUMNS: &str = "community_id, channel_id, member_id, kind, rule, severity, score, evidence,
    first_seen, last_seen, count, status, closed_at, verdict";

/// A moderation row of `alerts` selected with [`COLUMNS`].
fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<ModerationAlert> {
    let bad = |i: usize, what: &str, value: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown {what} {value:?}").into(),
        )
    };
    let kind: String = r.get(3)?;
    let severity: String = r.get(5)?;
    let status: String = r.get(11)?;
    let closed: Option<i64> = match r.get::<_, Option<String>>(12)? {
        Some(_) => Some(time_column(r, 12)?),
        None => None,
    };
    let verdict: Option<String> = r.get(13)?;
    Ok(ModerationAlert {
        community_id: r.get(0)?,
        channel_id: r.get(1)?,
        member_id: r.get(2)?,
        kind: ModerationKind::from_name(&kind).ok_or_else(|| bad(3, "kind", &kind))?,
        rule: r.get(4)?,
        severity: Severity::from_name(&severity).ok_or_else(|| bad(5, "severity", &severity))?,
        score: r.get(6)?,
        evidence: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
        first_seen_ms: time_column(r, 8)?,
        last_seen_ms: time_column(r, 9)?,
        count: r.get(10)?,
        status: match status.as_str() {
            "open" => AlertStatus::Open,
            "closed" => AlertStatus::Closed,
            other => return Err(bad(11, "status", other)),
        },
        closed_ms: closed,
        verdict: match verdict {
            Some(v) => Some(VerdictOutcome::from_name(&v).ok_or_else(|| bad(13, "verdict", &v))?),
            None => None,
        },
    })
}

impl SqliteStore {
    /// Every moderation alert, open or closed, by id.
    pub fn moderation_alerts(&self) -> Result<Vec<ModerationAlert>, StoreError> {
        self.select_moderation("")
    }

    /// The moderation alerts still open, by id (a restart replays the lake from the oldest one's
    /// first sighting).
    pub fn open_moderation_alerts(&self) -> Result<Vec<ModerationAlert>, StoreError> {
        self.select_moderation("AND status = 'open'")
    }

    fn select_moderation(&self, condition: &str) -> Result<Vec<ModerationAlert>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM alerts WHERE kind <> 'activity' {condition} ORDER BY alert_id"
            ))
            .map_err(|e| self.sql(e))?;
        let rows = stmt.query_map([], read).map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }
}

#[cfg(test)]
mod tests {
    use cohort_pipeline::checkpoint::{Checkpoint, CommitStore, ServingUpdates};

    use super::*;

    fn alert(count: u32, status: AlertStatus, verdict: Option<VerdictOutcome>) -> ModerationAlert {
        ModerationAlert {
            community_id: "c1".into(),
            channel_id: "general".into(),
            member_id: "u7".into(),
            kind: ModerationKind::Pii,
            rule: "pii.mobile".into(),
            severity: Severity::Major,
            score: f64::from(count),
            evidence: format!("{count} mobiles in: call [mobile]"),
            first_seen_ms: 1_793_491_200_000,
            last_seen_ms: 1_793_491_200_000 + i64::from(count) * 1000,
            count,
            status,
            closed_ms: (status == AlertStatus::Closed).then_some(1_793_494_800_000),
            verdict,
        }
    }

    fn commit(store: &mut SqliteStore, epoch: u64, alerts: Vec<ModerationAlert>) {
        let mut checkpoint = Checkpoint::empty(1, "test".into());
        checkpoint.epoch = epoch;
        let updates = ServingUpdates {
            moderation: alerts,
            ..ServingUpdates::default()
        };
        store.commit(&checkpoint, &[], &updates).unwrap();
    }

    #[test]
    fn the_newest_state_wins_in_either_order() {
        let states = [
            alert(1, AlertStatus::Open, None),
            alert(3, AlertStatus::Open, None),
            alert(3, AlertStatus::Closed, None),
            alert(3, AlertStatus::Closed, Some(VerdictOutcome::Dismissed)),
        ];
        let dir = tempfile::tempdir().unwrap();
        for (name, order) in [("forward", [0, 1, 2, 3]), ("backward", [3, 2, 1, 0])] {
            let mut store = SqliteStore::open(&dir.path().join(name), "ingest").unwrap();
            // one commit at a time, and all in one commit
            for (epoch, i) in (1..).zip(order) {
                commit(&mut store, epoch, vec![states[i].clone()]);
            }
            assert_eq!(
                store.moderation_alerts().unwrap(),
                vec![states[3].clone()],
                "{name}"
            );
            let mut together =
                SqliteStore::open(&dir.path().join(format!("{name}-1")), "ingest").unwrap();
            commit(
                &mut together,
                1,
                order.iter().map(|&i| states[i].clone()).collect(),
            );
            assert_eq!(
                together.moderation_alerts().unwrap(),
                vec![states[3].clone()]
            );
            assert!(store.open_moderation_alerts().unwrap().is_empty());
        }
    }

    #[test]
    fn a_verdict_closes_the_alert_or_is_recorded_on_a_closed_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("db"), "ingest").unwrap();
        let row = |store: &SqliteStore| {
            store
                .conn
                .query_row(
                    "SELECT kind, metric, observed, expected, lo95, hi95, severity, status,
                            first_seen, last_seen, closed_at, verdict, epoch
                     FROM alerts",
                    [],
                    |r| {
                        let nulls: [Option<f64>; 4] = [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?];
                        let text: [Option<String>; 7] = [
                            r.get(0)?,
                            r.get(6)?,
                            r.get(7)?,
                            r.get(8)?,
                            r.get(9)?,
                            r.get(10)?,
                            r.get(11)?,
                        ];
                        Ok((r.get::<_, Option<String>>(1)?, nulls, text, r.get(12)?))
                    },
                )
                .unwrap()
        };
        // Open, then closed by a moderator's verdict at the same count.
        commit(&mut store, 1, vec![alert(2, AlertStatus::Open, None)]);
        let judged = alert(2, AlertStatus::Closed, Some(VerdictOutcome::Confirmed));
        commit(&mut store, 2, vec![judged.clone()]);
        let (metric, nulls, text, epoch): (_, _, _, i64) = row(&store);
        assert_eq!((metric, nulls, epoch), (None, [None; 4], 2));
        assert_eq!(
            text.map(Option::unwrap_or_default),
            [
                "pii",
                "major",
                "closed",
                "2026-11-01T00:00:00.000Z",
                "2026-11-01T00:00:02.000Z",
                "2026-11-01T01:00:00.000Z",
                "confirmed",
            ]
            .map(String::from)
        );
        assert_eq!(store.moderation_alerts().unwrap(), vec![judged.clone()]);
        // The closing without a verdict, arriving late, does not erase it.
        commit(&mut store, 3, vec![alert(2, AlertStatus::Closed, None)]);
        assert_eq!(store.moderation_alerts().unwrap(), vec![judged]);

        // An alert that closed on its own gets the verdict recorded on it.
        let mut other = alert(1, AlertStatus::Closed, None);
        other.member_id = "u9".into();
        commit(&mut store, 4, vec![other.clone()]);
        other.verdict = Some(VerdictOutcome::Dismissed);
        commit(&mut store, 5, vec![other.clone()]);
        let alerts = store.moderation_alerts().unwrap();
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[1], other);
    }

    #[test]
    fn open_alerts_read_back_exactly_and_activity_alerts_are_not_theirs() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("db"), "ingest").unwrap();
        let mut other = alert(2, AlertStatus::Open, None);
        other.member_id = "u8".into();
        other.kind = ModerationKind::Spam;
        other.rule = "flood.rate".into();
        other.channel_id = String::new();
        commit(
            &mut store,
            1,
            vec![
                alert(1, AlertStatus::Closed, Some(VerdictOutcome::Confirmed)),
                other.clone(),
            ],
        );
        assert_eq!(store.open_moderation_alerts().unwrap(), vec![other]);
        assert_eq!(store.moderation_alerts().unwrap().len(), 2);
        assert!(store.activity_alerts().unwrap().is_empty());
    }
}
