//! Groups a worker's records by table and hour and writes one Parquet file per group.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use cohort_pipeline::checkpoint::{EpochWriter, SinkError, StagedFile};
use cohort_pipeline::record::Record;
use cohort_schemas::lake::{
    DeadLetterBatchBuilder, EventBatchBuilder, LAKE_FORMAT_VERSION, LakeTable,
};
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
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(1 << 20))
            .set_key_value_metadata(Some(vec![KeyValue::new(
                "cohort.lake_format".to_string(),
                LAKE_FORMAT_VERSION.to_string(),
            )]))
            .build();
        ParquetEpochWriter {
            layout,
            prefix: format!("part-{run_id}-{worker}"),
            seq: 0,
            properties: Arc::new(properties),
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
        for (_, record) in records {
            let (table, ts_ms) = match record {
                Record::Event(e) => (LakeTable::Events(e.kind()), e.ts_ms),
                Record::Dead(d) => (LakeTable::DeadLetters, d.ts_ms),
                Record::Progress(_) => continue,
            };
            let (date, hour) = partition_of_ms(ts_ms);
            let builder = groups
                .entry((table, date, hour))
                .or_insert_with(|| match table {
                    LakeTable::Events(kind) => Builder::Events(EventBatchBuilder::new(kind)),
                    LakeTable::DeadLetters => Builder::Dead(Box::default()),
                });
            match (builder, record) {
                (Builder::Events(b), Record::Event(e)) => b.append(e),
                (Builder::Dead(b), Record::Dead(d)) => b.append(d),
                _ => unreachable!("grouped by table above"),
            }
        }
        let mut files = Vec::with_capacity(groups.len());
        for ((table, date, hour), mut builder) in groups {
            let batch = match &mut builder {
                Builder::Events(b) => b.finish(),
                Builder::Dead(b) => b.finish(),
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
