//! `cohort query`: SQL over the lake with DataFusion. Every lake table is registered with its Hive
//! partition columns (`date`, `hour`), so `WHERE date = '2026-11-02' AND hour = 20` prunes files.

use std::path::Path;
use std::sync::Arc;

use cohort_schemas::lake::LakeTable;
use cohort_sinks::LakeLayout;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;

/// A session with every lake table of `data_dir` registered. Tables with no files yet are registered
/// empty, so queries over them return no rows instead of failing.
pub async fn lake_session(data_dir: &Path) -> Result<SessionContext, DataFusionError> {
    let ctx = SessionContext::new();
    let layout = LakeLayout::new(data_dir);
    for table in LakeTable::all() {
        let dir = layout.table_dir(table.name());
        let schema = table.schema();
        if !dir.exists() {
            let empty = MemTable::try_new(schema, vec![vec![]])?;
            ctx.register_table(table.name(), Arc::new(empty))?;
            continue;
        }
        let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
            .with_file_extension(".parquet")
            .with_table_partition_cols(vec![
                ("date".to_string(), DataType::Utf8),
                ("hour".to_string(), DataType::Int32),
            ]);
        let url = ListingTableUrl::parse(format!("{}/", std::path::absolute(&dir)?.display()))?;
        let config = ListingTableConfig::new(url)
            .with_listing_options(options)
            .with_schema(schema);
        ctx.register_table(table.name(), Arc::new(ListingTable::try_new(config)?))?;
    }
    Ok(ctx)
}

/// Runs one SQL statement over the lake of `data_dir`.
pub async fn query(data_dir: &Path, sql: &str) -> Result<Vec<RecordBatch>, DataFusionError> {
    let ctx = lake_session(data_dir).await?;
    ctx.sql(sql).await?.collect().await
}
