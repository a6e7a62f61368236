//! The forecast job's lake tables: `activity_hourly` (one row per series and closed hour, at `ts`),
//! `forecasts` (every forecast as issued, one row per hour ahead, for back-testing the live model)
//! and `alerts` (every state an alert went through: opened, updated, closed).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Float64Array, Float64Builder, Int32Array, Int32Builder, Int64Array,
    Int64Builder, StringArray, StringBuilder, TimestampMillisecondArray,
    TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;

use super::batch::{BatchBuilder, TableColumns};
use super::read::ReadError;
use super::timestamp_type;
use crate::activity::{
    ActivityAlert, ActivityHour, AlertStatus, ForecastIssue, SeriesId, Severity,
};

/// The series columns every table starts with.
fn series_fields() -> [Field; 3] {
    [
        Field::new("community_id", DataType::Utf8, false),
        Field::new("channel_id", DataType::Utf8, false),
        Field::new("metric", DataType::Utf8, false),
    ]
}

/// The Arrow schema of `activity_hourly`.
pub fn activity_hourly_schema() -> SchemaRef {
    let mut fields = series_fields().to_vec();
    // `ts` (the hour's start), not `hour`: the lake's Hive partition columns are `date` and `hour`.
    fields.push(Field::new("ts", timestamp_type(), false));
    fields.push(Field::new("value", DataType::Int64, false));
    Arc::new(Schema::new(fields))
}

/// The Arrow schema of `forecasts`.
pub fn forecast_schema() -> SchemaRef {
    let mut fields = series_fields().to_vec();
    fields.extend([
        Field::new("issued_for", timestamp_type(), false),
        Field::new("ts", timestamp_type(), false),
        Field::new("horizon", DataType::Int32, false),
        Field::new("yhat", DataType::Float64, false),
        Field::new("lo80", DataType::Float64, false),
        Field::new("hi80", DataType::Float64, false),
        Field::new("lo95", DataType::Float64, false),
        Field::new("hi95", DataType::Float64, false),
        Field::new("model", DataType::Utf8, false),
        Field::new("fitted_at", timestamp_type(), false),
    ]);
    Arc::new(Schema::new(fields))
}

/// The Arrow schema of `alerts`.
pub fn alert_schema() -> SchemaRef {
    let mut fields = vec![
        Field::new("alert_id", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
    ];
    fields.extend(series_fields());
    fields.extend([
        Field::new("first_hour", timestamp_type(), false),
        Field::new("last_hour", timestamp_type(), false),
        Field::new("hours", DataType::Int32, false),
        Field::new("observed", DataType::Float64, false),
        Field::new("expected", DataType::Float64, false),
        Field::new("lo95", DataType::Float64, false),
        Field::new("hi95", DataType::Float64, false),
        Field::new("score", DataType::Float64, false),
        Field::new("severity", DataType::Utf8, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("closed_hour", timestamp_type(), true),
    ]);
    Arc::new(Schema::new(fields))
}

/// Builders of the three series columns.
#[derive(Default)]
struct SeriesColumns {
    community_id: StringBuilder,
    channel_id: StringBuilder,
    metric: StringBuilder,
}

impl SeriesColumns {
    fn push(&mut self, s: &SeriesId) {
        self.community_id.append_value(&s.community_id);
        self.channel_id.append_value(&s.channel_id);
        self.metric.append_value(&s.metric);
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.community_id.finish()),
            Arc::new(self.channel_id.finish()),
            Arc::new(self.metric.finish()),
        ]
    }
}

/// A UTC millisecond timestamp builder.
fn timestamps() -> TimestampMillisecondBuilder {
    TimestampMillisecondBuilder::new().with_timezone("UTC")
}

/// Accumulates closed hours into a batch of [`activity_hourly_schema`].
pub type ActivityHourBatchBuilder = BatchBuilder<ActivityHourColumns>;

/// The column builders of `activity_hourly`.
pub struct ActivityHourColumns {
    series: SeriesColumns,
    hour: TimestampMillisecondBuilder,
    value: Int64Builder,
}

impl Default for ActivityHourColumns {
    fn default() -> Self {
        ActivityHourColumns {
            series: SeriesColumns::default(),
            hour: timestamps(),
            value: Int64Builder::new(),
        }
    }
}

