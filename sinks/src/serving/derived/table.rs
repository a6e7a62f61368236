//! The shape both derived tables share: per community, an owner's ranked list of items with scores
//! (`recommendations`: a member's items, with a reason; `similar_items`: an item's neighbours). One
//! descriptor per table generates its SQL, so deletes, inserts and reads are written once.

use cohort_schemas::serving::{RowParts, SCORE_SCALE, ServingRow};
use rusqlite::ToSql;

/// A derived serving table.
pub(super) struct Table {
    /// Table name.
    name: &'static str,
    /// The column whose list a row belongs to.
    owner: &'static str,
    /// The column of the listed item.
    item: &'static str,
    /// Whether the table has a `reason` column.
    reason: bool,
}

/// `recommendations`: a member's top items.
pub(super) const RECOMMENDATIONS: Table = Table {
    name: "recommendations",
    owner: "user_id",
    item: "item_id",
    reason: true,
};

/// `similar_items`: an item's nearest neighbours.
pub(super) const SIMILAR_ITEMS: Table = Table {
    name: "similar_items",
    owner: "item_id",
    item: "other_item_id",
    reason: false,
};

/// The `strftime` of `updated_at`, the same as `checkpoints.committed_at`.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

impl Table {
    /// Deletes the row with key (?1, ?2, ?3) if it still lists item ?4.
    pub(super) fn delete_sql(&self) -> String {
        format!(
            "DELETE FROM {} WHERE community_id = ?1 AND {} = ?2 AND rank = ?3 AND {} = ?4",
            self.name, self.owner, self.item
        )
    }

    /// Inserts or replaces a row: key ?1..?3, item ?4, score ?5, epoch ?6 (and reason ?7).
    pub(super) fn insert_sql(&self) -> String {
        let (column, value) = if self.reason {
            (", reason", ", ?7")
        } else {
            ("", "")
        };
        format!(
            "INSERT OR REPLACE INTO {} (community_id, {}, rank, {}, score, epoch, updated_at{column})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, {NOW}{value})",
            self.name, self.owner, self.item
        )
    }

    /// Selects rows in key order, as [`read_row`] reads them; with `one_list`, only the list of (?1, ?2).
    pub(super) fn select_sql(&self, one_list: bool) -> String {
        let reason = if self.reason { "reason" } else { "NULL" };
        let filter = if one_list {
            format!("WHERE community_id = ?1 AND {} = ?2", self.owner)
        } else {
            String::new()
        };
        format!(
            "SELECT community_id, {owner}, rank, {}, score, {reason} FROM {} {filter}
             ORDER BY community_id, {owner}, rank",
            self.item,
            self.name,
            owner = self.owner
        )
    }
}

/// The table of `row`.
pub(super) fn table_of(row: &ServingRow) -> &'static Table {
    match row {
        ServingRow::Recommendation { .. } => &RECOMMENDATIONS,
        ServingRow::SimilarItem { .. } => &SIMILAR_ITEMS,
    }
}

/// Parameters of [`Table::delete_sql`] (and the first four of [`Table::insert_sql`]).
pub(super) fn key_and_item<'a>(parts: &'a RowParts<&'a str>) -> [&'a dyn ToSql; 4] {
    [&parts.community_id, &parts.owner, &parts.rank, &parts.item]
}

/// Reads a row selected by [`Table::select_sql`] (whose `reason` is NULL for similar items).
pub(super) fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ServingRow> {
    Ok(ServingRow::from_parts(RowParts {
        community_id: r.get(0)?,
        owner: r.get(1)?,
        rank: r.get(2)?,
        item: r.get(3)?,
        score_micros: micros_of_score(r.get(4)?),
        reason: r.get(5)?,
    }))
}

/// The `score` column of a score in millionths.
pub(super) fn score_of_micros(micros: i64) -> f64 {
    micros as f64 / SCORE_SCALE
}

/// The score in millionths of a `score` column: exact for every value [`score_of_micros`] wrote
/// below 2^51 millionths in magnitude (scores up to about two billion).
pub(super) fn micros_of_score(score: f64) -> i64 {
    (score * SCORE_SCALE).round() as i64
}
