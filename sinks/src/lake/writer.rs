//! Groups a worker's records by table and hour and writes one Parquet file per group.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use cohort_pipeline::checkpoint::{EpochWriter, SinkError, StagedFile};
use cohort_pipeline::record::Record;
use cohort_schemas::Event;
use cohort_schemas::activity::{ActivityAlert, ActivityHour, ActivityOutput, ForecastIssue};
use cohort_schemas::lake::{
    ActivityHourBatchBuilder, AlertBatchBuilder, ChatScanBatchBuilder, DeadLetter,
    DeadLetterBatchBuilder, ErasureBatchBuilder, ErasureRequest, EventBatchBuilder,
    ForecastBatchBuilder, LAKE_FORMAT_VERSION, LakeTable, ModerationAlertBatchBuilder,
    RecommendationBatchBuilder, RecommendationChange,
};
use cohort_schemas::moderation::{ChatScan, ModerationAlert};
use cohort_schemas::time::partition_of_ms;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::metadata::KeyValue;
use datafusion::parquet::file::properties::WriterProperties;

use super::LakeLayout;

/// One table-hour's rows being gathered.
enum Builder {
    Events(EventBatchBuilder),
    Dead(Box<DeadLetterBatchBuilder>),
    Recommendations(Box<RecommendationBatchBuilder>),
    ActivityHours(Box<ActivityHourBatchBuilder>),
    Forecasts(Box<ForecastBatchBuilder>),
    Alerts(Box<AlertBatchBuilder>),
    ChatScans(Box<ChatScanBatchBuilder>),
    ModerationAlerts(Box<ModerationAlertBatchBuilder>),
    Erasures(Box<ErasureBatchBuilder>),
}

