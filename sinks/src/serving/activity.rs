//! The forecast job's serving tables: `forecasts` (the current forecast of every series, 48 rows
//! each, replaced whole when one of its hours closes) and `alerts` (one row per alert, upserted by
//! id as it opens, grows and closes). Times are RFC 3339 UTC text, readable in any SQL client.

use std::collections::BTreeMap;

use cohort_schemas::activity::{
    ActivityAlert, ActivityOutput, AlertStatus, ForecastIssue, SeriesId, Severity,
};
use cohort_schemas::time::{format_rfc3339_ms, parse_rfc3339_ms};
use rusqlite::{Connection, OptionalExtension, params};

use super::{SqliteStore, StoreError};

/// Milliseconds in an hour.
const HOUR_MS: i64 = 3_600_000;

/// The `strftime` of `updated_at`, the same as `checkpoints.committed_at`.
pub(super) const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// One row of `forecasts`, as a backend reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastRow {
    /// The series.
    pub series: SeriesId,
    /// Start of the forecast hour, RFC 3339.
    pub hour: String,
    /// Hours ahead of the last closed hour, from 1.
    pub horizon: u32,
    /// Expected value.
    pub yhat: f64,
    /// 80% interval.
    pub lo80: f64,
    /// 80% interval.
    pub hi80: f64,
    /// 95% interval.
    pub lo95: f64,
    /// 95% interval.
    pub hi95: f64,
    /// The methods behind it.
    pub model: String,
    /// When the model was last fitted (start of the last closed hour then), RFC 3339.
    pub fitted_at: String,
}

/// Applies the forecast job's outputs of one commit; closed hours are only in the lake and are
/// skipped.
///
/// Outputs carry their own version, and an older one never replaces a newer one: a forecast stands
/// until one for a later first hour arrives, an alert state until one with more hours (or the
/// closing of the same hours). The order outputs reach the committer in is not theirs: timely
/// delivers messages of one timestamp in no particular order (`for_each_stamp` sorts unstably), and
/// one closing step of a worker often closes several hours at one timestamp.
pub(super) fn apply(
    conn: &Connection,
    epoch: i64,
    outputs: &[ActivityOutput],
) -> rusqlite::Result<()> {
    // A backfill commit can hold hundreds of forecasts of one series: write only the newest.
    let mut forecasts: BTreeMap<&SeriesId, &ForecastIssue> = BTreeMap::new();
    let mut alerts: BTreeMap<String, &ActivityAlert> = BTreeMap::new();
    for output in outputs {
        match output {
            ActivityOutput::Forecast(f) => {
                let slot = forecasts.entry(&f.series).or_insert(f);
                if f.first_hour_ms > slot.first_hour_ms {
                    *slot = f;
                }
            }
            ActivityOutput::Alert(a) => {
                let slot = alerts.entry(a.alert_id()).or_insert(a);
                if alert_version(a) > alert_version(slot) {
                    *slot = a;
                }
            }
            ActivityOutput::Hour(_) => {}
        }
    }
    for f in forecasts.into_values() {
        replace_forecast(conn, epoch, f)?;
    }
    for a in alerts.into_values() {
        upsert_alert(conn, epoch, a)?;
    }
    Ok(())
}

/// Which of two states of one alert is newer: more hours, or the closing of the same hours (the
/// order `upsert_alert`'s conflict clause keeps too).
fn alert_version(a: &ActivityAlert) -> (u32, bool) {
    (a.hours, a.status == AlertStatus::Closed)
}

fn replace_forecast(conn: &Connection, epoch: i64, f: &ForecastIssue) -> rusqlite::Result<()> {
    let s = &f.series;
    let first_hour = format_rfc3339_ms(f.first_hour_ms);
    // RFC 3339 times of one fixed width order as text.
    let newer: Option<String> = conn
        .prepare_cached(
            "SELECT hour FROM forecasts WHERE community_id = ?1 AND channel_id = ?2 AND metric = ?3
               AND horizon = 1 AND hour >= ?4",
        )?
        .query_row(
            params![s.community_id, s.channel_id, s.metric, first_hour],
            |r| r.get(0),
        )
        .optional()?;
    if newer.is_some() {
        return Ok(());
    }
    conn.prepare_cached(
        "DELETE FROM forecasts WHERE community_id = ?1 AND channel_id = ?2 AND metric = ?3",
    )?
    .execute(params![s.community_id, s.channel_id, s.metric])?;
    let mut insert = conn.prepare_cached(&format!(
        "INSERT INTO forecasts (community_id, channel_id, metric, hour, horizon, yhat, lo80, hi80,
             lo95, hi95, model, fitted_at, epoch, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, {NOW})"
    ))?;
    let fitted_at = format_rfc3339_ms(f.fitted_at_ms);
    for (ahead, p) in (0i64..).zip(&f.points) {
        insert.execute(params![
            s.community_id,
            s.channel_id,
            s.metric,
            format_rfc3339_ms(f.first_hour_ms + ahead * HOUR_MS),
            ahead + 1,
            p.yhat,
            p.lo80,
            p.hi80,
            p.lo95,
            p.hi95,
            f.model,
            fitted_at,
            epoch,
        ])?;
    }
    Ok(())
}