impl TableColumns for ActivityHourColumns {
    type Row<'a> = &'a ActivityHour;

    fn schema(&self) -> SchemaRef {
        activity_hourly_schema()
    }

    fn push(&mut self, h: &ActivityHour) {
        self.series.push(&h.series);
        self.hour.append_value(h.hour_ms);
        self.value.append_value(h.value);
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut columns = self.series.finish();
        columns.push(Arc::new(self.hour.finish()));
        columns.push(Arc::new(self.value.finish()));
        columns
    }
}

/// Accumulates issued forecasts (one row per hour ahead) into a batch of [`forecast_schema`].
pub type ForecastBatchBuilder = BatchBuilder<ForecastColumns>;

/// The column builders of `forecasts`.
pub struct ForecastColumns {
    series: SeriesColumns,
    issued_for: TimestampMillisecondBuilder,
    hour: TimestampMillisecondBuilder,
    horizon: Int32Builder,
    bounds: [Float64Builder; 5],
    model: StringBuilder,
    fitted_at: TimestampMillisecondBuilder,
}

impl Default for ForecastColumns {
    fn default() -> Self {
        ForecastColumns {
            series: SeriesColumns::default(),
            issued_for: timestamps(),
            hour: timestamps(),
            horizon: Int32Builder::new(),
            bounds: Default::default(),
            model: StringBuilder::new(),
            fitted_at: timestamps(),
        }
    }
}

/// Milliseconds in an hour.
const HOUR_MS: i64 = 3_600_000;

impl TableColumns for ForecastColumns {
    /// One hour ahead of an issued forecast: the forecast and the 0-based index of the point.
    type Row<'a> = (&'a ForecastIssue, usize);

    fn schema(&self) -> SchemaRef {
        forecast_schema()
    }

    fn push(&mut self, (f, i): (&ForecastIssue, usize)) {
        let Some(p) = f.points.get(i) else { return };
        let ahead = i64::try_from(i).unwrap_or(i64::MAX / HOUR_MS);
        self.series.push(&f.series);
        self.issued_for.append_value(f.first_hour_ms);
        self.hour.append_value(f.first_hour_ms + ahead * HOUR_MS);
        self.horizon
            .append_value(i32::try_from(i + 1).unwrap_or(i32::MAX));
        for (column, value) in self
            .bounds
            .iter_mut()
            .zip([p.yhat, p.lo80, p.hi80, p.lo95, p.hi95])
        {
            column.append_value(value);
        }
        self.model.append_value(&f.model);
        self.fitted_at.append_value(f.fitted_at_ms);
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut columns = self.series.finish();
        columns.push(Arc::new(self.issued_for.finish()));
        columns.push(Arc::new(self.hour.finish()));
        columns.push(Arc::new(self.horizon.finish()));
        for bound in &mut self.bounds {
            columns.push(Arc::new(bound.finish()));
        }
        columns.push(Arc::new(self.model.finish()));
        columns.push(Arc::new(self.fitted_at.finish()));
        columns
    }
}

/// Accumulates alert states into a batch of [`alert_schema`].
pub type AlertBatchBuilder = BatchBuilder<AlertColumns>;

/// The column builders of `alerts`.
pub struct AlertColumns {
    alert_id: StringBuilder,
    kind: StringBuilder,
    series: SeriesColumns,
    first_hour: TimestampMillisecondBuilder,
    last_hour: TimestampMillisecondBuilder,
    hours: Int32Builder,
    figures: [Float64Builder; 5],
    severity: StringBuilder,
    status: StringBuilder,
    closed_hour: TimestampMillisecondBuilder,
}

impl Default for AlertColumns {
    fn default() -> Self {
        AlertColumns {
            alert_id: StringBuilder::new(),
            kind: StringBuilder::new(),
            series: SeriesColumns::default(),
            first_hour: timestamps(),
            last_hour: timestamps(),
            hours: Int32Builder::new(),
            figures: Default::default(),
            severity: StringBuilder::new(),
            status: StringBuilder::new(),
            closed_hour: timestamps(),
        }
    }
}

impl TableColumns for AlertColumns {
    type Row<'a> = &'a ActivityAlert;

