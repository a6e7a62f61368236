//! The `recommendations` table: change records of the serving table of the same name. A row that
//! appeared has `diff` +1, one that went has -1; summed per row they give the serving table.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::batch::{BatchBuilder, TableColumns};
use crate::serving::{RowParts, SCORE_SCALE, ServingChange, ServingRow};

/// The Arrow schema of `recommendations`.
pub fn recommendation_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("community_id", DataType::Utf8, false),
        Field::new("user_id", DataType::Utf8, false),
        Field::new("item_id", DataType::Utf8, false),
        Field::new("rank", DataType::Int32, false),
        Field::new("score", DataType::Float64, false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("epoch", DataType::Int64, false),
        Field::new("diff", DataType::Int32, false),
    ]))
}

/// One change record of `recommendations`, borrowed from a [`ServingChange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecommendationChange<'a> {
    /// The timely time of the change: event-time seconds.
    pub epoch: u64,
    /// The recommendation (its owner is the member).
    pub row: RowParts<&'a str>,
    /// +1 the row appeared, -1 it went.
    pub diff: i64,
}

impl<'a> RecommendationChange<'a> {
    /// The change record of `change` at time `epoch`, or `None` when the change is not of a
    /// recommendation (similar items have no lake table).
    pub fn of(epoch: u64, change: &'a ServingChange) -> Option<Self> {
        matches!(change.row, ServingRow::Recommendation { .. }).then(|| RecommendationChange {
            epoch,
            row: change.row.parts(),
            diff: change.diff,
        })
    }
}

/// Accumulates change records into a record batch of [`recommendation_schema`].
pub type RecommendationBatchBuilder = BatchBuilder<RecommendationColumns>;

/// The column builders of `recommendations`.
#[derive(Default)]
pub struct RecommendationColumns {
    community_id: StringBuilder,
    user_id: StringBuilder,
    item_id: StringBuilder,
    rank: Int32Builder,
    score: Float64Builder,
    reason: StringBuilder,
    epoch: Int64Builder,
    diff: Int32Builder,
}

impl TableColumns for RecommendationColumns {
    type Row<'a> = RecommendationChange<'a>;

    fn schema(&self) -> SchemaRef {
        recommendation_schema()
    }

    fn push(&mut self, c: RecommendationChange<'_>) {
        self.community_id.append_value(c.row.community_id);
        self.user_id.append_value(c.row.owner);
        self.item_id.append_value(c.row.item);
        self.rank
            .append_value(i32::try_from(c.row.rank).unwrap_or(i32::MAX));
        self.score
            .append_value(c.row.score_micros as f64 / SCORE_SCALE);
        self.reason.append_value(c.row.reason.unwrap_or_default());
        self.epoch
            .append_value(i64::try_from(c.epoch).unwrap_or(i64::MAX));
        // Consolidated changes are +1 or -1; clamping only guards the column type.
        self.diff
            .append_value(c.diff.clamp(i32::MIN.into(), i32::MAX.into()) as i32);
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.community_id.finish()),
            Arc::new(self.user_id.finish()),
            Arc::new(self.item_id.finish()),
            Arc::new(self.rank.finish()),
            Arc::new(self.score.finish()),
            Arc::new(self.reason.finish()),
            Arc::new(self.epoch.finish()),
            Arc::new(self.diff.finish()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Float64Array, Int32Array, Int64Array, StringArray};

    use super::*;

    fn change(rank: u32, diff: i64) -> ServingChange {
        ServingChange {
            row: ServingRow::Recommendation {
                community_id: "c".into(),
                user_id: "u".into(),
                rank,
                item_id: format!("i{rank}"),
                score_micros: 1_500_000,
                reason: "trending".into(),
            },
            diff,
        }
    }

    #[test]
    fn change_records_fill_every_column() {
        let changes = [change(1, 1), change(2, -1)];
        let mut builder = RecommendationBatchBuilder::default();
        for c in &changes {
            builder.append(RecommendationChange::of(7, c).unwrap());
        }
        assert_eq!(builder.len(), 2);
        let batch = builder.finish().unwrap();
        assert!(builder.is_empty());
        assert_eq!(batch.schema(), recommendation_schema());
        let col = |name| batch.column_by_name(name).unwrap().clone();
        let items = col("item_id");
        let items = items.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(items.value(1), "i2");
        let score = col("score");
        let score = score.as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(score.value(0), 1.5);
        let epoch = col("epoch");
        assert_eq!(
            epoch
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .value(0),
            7
        );
        let diff = col("diff");
        let diff = diff.as_any().downcast_ref::<Int32Array>().unwrap();
        assert_eq!((diff.value(0), diff.value(1)), (1, -1));
    }

    #[test]
    fn the_table_is_listed_by_name() {
        let table = crate::lake::LakeTable::from_name("recommendations");
        assert_eq!(table, Some(crate::lake::LakeTable::Recommendations));
        assert_eq!(table.unwrap().schema(), recommendation_schema());
    }

    #[test]
    fn similar_items_have_no_change_record() {
        let similar = ServingChange {
            row: ServingRow::SimilarItem {
                community_id: "c".into(),
                item_id: "i".into(),
                rank: 1,
                other_item_id: "j".into(),
                score_micros: 1,
            },
            diff: 1,
        };
        assert_eq!(RecommendationChange::of(1, &similar), None);
    }
}