fn upsert_alert(conn: &Connection, epoch: i64, a: &ActivityAlert) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO alerts (alert_id, kind, rule, community_id, channel_id, member_id,
             metric, severity, score, status, first_seen, last_seen, count, observed, expected,
             lo95, hi95, closed_at, epoch, updated_at)
         VALUES (?1, 'activity', ?2, ?3, ?4, NULL, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
             ?15, ?16, ?17, {NOW})
         ON CONFLICT (alert_id) DO UPDATE SET severity = excluded.severity,
             score = excluded.score, status = excluded.status, last_seen = excluded.last_seen,
             count = excluded.count, observed = excluded.observed, expected = excluded.expected,
             lo95 = excluded.lo95, hi95 = excluded.hi95, closed_at = excluded.closed_at,
             epoch = excluded.epoch, updated_at = excluded.updated_at
         WHERE excluded.count > alerts.count
            OR (excluded.count = alerts.count AND excluded.status = 'closed')"
    ))?
    .execute(params![
        a.alert_id(),
        format!("outside_95:{}", a.series.metric),
        a.series.community_id,
        a.series.channel_id,
        a.series.metric,
        a.severity.name(),
        a.score,
        a.status.name(),
        format_rfc3339_ms(a.first_hour_ms),
        format_rfc3339_ms(a.last_hour_ms),
        a.hours,
        a.observed,
        a.expected,
        a.lo95,
        a.hi95,
        a.closed_hour_ms.map(format_rfc3339_ms),
        epoch,
    ])?;
    Ok(())
}

/// Column `i` of `r`, RFC 3339 text, as ms since the epoch.
pub(super) fn time_column(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<i64> {
    let text: String = r.get(i)?;
    parse_rfc3339_ms(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("not an RFC 3339 time: {text}").into(),
        )
    })
}

/// The columns [`read_alert`] reads, in order.
const ALERT_COLUMNS: &str =
    "community_id, channel_id, metric, first_seen, last_seen, count, observed,
    expected, lo95, hi95, score, severity, status, closed_at";

/// An `alerts` row of kind `activity` selected with [`ALERT_COLUMNS`].
fn read_alert(r: &rusqlite::Row<'_>) -> rusqlite::Result<ActivityAlert> {
    let time = |i: usize| time_column(r, i);
    let closed: Option<String> = r.get(13)?;
    let severity: String = r.get(11)?;
    let status: String = r.get(12)?;
    Ok(ActivityAlert {
        series: SeriesId {
            community_id: r.get(0)?,
            channel_id: r.get(1)?,
            metric: r.get(2)?,
        },
        first_hour_ms: time(3)?,
        last_hour_ms: time(4)?,
        hours: r.get(5)?,
        observed: r.get(6)?,
        expected: r.get(7)?,
        lo95: r.get(8)?,
        hi95: r.get(9)?,
        score: r.get(10)?,
        severity: Severity::from_name(&severity).unwrap_or(Severity::Minor),
        status: if status == AlertStatus::Open.name() {
            AlertStatus::Open
        } else {
            AlertStatus::Closed
        },
        closed_hour_ms: closed.as_deref().and_then(parse_rfc3339_ms),
    })
}

impl SqliteStore {
    /// The current forecast rows of every series, by series and horizon.
    pub fn forecasts(&self) -> Result<Vec<ForecastRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT community_id, channel_id, metric, hour, horizon, yhat, lo80, hi80, lo95,
                        hi95, model, fitted_at
                 FROM forecasts ORDER BY community_id, channel_id, metric, horizon",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ForecastRow {
                    series: SeriesId {
                        community_id: r.get(0)?,
                        channel_id: r.get(1)?,
                        metric: r.get(2)?,
                    },
                    hour: r.get(3)?,
                    horizon: r.get(4)?,
                    yhat: r.get(5)?,
                    lo80: r.get(6)?,
                    hi80: r.get(7)?,
                    lo95: r.get(8)?,
                    hi95: r.get(9)?,
                    model: r.get(10)?,
                    fitted_at: r.get(11)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// Every activity alert, open or closed, by series and first hour (what a restarted forecast job
    /// resumes its open alerts from, and what operators list).
    pub fn activity_alerts(&self) -> Result<Vec<ActivityAlert>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {ALERT_COLUMNS} FROM alerts WHERE kind = 'activity'
                 ORDER BY community_id, channel_id, metric, first_seen"
            ))
            .map_err(|e| self.sql(e))?;
        let rows = stmt.query_map([], read_alert).map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }
}