    fn schema(&self) -> SchemaRef {
        alert_schema()
    }

    fn push(&mut self, a: &ActivityAlert) {
        self.alert_id.append_value(a.alert_id());
        self.kind.append_value("activity");
        self.series.push(&a.series);
        self.first_hour.append_value(a.first_hour_ms);
        self.last_hour.append_value(a.last_hour_ms);
        self.hours
            .append_value(i32::try_from(a.hours).unwrap_or(i32::MAX));
        let figures = [a.observed, a.expected, a.lo95, a.hi95, a.score];
        for (column, value) in self.figures.iter_mut().zip(figures) {
            column.append_value(value);
        }
        self.severity.append_value(a.severity.name());
        self.status.append_value(a.status.name());
        self.closed_hour.append_option(a.closed_hour_ms);
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.alert_id.finish()),
            Arc::new(self.kind.finish()),
        ];
        columns.extend(self.series.finish());
        columns.push(Arc::new(self.first_hour.finish()));
        columns.push(Arc::new(self.last_hour.finish()));
        columns.push(Arc::new(self.hours.finish()));
        for figure in &mut self.figures {
            columns.push(Arc::new(figure.finish()));
        }
        columns.push(Arc::new(self.severity.finish()));
        columns.push(Arc::new(self.status.finish()));
        columns.push(Arc::new(self.closed_hour.finish()));
        columns
    }
}

/// The closed hours in a batch of `activity_hourly` (what a restart rebuilds the series from).
pub fn activity_hours_from_batch(batch: &RecordBatch) -> Result<Vec<ActivityHour>, ReadError> {
    let missing = |column: &'static str, expected: &'static str| ReadError::Column {
        table: "activity_hourly",
        column,
        expected,
    };
    let strings = |name: &'static str| -> Result<&StringArray, ReadError> {
        batch
            .column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .ok_or_else(|| missing(name, "Utf8"))
    };
    let (community, channel, metric) = (
        strings("community_id")?,
        strings("channel_id")?,
        strings("metric")?,
    );
    let hour = batch
        .column_by_name("ts")
        .and_then(|c| c.as_any().downcast_ref::<TimestampMillisecondArray>())
        .ok_or_else(|| missing("ts", "Timestamp(ms, UTC)"))?;
    let value = batch
        .column_by_name("value")
        .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
        .ok_or_else(|| missing("value", "Int64"))?;
    Ok((0..batch.num_rows())
        .map(|i| ActivityHour {
            series: SeriesId {
                community_id: community.value(i).to_string(),
                channel_id: channel.value(i).to_string(),
                metric: metric.value(i).to_string(),
            },
            hour_ms: hour.value(i),
            value: value.value(i),
        })
        .collect())
}

