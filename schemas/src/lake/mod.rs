//! The lake's tables as Arrow: schemas, and conversions between events and record batches.
//!
//! One table per event kind (`events_view`, ...) plus `dead_letters`, and `recommendations` (change
//! records of the derived serving table), and the forecast job's `activity_hourly`, `forecasts` and
//! `alerts`, the moderation job's `chat_scans` and `moderation_alerts`, and the register of erasure
//! requests, `erasures`. Event columns follow the field registry (`event::fields`):
//! the common fields, the kind's fields, then `extra` (unknown wire fields as JSON). Hive partition
//! columns (`date`, `hour`) live in the directory names, not in the files.

mod activity;
mod batch;
mod cells;
mod chat_scan;
mod dead_letter;
mod erasure;
mod moderation;
mod read;
mod recommendation;
mod write;

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::event::{FieldSpec, Kind, Storage};

pub use activity::{
    ActivityHourBatchBuilder, ActivityHourColumns, AlertBatchBuilder, AlertColumns,
    ForecastBatchBuilder, ForecastColumns, activity_hourly_schema, activity_hours_from_batch,
    alert_schema, alerts_from_batch, forecast_schema,
};
pub use batch::{BatchBuilder, TableColumns};
pub use chat_scan::{
    ChatScanBatchBuilder, ChatScanColumns, chat_scan_schema, chat_scans_from_batch,
};
pub use dead_letter::{
    DeadLetter, DeadLetterBatchBuilder, DeadLetterColumns, dead_letter_schema,
    dead_letters_from_batch,
};
pub use erasure::{
    DIGEST_COLUMN, ErasureBatchBuilder, ErasureColumns, ErasureRequest, erasure_digest,
    erasure_digests_from_batch, erasure_schema,
};
pub use moderation::{
    ModerationAlertBatchBuilder, ModerationAlertColumns, moderation_alert_schema,
    moderation_alerts_from_batch,
};
pub use read::{ReadError, events_from_batch, typed_column};
pub use recommendation::{
    RecommendationBatchBuilder, RecommendationChange, RecommendationColumns, recommendation_schema,
};
pub use write::{EventBatchBuilder, EventColumns};

/// Version of the lake layout, stored in every Parquet file's key-value metadata.
pub const LAKE_FORMAT_VERSION: &str = "1";

/// A table of the lake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LakeTable {
    /// Valid events of one kind.
    Events(Kind),
    /// Records that failed to decode or validate, or came too late.
    DeadLetters,
    /// Change records of the `recommendations` serving table (+1 a row appeared, -1 it went).
    Recommendations,
    /// Closed hours of the activity series.
    ActivityHourly,
    /// Forecasts as issued, one row per series, issue and hour ahead.
    Forecasts,
    /// Every state of every activity alert.
    Alerts,
    /// What the moderation job kept of every chat message.
    ChatScans,
    /// Every state of every moderation alert.
    ModerationAlerts,
    /// The register of erasure requests (digests of the members to forget).
    Erasures,
}

impl LakeTable {
    /// Every table, events first.
    pub fn all() -> impl Iterator<Item = LakeTable> {
        Kind::ALL.into_iter().map(LakeTable::Events).chain([
            LakeTable::DeadLetters,
            LakeTable::Recommendations,
            LakeTable::ActivityHourly,
            LakeTable::Forecasts,
            LakeTable::Alerts,
            LakeTable::ChatScans,
            LakeTable::ModerationAlerts,
            LakeTable::Erasures,
        ])
    }

    /// The table's name, also its directory under the lake root.
    pub fn name(self) -> &'static str {
        match self {
            LakeTable::Events(kind) => kind.table(),
            LakeTable::DeadLetters => "dead_letters",
            LakeTable::Recommendations => "recommendations",
            LakeTable::ActivityHourly => "activity_hourly",
            LakeTable::Forecasts => "forecasts",
            LakeTable::Alerts => "alerts",
            LakeTable::ChatScans => "chat_scans",
            LakeTable::ModerationAlerts => "moderation_alerts",
            LakeTable::Erasures => "erasures",
        }
    }

    /// The table with this name.
    pub fn from_name(name: &str) -> Option<LakeTable> {
        LakeTable::all().find(|t| t.name() == name)
    }

    /// The Arrow schema of the table's files.
    pub fn schema(self) -> SchemaRef {
        match self {
            LakeTable::Events(kind) => event_schema(kind),
            LakeTable::DeadLetters => dead_letter_schema(),
            LakeTable::Recommendations => recommendation_schema(),
            LakeTable::ActivityHourly => activity_hourly_schema(),
            LakeTable::Forecasts => forecast_schema(),
            LakeTable::Alerts => alert_schema(),
            LakeTable::ChatScans => chat_scan_schema(),
            LakeTable::ModerationAlerts => moderation_alert_schema(),
            LakeTable::Erasures => erasure_schema(),
        }
    }
}

/// The Arrow type of event-time columns: milliseconds, UTC.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// The Arrow schema of `events_<kind>`.
pub fn event_schema(kind: Kind) -> SchemaRef {
    let fields: Vec<Field> = crate::event::fields_of(kind)
        .map(arrow_field)
        .chain(std::iter::once(Field::new("extra", DataType::Utf8, true)))
        .collect();
    Arc::new(Schema::new(fields))
}

fn arrow_field(spec: &FieldSpec) -> Field {
    let data_type = match spec.ty.storage() {
        Storage::Str => DataType::Utf8,
        Storage::Int => DataType::Int64,
        Storage::Bool => DataType::Boolean,
        Storage::StrList => list_type(),
        Storage::Timestamp => timestamp_type(),
    };
    let nullable = !(spec.required || spec.ty.always_present());
    Field::new(spec.name, data_type, nullable)
}

fn list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

/// The registry fields of `kind`, common first, as used for column order.
pub(crate) fn columns_of(kind: Kind) -> impl Iterator<Item = &'static FieldSpec> {
    crate::event::fields_of(kind)
}