/// A record's row of the lake.
enum Row<'a> {
    Event(&'a Event),
    Dead(&'a DeadLetter),
    Recommendation(RecommendationChange<'a>),
    ActivityHour(&'a ActivityHour),
    Forecast(&'a ForecastIssue),
    Alert(&'a ActivityAlert),
    ChatScan(&'a ChatScan),
    Moderation(&'a ModerationAlert),
    Erasure(ErasureRequest<'a>),
}

impl<'a> Row<'a> {
    /// The lake rows of `record` at timely time `time`, with their tables and event times (ms):
    /// none for records the lake does not hold (progress, similar-item changes), two for an
    /// erasure (its event, and its request in the `erasures` register).
    fn of(time: u64, record: &'a Record) -> [Option<(LakeTable, i64, Row<'a>)>; 2] {
        let register = match record {
            Record::Event(e) if e.kind() == cohort_schemas::Kind::Erasure => {
                let request = ErasureRequest {
                    event: e,
                    epoch: time,
                };
                Some((LakeTable::Erasures, e.ts_ms, Row::Erasure(request)))
            }
            _ => None,
        };
        [Self::one(time, record), register]
    }

    /// The row of `record` in its own table.
    fn one(time: u64, record: &'a Record) -> Option<(LakeTable, i64, Row<'a>)> {
        match record {
            Record::Event(e) => Some((LakeTable::Events(e.kind()), e.ts_ms, Row::Event(e))),
            Record::Dead(d) => Some((LakeTable::DeadLetters, d.ts_ms, Row::Dead(d))),
            Record::Serving(change) => {
                let row = RecommendationChange::of(time, change)?;
                let ts_ms = i64::try_from(time).unwrap_or(i64::MAX).saturating_mul(1000);
                Some((LakeTable::Recommendations, ts_ms, Row::Recommendation(row)))
            }
            Record::Activity(output) => {
                let (table, row) = match output {
                    ActivityOutput::Hour(h) => (LakeTable::ActivityHourly, Row::ActivityHour(h)),
                    ActivityOutput::Forecast(f) => (LakeTable::Forecasts, Row::Forecast(f)),
                    ActivityOutput::Alert(a) => (LakeTable::Alerts, Row::Alert(a)),
                };
                Some((table, output.ts_ms(), row))
            }
            Record::ChatScan(s) => Some((LakeTable::ChatScans, s.ts_ms, Row::ChatScan(s))),
            Record::Moderation(a) => {
                Some((LakeTable::ModerationAlerts, a.ts_ms(), Row::Moderation(a)))
            }
            // The lake never holds raw member ids.
            Record::Progress(_) | Record::MemberId { .. } => None,
        }
    }
}

/// How every lake file is written (compression, row groups, the lake format version in its
/// metadata): by the staging writer and by compaction's rewrites alike.
pub fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(1 << 20))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "cohort.lake_format".to_string(),
            LAKE_FORMAT_VERSION.to_string(),
        )]))
        .build()
}

/// Writes a worker's records to staged Parquet files, one per (table, date, hour) per staging.
pub struct ParquetEpochWriter {
    layout: LakeLayout,
    /// Makes file names unique across workers and runs: `part-<run>-<worker>-<seq>`.
    prefix: String,
    seq: u64,
    properties: Arc<WriterProperties>,
}

impl ParquetEpochWriter {
    /// A writer for worker `worker`; `run_id` distinguishes this run's files from earlier runs'.
    pub fn new(layout: LakeLayout, run_id: &str, worker: usize) -> Self {
        ParquetEpochWriter {
            layout,
            prefix: format!("part-{run_id}-{worker}"),
            seq: 0,
            properties: Arc::new(writer_properties()),
        }
    }

    fn write(
        &self,
        table: LakeTable,
        batch: &RecordBatch,
        staged: &PathBuf,
    ) -> Result<(), SinkError> {
        let context = || format!("writing {}", staged.display());
        if let Some(dir) = staged.parent() {
            std::fs::create_dir_all(dir).map_err(|e| SinkError::new(context(), e))?;
        }
        let file = File::create(staged).map_err(|e| SinkError::new(context(), e))?;
        let mut writer =
            ArrowWriter::try_new(file, table.schema(), Some((*self.properties).clone()))
                .map_err(|e| SinkError::new(context(), e))?;
        writer
            .write(batch)
            .map_err(|e| SinkError::new(context(), e))?;
        // Durability comes from one syncfs per commit (see `SqliteStore`), not an fsync per file.
        writer.close().map_err(|e| SinkError::new(context(), e))?;
        Ok(())
    }
}

impl EpochWriter for ParquetEpochWriter {
    fn stage(&mut self, records: &[(u64, Record)]) -> Result<Vec<StagedFile>, SinkError> {
        let mut groups: BTreeMap<(LakeTable, String, u32), Builder> = BTreeMap::new();
        for (table, ts_ms, row) in records
            .iter()
            .flat_map(|(time, record)| Row::of(*time, record).into_iter().flatten())
        {
            let (date, hour) = partition_of_ms(ts_ms);
            let builder = groups
                .entry((table, date, hour))
                .or_insert_with(|| match table {
                    LakeTable::Events(kind) => Builder::Events(EventBatchBuilder::new(kind)),
                    LakeTable::DeadLetters => Builder::Dead(Box::default()),
                    LakeTable::Recommendations => Builder::Recommendations(Box::default()),
                    LakeTable::ActivityHourly => Builder::ActivityHours(Box::default()),
                    LakeTable::Forecasts => Builder::Forecasts(Box::default()),
                    LakeTable::Alerts => Builder::Alerts(Box::default()),
                    LakeTable::ChatScans => Builder::ChatScans(Box::default()),
                    LakeTable::ModerationAlerts => Builder::ModerationAlerts(Box::default()),
                    LakeTable::Erasures => Builder::Erasures(Box::default()),
                });
            match (builder, row) {
                (Builder::Events(b), Row::Event(e)) => b.append(e),
                (Builder::Dead(b), Row::Dead(d)) => b.append(d),
                (Builder::Recommendations(b), Row::Recommendation(r)) => b.append(r),
                (Builder::ActivityHours(b), Row::ActivityHour(h)) => b.append(h),
                (Builder::Forecasts(b), Row::Forecast(f)) => {
                    for i in 0..f.points.len() {
                        b.append((f, i));
                    }
                }
                (Builder::Alerts(b), Row::Alert(a)) => b.append(a),
                (Builder::ChatScans(b), Row::ChatScan(s)) => b.append(s),
                (Builder::ModerationAlerts(b), Row::Moderation(a)) => b.append(a),
                (Builder::Erasures(b), Row::Erasure(r)) => b.append(r),
                _ => unreachable!("grouped by table above"),
            }
        }
        let mut files = Vec::with_capacity(groups.len());
        for ((table, date, hour), mut builder) in groups {
            let batch = match &mut builder {
                Builder::Events(b) => b.finish(),
                Builder::Dead(b) => b.finish(),
                Builder::Recommendations(b) => b.finish(),
                Builder::ActivityHours(b) => b.finish(),
                Builder::Forecasts(b) => b.finish(),
                Builder::Alerts(b) => b.finish(),
                Builder::ChatScans(b) => b.finish(),
                Builder::ModerationAlerts(b) => b.finish(),
                Builder::Erasures(b) => b.finish(),
            }
            .map_err(|e| SinkError::new(format!("building a batch of {}", table.name()), e))?;
            let partition = PathBuf::from(table.name())
                .join(format!("date={date}"))
                .join(format!("hour={hour:02}"))
                .join(format!("{}-{}.parquet", self.prefix, self.seq));
            self.seq += 1;
            let staged = self.layout.staging.join(&partition);
            self.write(table, &batch, &staged)?;
            files.push(StagedFile {
                table: table.name().to_string(),
                staged,
                path: self.layout.root.join(&partition),
                rows: batch.num_rows() as u64,
            });
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use cohort_schemas::activity::{AlertStatus, Severity};
    use cohort_schemas::lake::moderation_alerts_from_batch;
    use cohort_schemas::moderation::{ModerationKind, VerdictOutcome};
    use cohort_schemas::serving::{ServingChange, ServingRow};
    use datafusion::arrow::array::{Float64Array, Int32Array, Int64Array, StringArray};
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;

    fn change(row: ServingRow, diff: i64) -> Record {
        Record::Serving(ServingChange { row, diff })
    }

    fn rec(rank: u32, item: &str) -> ServingRow {
        ServingRow::Recommendation {
            community_id: "c".into(),
            user_id: "u".into(),
            rank,
            item_id: item.into(),
            score_micros: 2_500_000,
            reason: "trending".into(),
        }
    }

    /// Each staged file's partition directory (relative to the lake root) and row count.
    fn partitions(layout: &LakeLayout, files: &[StagedFile]) -> Vec<(String, u64)> {
        files
            .iter()
            .map(|f| {
                let rel = f.path.strip_prefix(&layout.root).unwrap();
                let dir = rel.parent().unwrap().to_string_lossy().into_owned();
                (dir, f.rows)
            })
            .collect()
    }

    /// The first batch of a staged file.
    fn read_back(file: &StagedFile) -> RecordBatch {
        let file = File::open(&file.staged).unwrap();
        let mut reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        reader.next().unwrap().unwrap()
    }

    #[test]
    fn moderation_alert_states_are_filed_under_the_hour_of_their_latest_change() {
        let dir = tempfile::tempdir().unwrap();
        let layout = LakeLayout::new(dir.path());
        let mut writer = ParquetEpochWriter::new(layout.clone(), "run", 0);
        // First seen 2026-01-01T00:59:00Z, seen again at 01:10, closed at 02:10.
        let open = ModerationAlert {
            community_id: "c".into(),
            channel_id: "general".into(),
            member_id: "u7".into(),
            kind: ModerationKind::Spam,
            rule: "flood.rate".into(),
            severity: Severity::Major,
            score: 1.5,
            evidence: "12 messages in 60 s".into(),
            first_seen_ms: 1_767_229_140_000,
            last_seen_ms: 1_767_229_800_000,
            count: 2,
            status: AlertStatus::Open,
            closed_ms: None,
            verdict: None,
        };
        let closed = ModerationAlert {
            status: AlertStatus::Closed,
            closed_ms: Some(1_767_233_400_000),
            verdict: Some(VerdictOutcome::Confirmed),
            ..open.clone()
        };
        // The timely time (the first sighting's second) does not choose the partition.
        let time = 1_767_229_140;
        let records = vec![
            (time, Record::Moderation(open.clone())),
            (time, Record::Moderation(closed.clone())),
        ];
        let files = writer.stage(&records).unwrap();
        assert_eq!(
            partitions(&layout, &files),
            vec![
                ("moderation_alerts/date=2026-01-01/hour=01".to_string(), 1),
                ("moderation_alerts/date=2026-01-01/hour=02".to_string(), 1),
            ]
        );
        assert!(files.iter().all(|f| f.table == "moderation_alerts"));
        let back: Vec<ModerationAlert> = files
            .iter()
            .flat_map(|f| {
                let batch = read_back(f);
                assert_eq!(batch.schema(), LakeTable::ModerationAlerts.schema());
                moderation_alerts_from_batch(&batch).unwrap()
            })
            .collect();
        assert_eq!(back, vec![open, closed]);
    }

    #[test]
    fn recommendation_changes_are_staged_per_hour_and_similar_items_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let layout = LakeLayout::new(dir.path());
        let mut writer = ParquetEpochWriter::new(layout.clone(), "run", 0);
        // 2026-01-01T00:00:10Z and 01:00:00Z.
        let (t0, t1) = (1_767_225_610, 1_767_229_200);
        let similar = ServingRow::SimilarItem {
            community_id: "c".into(),
            item_id: "a".into(),
            rank: 1,
            other_item_id: "b".into(),
            score_micros: 1,
        };
        let records = vec![
            (t0, change(rec(1, "a"), 1)),
            (t0, change(rec(2, "b"), -1)),
            (t0, change(similar, 1)),
            (t1, change(rec(1, "c"), 1)),
        ];
        let files = writer.stage(&records).unwrap();
        assert_eq!(
            partitions(&layout, &files),
            vec![
                ("recommendations/date=2026-01-01/hour=00".to_string(), 2),
                ("recommendations/date=2026-01-01/hour=01".to_string(), 1),
            ]
        );
        assert!(files.iter().all(|f| f.table == "recommendations"));

        let batch = read_back(&files[0]);
        assert_eq!(batch.schema(), LakeTable::Recommendations.schema());
        let column = |name: &str| batch.column_by_name(name).unwrap().clone();
        let items = column("item_id");
        let items = items.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!((items.value(0), items.value(1)), ("a", "b"));
        let diff = column("diff");
        let diff = diff.as_any().downcast_ref::<Int32Array>().unwrap();
        assert_eq!((diff.value(0), diff.value(1)), (1, -1));
        let epoch = column("epoch");
        let epoch = epoch.as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(epoch.value(1), t0 as i64);
        let score = column("score");
        let score = score.as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(score.value(0), 2.5);
    }
}