/// The alert states in a batch of `alerts` (what the alert topic receives).
pub fn alerts_from_batch(batch: &RecordBatch) -> Result<Vec<ActivityAlert>, ReadError> {
    let column = |name: &'static str, expected: &'static str| {
        batch.column_by_name(name).ok_or(ReadError::Column {
            table: "alerts",
            column: name,
            expected,
        })
    };
    let wrong = |name: &'static str, expected: &'static str| ReadError::Column {
        table: "alerts",
        column: name,
        expected,
    };
    let strings = |name: &'static str| -> Result<&StringArray, ReadError> {
        column(name, "Utf8")?
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| wrong(name, "Utf8"))
    };
    let times = |name: &'static str| -> Result<&TimestampMillisecondArray, ReadError> {
        column(name, "Timestamp(ms, UTC)")?
            .as_any()
            .downcast_ref::<TimestampMillisecondArray>()
            .ok_or_else(|| wrong(name, "Timestamp(ms, UTC)"))
    };
    let floats = |name: &'static str| -> Result<&Float64Array, ReadError> {
        column(name, "Float64")?
            .as_any()
            .downcast_ref::<Float64Array>()
            .ok_or_else(|| wrong(name, "Float64"))
    };
    let (community, channel, metric) = (
        strings("community_id")?,
        strings("channel_id")?,
        strings("metric")?,
    );
    let (first, last, closed) = (
        times("first_hour")?,
        times("last_hour")?,
        times("closed_hour")?,
    );
    let hours = column("hours", "Int32")?
        .as_any()
        .downcast_ref::<Int32Array>()
        .ok_or_else(|| wrong("hours", "Int32"))?;
    let (observed, expected, lo95, hi95, score) = (
        floats("observed")?,
        floats("expected")?,
        floats("lo95")?,
        floats("hi95")?,
        floats("score")?,
    );
    let (severity, status) = (strings("severity")?, strings("status")?);
    (0..batch.num_rows())
        .map(|i| {
            Ok(ActivityAlert {
                series: SeriesId {
                    community_id: community.value(i).to_string(),
                    channel_id: channel.value(i).to_string(),
                    metric: metric.value(i).to_string(),
                },
                first_hour_ms: first.value(i),
                last_hour_ms: last.value(i),
                hours: u32::try_from(hours.value(i)).unwrap_or(0),
                observed: observed.value(i),
                expected: expected.value(i),
                lo95: lo95.value(i),
                hi95: hi95.value(i),
                score: score.value(i),
                severity: Severity::from_name(severity.value(i)).ok_or_else(|| ReadError::Row {
                    table: "alerts",
                    row: i,
                    detail: format!("unknown severity {}", severity.value(i)),
                })?,
                status: if status.value(i) == AlertStatus::Open.name() {
                    AlertStatus::Open
                } else {
                    AlertStatus::Closed
                },
                closed_hour_ms: (!closed.is_null(i)).then(|| closed.value(i)),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::ForecastPoint;

    fn series() -> SeriesId {
        SeriesId {
            community_id: "c".into(),
            channel_id: "general".into(),
            metric: "messages".into(),
        }
    }

    #[test]
    fn closed_hours_read_back_as_written() {
        let hours = vec![
            ActivityHour {
                series: series(),
                hour_ms: 0,
                value: 4,
            },
            ActivityHour {
                series: series(),
                hour_ms: HOUR_MS,
                value: 0,
            },
        ];
        let mut builder = ActivityHourBatchBuilder::default();
        for h in &hours {
            builder.append(h);
        }
        let batch = builder.finish().unwrap();
        assert_eq!(batch.schema(), activity_hourly_schema());
        assert_eq!(activity_hours_from_batch(&batch).unwrap(), hours);
    }

    #[test]
    fn a_forecast_gives_one_row_per_hour_ahead() {
        let point = |y: f64| ForecastPoint {
            yhat: y,
            lo80: y - 1.0,
            hi80: y + 1.0,
            lo95: y - 2.0,
            hi95: y + 2.0,
        };
        let issue = ForecastIssue {
            series: series(),
            first_hour_ms: 10 * HOUR_MS,
            model: "mean".into(),
            fitted_at_ms: 9 * HOUR_MS,
            points: vec![point(5.0), point(6.0)],
        };
        let mut builder = ForecastBatchBuilder::default();
        for i in 0..issue.points.len() {
            builder.append((&issue, i));
        }
        let batch = builder.finish().unwrap();
        assert_eq!(batch.num_rows(), 2);
        let hour = batch
            .column_by_name("ts")
            .unwrap()
            .as_any()
            .downcast_ref::<TimestampMillisecondArray>()
            .unwrap()
            .value(1);
        assert_eq!(hour, 11 * HOUR_MS);
    }

    #[test]
    fn an_alert_row_has_its_id_and_an_empty_closing_hour_while_open() {
        let alert = ActivityAlert {
            series: series(),
            first_hour_ms: 0,
            last_hour_ms: 0,
            hours: 1,
            observed: 50.0,
            expected: 5.0,
            lo95: 1.0,
            hi95: 12.0,
            score: 6.4,
            severity: Severity::Critical,
            status: AlertStatus::Open,
            closed_hour_ms: None,
        };
        let mut builder = AlertBatchBuilder::default();
        builder.append(&alert);
        let batch = builder.finish().unwrap();
        assert_eq!(batch.schema(), alert_schema());
        let id = batch.column_by_name("alert_id").unwrap();
        let id = id.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(id.value(0), alert.alert_id());
        assert!(batch.column_by_name("closed_hour").unwrap().is_null(0));
        assert_eq!(alerts_from_batch(&batch).unwrap(), vec![alert]);
    }
}
