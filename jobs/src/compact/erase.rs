//! One record batch without the erased members: the rows they made go, and where another row
//! names them (a chat mention, an item's author, an alert's evidence) the name becomes
//! [`ERASED`] and the row stays.
//!
//! Members are recognised by the register's digests ([`erasure_digest`]), never by their ids:
//! compaction does not know whom it erases. A member column's value is erased when its digest is
//! in the register; in any other text, each pseudonym (`pm_` and 32 hex digits) is checked the
//! same way, and so is a whole short value (an `author_id`, a mention kept as a raw id).

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use cohort_schemas::lake::erasure_digest;
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, ListArray, StringArray};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;

use crate::privacy::member_ids::pseudonym_ranges;

/// What replaces an erased member's id where a row of someone else names them.
pub const ERASED: &str = "[erased]";

/// Columns that say whose row it is: a row whose value here is erased goes entirely.
pub const MEMBER_COLUMNS: [&str; 2] = ["user_id", "member_id"];

/// Values longer than this are never a member id as a whole (ids are 1–128 bytes; pseudonyms 35).
const MAX_ID_BYTES: usize = 256;

/// The register of erased members, as digests.
#[derive(Debug, Default)]
pub struct Eraser {
    digests: HashSet<String>,
}

/// What erasing did to one batch.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchErasure {
    /// Rows removed (made by an erased member).
    pub rows_removed: u64,
    /// Values in other rows where an erased member's id was replaced by [`ERASED`].
    pub values_scrubbed: u64,
}

impl Eraser {
    /// An eraser of the members whose digests are `digests`.
    pub fn new(digests: impl IntoIterator<Item = String>) -> Eraser {
        Eraser {
            digests: digests.into_iter().collect(),
        }
    }

    /// How many members the register holds.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// Whether the register is empty (nothing to erase).
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    fn erased(&self, id: &str) -> bool {
        id.len() <= MAX_ID_BYTES && self.digests.contains(&erasure_digest(id))
    }

    /// `batch` without the erased members, or `None` when it names none of them.
    pub fn batch(
        &self,
        batch: &RecordBatch,
    ) -> Result<Option<(RecordBatch, BatchErasure)>, ArrowError> {
        let mut report = BatchErasure::default();
        let keep = self.rows_to_keep(batch);
        let filtered = match &keep {
            Some(mask) => {
                report.rows_removed = mask.false_count() as u64;
                filter_record_batch(batch, mask)?
            }
            None => batch.clone(),
        };
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(filtered.num_columns());
        let schema = filtered.schema();
        for (field, column) in schema.fields().iter().zip(filtered.columns()) {
            let scrubbed = match field.data_type() {
                DataType::Utf8 => self.scrub_strings(column, &mut report.values_scrubbed),
                DataType::List(_) => self.scrub_list(column, &mut report.values_scrubbed)?,
                _ => None,
            };
            columns.push(scrubbed.unwrap_or_else(|| Arc::clone(column)));
        }
        if report == BatchErasure::default() {
            return Ok(None);
        }
        let out = RecordBatch::try_new(schema, columns)?;
        Ok(Some((out, report)))
    }

    /// The rows to keep, or `None` when every row stays.
    fn rows_to_keep(&self, batch: &RecordBatch) -> Option<BooleanArray> {
        let members: Vec<&StringArray> = MEMBER_COLUMNS
            .iter()
            .filter_map(|name| batch.column_by_name(name))
            .filter_map(|c| c.as_any().downcast_ref::<StringArray>())
            .collect();
        let keep: BooleanArray = (0..batch.num_rows())
            .map(|row| {
                Some(
                    !members
                        .iter()
                        .any(|column| column.is_valid(row) && self.erased(column.value(row))),
                )
            })
            .collect();
        (keep.false_count() > 0).then_some(keep)
    }

