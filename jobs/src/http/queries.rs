//! The API's reads of the serving tables (`sinks/src/serving/migrations.rs` defines them) and the
//! JSON rows they answer with: the tables' own column names and values, so an API answer and a
//! `SELECT` over the database say the same thing.

use super::sql::{Param, ReadError, Reader, SqlRow, rows};
use serde::Serialize;

/// One row of `recommendations` (a member's list, by rank).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// 1-based position in the member's list.
    pub rank: i64,
    /// The recommended item.
    pub item_id: String,
    /// Score (higher first).
    pub score: f64,
    /// Why: the member's history item that contributed most, or `trending`.
    pub reason: String,
    /// The pipeline epoch that wrote the row.
    pub epoch: i64,
    /// When the row was written, RFC 3339 UTC.
    pub updated_at: String,
}

/// One row of `similar_items` (an item's neighbours, by rank).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimilarItem {
    /// 1-based position in the item's list.
    pub rank: i64,
    /// The similar item.
    pub other_item_id: String,
    /// Similarity (higher first).
    pub score: f64,
    /// The pipeline epoch that wrote the row.
    pub epoch: i64,
    /// When the row was written, RFC 3339 UTC.
    pub updated_at: String,
}

/// One row of `forecasts` (one hour ahead of one series).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// Channel of the series (empty: the whole community).
    pub channel_id: String,
    /// Metric of the series (`messages`, `views`, `revenue:CNY`, …).
    pub metric: String,
    /// Start of the forecast hour, RFC 3339 UTC.
    pub hour: String,
    /// Hours ahead of the last closed hour, from 1.
    pub horizon: i64,
    /// Expected value.
    pub yhat: f64,
    /// Lower bound of the 80% interval.
    pub lo80: f64,
    /// Upper bound of the 80% interval.
    pub hi80: f64,
    /// Lower bound of the 95% interval.
    pub lo95: f64,
    /// Upper bound of the 95% interval.
    pub hi95: f64,
    /// The model behind it.
    pub model: String,
    /// When the model was fitted, RFC 3339 UTC.
    pub fitted_at: String,
    /// The pipeline epoch that wrote the row.
    pub epoch: i64,
    /// When the row was written, RFC 3339 UTC.
    pub updated_at: String,
}

/// One row of `alerts` (activity anomalies and moderation alerts share the table).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Stable id.
    pub alert_id: String,
    /// `activity`, `pii`, `abuse`, `spam` or `fraud`.
    pub kind: String,
    /// The rule that fired.
    pub rule: String,
    /// Channel (empty: the whole community).
    pub channel_id: String,
    /// The member whose messages or payments fired a moderation rule (null for activity alerts).
    pub member_id: Option<String>,
    /// The metric of an activity alert (null for moderation alerts).
    pub metric: Option<String>,
    /// `minor`, `major` or `critical`.
    pub severity: String,
    /// How far outside the expectation (activity) or how strong the evidence (moderation).
    pub score: f64,
    /// `open` or `closed`.
    pub status: String,
    /// First sighting, RFC 3339 UTC.
    pub first_seen: String,
    /// Last sighting, RFC 3339 UTC.
    pub last_seen: String,
    /// Hours (activity) or findings (moderation) so far.
    pub count: i64,
    /// Observed value of the last hour (activity).
    pub observed: Option<f64>,
    /// Expected value of the last hour (activity).
    pub expected: Option<f64>,
    /// Lower bound of the 95% interval (activity).
    pub lo95: Option<f64>,
    /// Upper bound of the 95% interval (activity).
    pub hi95: Option<f64>,
    /// What was found, personal data redacted (moderation).
    pub evidence: Option<String>,
    /// When it closed, RFC 3339 UTC.
    pub closed_at: Option<String>,
    /// A moderator's verdict: `confirmed` or `dismissed`.
    pub verdict: Option<String>,
    /// The pipeline epoch that wrote the row.
    pub epoch: i64,
    /// When the row was written, RFC 3339 UTC.
    pub updated_at: String,
}

/// Filters of the alerts route.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Only alerts with this status.
    pub status: Option<&'static str>,
    /// Only alerts last seen at or after this time (RFC 3339 UTC with milliseconds, the
    /// table's own format, so text order is time order).
    pub since: Option<String>,
    /// At most this many, newest `last_seen` first.
    pub limit: usize,
}

/// The first `k` recommendations of `member` in `community`, by rank.
pub fn recommendations(
    db: &mut dyn Reader,
    community: &str,
    member: &str,
    k: usize,
) -> Result<Vec<Recommendation>, ReadError> {
    rows(
        db,
        "SELECT rank, item_id, score, reason, epoch, updated_at FROM recommendations
         WHERE community_id = ?1 AND user_id = ?2 ORDER BY rank LIMIT ?3",
        &[text(community), text(member), limit(k)],
        |r| {
            Ok(Recommendation {
                rank: r.int(0)?,
                item_id: r.text(1)?,
                score: r.real(2)?,
                reason: r.text(3)?,
                epoch: r.int(4)?,
                updated_at: r.text(5)?,
            })
        },
    )
}

/// The first `k` items similar to `item` in `community`, by rank.
pub fn similar_items(
    db: &mut dyn Reader,
    community: &str,
    item: &str,
    k: usize,
) -> Result<Vec<SimilarItem>, ReadError> {
    rows(
        db,
        "SELECT rank, other_item_id, score, epoch, updated_at FROM similar_items
         WHERE community_id = ?1 AND item_id = ?2 ORDER BY rank LIMIT ?3",
        &[text(community), text(item), limit(k)],
        |r| {
            Ok(SimilarItem {
                rank: r.int(0)?,
                other_item_id: r.text(1)?,
                score: r.real(2)?,
                epoch: r.int(3)?,
                updated_at: r.text(4)?,
            })
        },
    )
}

