//! `cohort plot forecast`'s data: one series read back from the lake's event tables, its hourly
//! values built with [`series`](super::series), and the model's forecast after it.

use std::path::Path;

use cohort_schemas::lake::{ReadError, events_from_batch};
use datafusion::error::DataFusionError;

use super::ForecastConfig;
use super::plot::Chart;
use super::series::{HOUR_MS, Metric, SeriesBuilder, SeriesKey, SeriesSet};
use crate::query::lake_session;

/// Hours of history a chart shows: two weeks, enough to see the weekly rhythm once over.
pub const CHART_HISTORY_HOURS: usize = 14 * 24;
/// Hours forecast on a chart, the job's horizon.
pub const CHART_HORIZON: usize = 48;

/// Why a chart could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The lake could not be read.
    #[error("reading the lake: {0}")]
    Lake(#[from] DataFusionError),
    /// A lake batch did not have its table's shape.
    #[error("reading the lake: {0}")]
    Read(#[from] ReadError),
    /// No event table holds the community.
    #[error("unknown community `{0}`: no events for it in the lake")]
    UnknownCommunity(String),
    /// The community exists, but the series has no event.
    #[error("no `{metric}` series for community `{community}`{channel}: no events feed it")]
    NoSeries {
        /// The community.
        community: String,
        /// `" channel X"`, or empty for the community-wide series.
        channel: String,
        /// The metric.
        metric: Metric,
    },
}

/// SQL string literal for `s` (quotes doubled), so community ids cannot break the query.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The error for a series with no events in a community that exists.
fn no_series(key: &SeriesKey) -> PlotError {
    PlotError::NoSeries {
        community: key.community_id.clone(),
        channel: if key.channel_id.is_empty() {
            String::new()
        } else {
            format!(" channel `{}`", key.channel_id)
        },
        metric: key.metric.clone(),
    }
}

/// The closed hourly series of `key` computed from every event of the lake of `data_dir`, all hours
/// closed (the lake is a bounded input). Errors name the community or metric that is missing.
pub async fn lake_series(data_dir: &Path, key: &SeriesKey) -> Result<SeriesSet, PlotError> {
    let ctx = lake_session(data_dir).await?;
    let filter = format!("community_id = {}", literal(&key.community_id));
    let mut events = Vec::new();
    for &kind in key.metric.source_kinds() {
        let sql = format!("SELECT * FROM {} WHERE {filter}", kind.table());
        for batch in ctx.sql(&sql).await?.collect().await? {
            events.extend(events_from_batch(kind, &batch)?);
        }
    }
    events.sort_by_key(|e| e.ts_ms);
    let mut builder = SeriesBuilder::new(0);
    let mut set = SeriesSet::default();
    for e in &events {
        // Sorted: nothing is too late with any lateness.
        set.extend(builder.push(e).unwrap_or_default());
    }
    set.extend(builder.finish());
    if set.get(key).is_none() {
        let mut known = false;
        for kind in cohort_schemas::Kind::ALL {
            let sql = format!("SELECT 1 FROM {} WHERE {filter} LIMIT 1", kind.table());
            let batches = ctx.sql(&sql).await?.collect().await?;
            known |= batches.iter().any(|b| b.num_rows() > 0);
        }
        if !known {
            return Err(PlotError::UnknownCommunity(key.community_id.clone()));
        }
        return Err(no_series(key));
    }
    Ok(set)
}

/// The chart for `key`: the last two weeks of its hourly series from the lake and the model's
/// 48-hour forecast fitted on the whole series.
pub async fn forecast_chart(data_dir: &Path, key: &SeriesKey) -> Result<Chart, PlotError> {
    let set = lake_series(data_dir, key).await?;
    let series = set.get(key).ok_or_else(|| no_series(key))?;
    let forecast = series
        .forecast(&ForecastConfig::default(), CHART_HORIZON)
        .ok_or_else(|| no_series(key))?;
    let skip = series.values.len().saturating_sub(CHART_HISTORY_HOURS);
    let channel = if key.channel_id.is_empty() {
        String::new()
    } else {
        format!(" #{}", key.channel_id)
    };
    Ok(Chart {
        title: format!(
            "{} · {}{channel} · hourly, last 14 days and 48 h forecast",
            key.metric, key.community_id
        ),
        history_start_ms: series.start_ms + HOUR_MS * skip as i64,
        history: series.values[skip..].to_vec(),
        forecast,
    })
}
