//! The shape the derived tables share: per community, an owner's ranked list of items with scores
//! (`recommendations`: a member's items, with a reason; `similar_items`: an item's neighbours;
//! `trending_items`: the community's own list, so no owner column). One descriptor per table
//! generates its SQL, so deletes, inserts and reads are written once.
//!
//! Statements always take the parameters (community ?1, owner ?2, rank ?3, item ?4, …); a table
//! without an owner column simply does not mention ?2.

use cohort_schemas::serving::{RowParts, SCORE_SCALE, ServingRow, ServingTable};
use rusqlite::ToSql;

/// A derived serving table.
pub(super) struct Table {
    /// Which table.
    kind: ServingTable,
    /// Table name.
    name: &'static str,
    /// The column whose list a row belongs to (none: one list per community).
    owner: Option<&'static str>,
    /// The column of the listed item.
    item: &'static str,
    /// Whether the table has a `reason` column.
    reason: bool,
}

/// `recommendations`: a member's top items.
pub(super) const RECOMMENDATIONS: Table = Table {
    kind: ServingTable::Recommendations,
    name: "recommendations",
    owner: Some("user_id"),
    item: "item_id",
    reason: true,
};

/// `similar_items`: an item's nearest neighbours.
pub(super) const SIMILAR_ITEMS: Table = Table {
    kind: ServingTable::SimilarItems,
    name: "similar_items",
    owner: Some("item_id"),
    item: "other_item_id",
    reason: false,
};

/// `trending_items`: a community's trending items.
pub(super) const TRENDING_ITEMS: Table = Table {
    kind: ServingTable::TrendingItems,
    name: "trending_items",
    owner: None,
    item: "item_id",
    reason: false,
};

/// The `strftime` of `updated_at`, the same as `checkpoints.committed_at`.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

impl Table {
    /// Deletes the row with key (?1, ?2, ?3) if it still lists item ?4.
    pub(super) fn delete_sql(&self) -> String {
        format!(
            "DELETE FROM {} WHERE community_id = ?1 {}AND rank = ?3 AND {} = ?4",
            self.name,
            self.owner_filter(),
            self.item
        )
    }

    /// `AND <owner> = ?2 ` for tables with an owner column.
    fn owner_filter(&self) -> String {
        self.owner
            .map(|owner| format!("AND {owner} = ?2 "))
            .unwrap_or_default()
    }

    /// Inserts or replaces a row: key ?1..?3, item ?4, score ?5, epoch ?6 (and reason ?7).
    pub(super) fn insert_sql(&self) -> String {
        let (column, value) = if self.reason {
            (", reason", ", ?7")
        } else {
            ("", "")
        };
        let (owner, owner_value) = match self.owner {
            Some(owner) => (format!("{owner}, "), "?2, "),
            None => (String::new(), ""),
        };
        format!(
            "INSERT OR REPLACE INTO {} (community_id, {owner}rank, {}, score, epoch, updated_at{column})
             VALUES (?1, {owner_value}?3, ?4, ?5, ?6, {NOW}{value})",
            self.name, self.item
        )
    }

    /// Selects rows in key order, as [`Table::read_row`] reads them; with `one_list`, only the
    /// list of (?1, ?2) (of ?1 for a table without owner).
    pub(super) fn select_sql(&self, one_list: bool) -> String {
        let reason = if self.reason { "reason" } else { "NULL" };
        let owner = self.owner.unwrap_or("''");
        let filter = match (one_list, self.owner) {
            (false, _) => String::new(),
            (true, Some(owner)) => format!("WHERE community_id = ?1 AND {owner} = ?2"),
            (true, None) => "WHERE community_id = ?1".to_string(),
        };
        format!(
            "SELECT community_id, {owner}, rank, {}, score, {reason} FROM {} {filter}
             ORDER BY community_id, {owner}, rank",
            self.item, self.name,
        )
    }

    /// Reads a row selected by [`Table::select_sql`].
    pub(super) fn read_row(&self, r: &rusqlite::Row<'_>) -> rusqlite::Result<ServingRow> {
        Ok(ServingRow::from_parts(RowParts {
            table: self.kind,
            community_id: r.get(0)?,
            owner: r.get(1)?,
            rank: r.get(2)?,
            item: r.get(3)?,
            score_micros: micros_of_score(r.get(4)?),
            reason: r.get(5)?,
        }))
    }
}

/// The table of `row`.
pub(super) fn table_of(row: &ServingRow) -> &'static Table {
    match row {
        ServingRow::Recommendation { .. } => &RECOMMENDATIONS,
        ServingRow::SimilarItem { .. } => &SIMILAR_ITEMS,
        ServingRow::Trending { .. } => &TRENDING_ITEMS,
    }
}

/// Parameters of [`Table::delete_sql`] (and the first four of [`Table::insert_sql`]).
pub(super) fn key_and_item<'a>(parts: &'a RowParts<&'a str>) -> [&'a dyn ToSql; 4] {
    [&parts.community_id, &parts.owner, &parts.rank, &parts.item]
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