// Optional filters are `CAST(?N AS TEXT) IS NULL OR column = CAST(?N AS TEXT)`: PostgreSQL cannot
// infer the type of a parameter that is only tested for NULL, and the cast reads the same in SQLite.

/// The current forecasts of `community`, optionally of one metric and one channel (`""`: the
/// community-wide series), by channel, metric and horizon.
pub fn forecasts(
    db: &mut dyn Reader,
    community: &str,
    metric: Option<&str>,
    channel: Option<&str>,
) -> Result<Vec<Forecast>, ReadError> {
    rows(
        db,
        "SELECT channel_id, metric, hour, horizon, yhat, lo80, hi80, lo95, hi95, model,
                fitted_at, epoch, updated_at
         FROM forecasts
         WHERE community_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR metric = CAST(?2 AS TEXT))
           AND (CAST(?3 AS TEXT) IS NULL OR channel_id = CAST(?3 AS TEXT))
         ORDER BY channel_id, metric, horizon",
        &[text(community), Param::Text(metric), Param::Text(channel)],
        |r| {
            Ok(Forecast {
                channel_id: r.text(0)?,
                metric: r.text(1)?,
                hour: r.text(2)?,
                horizon: r.int(3)?,
                yhat: r.real(4)?,
                lo80: r.real(5)?,
                hi80: r.real(6)?,
                lo95: r.real(7)?,
                hi95: r.real(8)?,
                model: r.text(9)?,
                fitted_at: r.text(10)?,
                epoch: r.int(11)?,
                updated_at: r.text(12)?,
            })
        },
    )
}

/// The alerts of `community` that pass `filter`, newest `last_seen` first.
pub fn alerts(
    db: &mut dyn Reader,
    community: &str,
    filter: &AlertFilter,
) -> Result<Vec<Alert>, ReadError> {
    rows(
        db,
        "SELECT alert_id, kind, rule, channel_id, member_id, metric, severity, score, status,
                first_seen, last_seen, count, observed, expected, lo95, hi95, evidence,
                closed_at, verdict, epoch, updated_at
         FROM alerts
         WHERE community_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR status = CAST(?2 AS TEXT))
           AND (CAST(?3 AS TEXT) IS NULL OR last_seen >= CAST(?3 AS TEXT))
         ORDER BY last_seen DESC, alert_id LIMIT ?4",
        &[
            text(community),
            Param::Text(filter.status),
            Param::Text(filter.since.as_deref()),
            limit(filter.limit),
        ],
        read_alert,
    )
}

fn read_alert(r: &dyn SqlRow) -> Result<Alert, ReadError> {
    Ok(Alert {
        alert_id: r.text(0)?,
        kind: r.text(1)?,
        rule: r.text(2)?,
        channel_id: r.text(3)?,
        member_id: r.opt_text(4)?,
        metric: r.opt_text(5)?,
        severity: r.text(6)?,
        score: r.real(7)?,
        status: r.text(8)?,
        first_seen: r.text(9)?,
        last_seen: r.text(10)?,
        count: r.int(11)?,
        observed: r.opt_real(12)?,
        expected: r.opt_real(13)?,
        lo95: r.opt_real(14)?,
        hi95: r.opt_real(15)?,
        evidence: r.opt_text(16)?,
        closed_at: r.opt_text(17)?,
        verdict: r.opt_text(18)?,
        epoch: r.int(19)?,
        updated_at: r.text(20)?,
    })
}

/// The newest checkpoint's epoch and commit time, if any: what `/readyz` reports. Also fails
/// when a serving table is missing, so readiness means every route can answer.
pub fn readiness(db: &mut dyn Reader) -> Result<Option<(i64, String)>, ReadError> {
    for sql in [
        "SELECT 1 FROM recommendations LIMIT 0",
        "SELECT 1 FROM similar_items LIMIT 0",
        "SELECT 1 FROM forecasts LIMIT 0",
        "SELECT 1 FROM alerts LIMIT 0",
    ] {
        db.query(sql, &[], &mut |_| Ok(()))?;
    }
    let newest = rows(
        db,
        "SELECT epoch, committed_at FROM checkpoints ORDER BY id DESC LIMIT 1",
        &[],
        |r| Ok((r.int(0)?, r.text(1)?)),
    )?;
    Ok(newest.into_iter().next())
}

/// The key id the last checkpoint says member ids were pseudonymised with: `None` when no run
/// has committed yet, `Some(None)` when member ids are stored as they arrived.
pub fn member_key_id(db: &mut dyn Reader) -> Result<Option<Option<String>>, ReadError> {
    let newest = rows(
        db,
        "SELECT offsets_json FROM checkpoints ORDER BY id DESC LIMIT 1",
        &[],
        |r| r.text(0),
    )?;
    // Read in Rust rather than with SQL's JSON functions, which the two backends spell apart.
    newest
        .into_iter()
        .next()
        .map(|json| {
            let checkpoint: serde_json::Value =
                serde_json::from_str(&json).map_err(ReadError::Checkpoint)?;
            Ok(checkpoint
                .get("member_key_id")
                .and_then(|k| k.as_str())
                .map(str::to_string))
        })
        .transpose()
}

fn text(value: &str) -> Param<'_> {
    Param::Text(Some(value))
}

/// A row count as an SQL integer (k is at most 1000, limit too).
fn limit(n: usize) -> Param<'static> {
    Param::Int(i64::try_from(n).unwrap_or(i64::MAX))
}