#[cfg(test)]
mod tests {
    use cohort_pipeline::checkpoint::{Checkpoint, CommitStore, ServingUpdates};
    use cohort_schemas::activity::ForecastPoint;

    use super::*;

    fn series(metric: &str) -> SeriesId {
        SeriesId {
            community_id: "c".into(),
            channel_id: String::new(),
            metric: metric.into(),
        }
    }

    fn forecast(metric: &str, first_hour_ms: i64, yhat: f64, hours: usize) -> ActivityOutput {
        let p = ForecastPoint {
            yhat,
            lo80: yhat - 1.0,
            hi80: yhat + 1.0,
            lo95: yhat - 2.0,
            hi95: yhat + 2.0,
        };
        ActivityOutput::Forecast(ForecastIssue {
            series: series(metric),
            first_hour_ms,
            model: "mean".into(),
            fitted_at_ms: first_hour_ms - HOUR_MS,
            points: vec![p; hours],
        })
    }

    fn alert(status: AlertStatus, hours: u32) -> ActivityAlert {
        ActivityAlert {
            series: series("messages"),
            first_hour_ms: 0,
            last_hour_ms: i64::from(hours - 1) * HOUR_MS,
            hours,
            observed: 80.0,
            expected: 10.0,
            lo95: 5.0,
            hi95: 16.0,
            score: 11.7,
            severity: Severity::Critical,
            status,
            closed_hour_ms: (status == AlertStatus::Closed).then_some(i64::from(hours) * HOUR_MS),
        }
    }

    fn commit(store: &mut SqliteStore, epoch: u64, activity: Vec<ActivityOutput>) {
        let mut checkpoint = Checkpoint::empty(1, "test".into());
        checkpoint.epoch = epoch;
        let updates = ServingUpdates {
            changes: Vec::new(),
            activity,
            ..ServingUpdates::default()
        };
        store.commit(&checkpoint, &[], &updates).unwrap();
    }

    #[test]
    fn a_new_forecast_replaces_its_series_and_only_its_series() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("serving.db"), "test").unwrap();
        commit(
            &mut store,
            1,
            vec![
                forecast("messages", 0, 5.0, 3),
                forecast("views", 0, 7.0, 3),
            ],
        );
        // Two issues of one series in one commit, in either order: the later one stands.
        commit(
            &mut store,
            2,
            vec![
                forecast("messages", 2 * HOUR_MS, 9.0, 2),
                forecast("messages", HOUR_MS, 6.0, 2),
            ],
        );
        let rows = store.forecasts().unwrap();
        let messages: Vec<_> = rows
            .iter()
            .filter(|r| r.series.metric == "messages")
            .collect();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].hour, "1970-01-01T02:00:00.000Z");
        assert_eq!((messages[0].horizon, messages[0].yhat), (1, 9.0));
        assert_eq!(messages[1].hour, "1970-01-01T03:00:00.000Z");
        assert_eq!(
            rows.iter().filter(|r| r.series.metric == "views").count(),
            3
        );
    }

    #[test]
    fn an_alert_is_one_row_from_opening_to_closing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("serving.db"), "test").unwrap();
        commit(
            &mut store,
            1,
            vec![ActivityOutput::Alert(alert(AlertStatus::Open, 1))],
        );
        assert_eq!(
            store.activity_alerts().unwrap(),
            vec![alert(AlertStatus::Open, 1)]
        );
        // States of one commit in any order: the closing of the most hours stands.
        commit(
            &mut store,
            2,
            vec![
                ActivityOutput::Alert(alert(AlertStatus::Closed, 2)),
                ActivityOutput::Alert(alert(AlertStatus::Open, 2)),
            ],
        );
        assert_eq!(
            store.activity_alerts().unwrap(),
            vec![alert(AlertStatus::Closed, 2)]
        );
        // A state of fewer hours arriving late changes nothing.
        commit(
            &mut store,
            3,
            vec![ActivityOutput::Alert(alert(AlertStatus::Open, 1))],
        );
        assert_eq!(
            store.activity_alerts().unwrap(),
            vec![alert(AlertStatus::Closed, 2)]
        );
    }
}