    /// One value with every erased member's id in it replaced.
    fn scrub<'a>(&self, value: &'a str) -> Cow<'a, str> {
        if self.erased(value) {
            return Cow::Borrowed(ERASED);
        }
        let ranges = pseudonym_ranges(value);
        let hits: Vec<_> = ranges
            .into_iter()
            .filter(|r| self.erased(&value[r.clone()]))
            .collect();
        if hits.is_empty() {
            return Cow::Borrowed(value);
        }
        let mut out = String::with_capacity(value.len());
        let mut at = 0;
        for r in hits {
            out.push_str(&value[at..r.start]);
            out.push_str(ERASED);
            at = r.end;
        }
        out.push_str(&value[at..]);
        Cow::Owned(out)
    }

    /// A string column with erased ids replaced, or `None` when it has none.
    fn scrub_strings(&self, column: &ArrayRef, count: &mut u64) -> Option<ArrayRef> {
        let strings = column.as_any().downcast_ref::<StringArray>()?;
        let mut changed = 0u64;
        let values: Vec<Option<Cow<'_, str>>> = strings
            .iter()
            .map(|v| {
                v.map(|v| {
                    let s = self.scrub(v);
                    changed += u64::from(s.as_ref() != v);
                    s
                })
            })
            .collect();
        if changed == 0 {
            return None;
        }
        *count += changed;
        Some(Arc::new(values.into_iter().collect::<StringArray>()))
    }

    /// A list-of-strings column (mentions, tags) with erased ids replaced, or `None`.
    fn scrub_list(
        &self,
        column: &ArrayRef,
        count: &mut u64,
    ) -> Result<Option<ArrayRef>, ArrowError> {
        let Some(list) = column.as_any().downcast_ref::<ListArray>() else {
            return Ok(None);
        };
        let Some(values) = self.scrub_strings(list.values(), count) else {
            return Ok(None);
        };
        let DataType::List(field) = list.data_type() else {
            return Ok(None);
        };
        let rebuilt = ListArray::try_new(
            Arc::clone(field),
            list.offsets().clone(),
            values,
            list.nulls().cloned(),
        )?;
        Ok(Some(Arc::new(rebuilt)))
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{ListBuilder, StringBuilder};
    use datafusion::arrow::datatypes::{Field, Schema};

    use super::*;

    const GONE: &str = "pm_0123456789abcdef0123456789abcdef";
    const STAYS: &str = "pm_fedcba9876543210fedcba9876543210";

    fn batch() -> RecordBatch {
        let mut mentions = ListBuilder::new(StringBuilder::new());
        for row in [vec![GONE, STAYS], vec![], vec![STAYS]] {
            for m in row {
                mentions.values().append_value(m);
            }
            mentions.append(true);
        }
        let mentions = mentions.finish();
        let schema = Arc::new(Schema::new(vec![
            Field::new("user_id", DataType::Utf8, false),
            Field::new("text", DataType::Utf8, false),
            Field::new("mentions", mentions.data_type().clone(), true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![STAYS, GONE, STAYS])),
                Arc::new(StringArray::from(vec![
                    format!("hi @{GONE} and @{STAYS}"),
                    "mine".to_string(),
                    "plain".to_string(),
                ])),
                Arc::new(mentions),
            ],
        )
        .unwrap()
    }

    #[test]
    fn the_member_s_rows_go_and_mentions_of_them_are_replaced() {
        let eraser = Eraser::new([erasure_digest(GONE)]);
        let (out, report) = eraser.batch(&batch()).unwrap().unwrap();
        assert_eq!(
            report,
            BatchErasure {
                rows_removed: 1,
                values_scrubbed: 2
            }
        );
        assert_eq!(out.num_rows(), 2);
        let text = format!("{out:?}");
        assert!(!text.contains(GONE), "{text}");
        assert!(
            text.contains(&format!("hi @{ERASED} and @{STAYS}")),
            "{text}"
        );
        // Applying the register again changes nothing: compaction is idempotent.
        assert!(eraser.batch(&out).unwrap().is_none());
    }

    #[test]
    fn a_batch_without_erased_members_is_left_alone() {
        let eraser = Eraser::new([erasure_digest("pm_99999999999999999999999999999999")]);
        assert!(eraser.batch(&batch()).unwrap().is_none());
    }
}
