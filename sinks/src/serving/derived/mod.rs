//! The derived serving tables (`recommendations`, `similar_items`, `trending_items`): changes applied in the
//! checkpoint's transaction, and reads for the job's restart and for backends.

mod table;
#[cfg(test)]
mod tests;

use cohort_schemas::serving::{ServingChange, ServingRow};
use rusqlite::{Connection, ToSql, params_from_iter};

use self::table::{
    RECOMMENDATIONS, SIMILAR_ITEMS, TRENDING_ITEMS, Table, key_and_item, score_of_micros, table_of,
};
use super::{SqliteStore, StoreError};

/// Applies consolidated `changes` (each row at most once) committed at `epoch`: first every removed
/// row is deleted (only if its key still lists the same item), then every added row is inserted,
/// replacing whatever its key held.
pub(super) fn apply(
    conn: &Connection,
    epoch: i64,
    changes: &[ServingChange],
) -> rusqlite::Result<()> {
    for change in changes.iter().filter(|c| c.diff < 0) {
        let parts = change.row.parts();
        conn.prepare_cached(&table_of(&change.row).delete_sql())?
            .execute(params_from_iter(key_and_item(&parts)))?;
    }
    for change in changes.iter().filter(|c| c.diff > 0) {
        let parts = change.row.parts();
        let score = score_of_micros(parts.score_micros);
        let mut params = key_and_item(&parts).to_vec();
        params.extend([&score as &dyn ToSql, &epoch]);
        if let Some(reason) = &parts.reason {
            params.push(reason);
        }
        conn.prepare_cached(&table_of(&change.row).insert_sql())?
            .execute(params_from_iter(params))?;
    }
    Ok(())
}

impl SqliteStore {
    /// Every row of `recommendations`, `similar_items` and `trending_items` (in that order, each
    /// in key order).
    pub fn derived_rows(&self) -> Result<Vec<ServingRow>, StoreError> {
        let mut rows = self.select(&RECOMMENDATIONS, None)?;
        rows.append(&mut self.select(&SIMILAR_ITEMS, None)?);
        rows.append(&mut self.select(&TRENDING_ITEMS, None)?);
        Ok(rows)
    }

    /// The trending items of `community_id`, by rank: what a member without history is shown.
    pub fn trending_for(&self, community_id: &str) -> Result<Vec<ServingRow>, StoreError> {
        self.select(&TRENDING_ITEMS, Some(&[community_id]))
    }

    /// The recommendations of `user_id` in `community_id`, by rank.
    pub fn recommendations_for(
        &self,
        community_id: &str,
        user_id: &str,
    ) -> Result<Vec<ServingRow>, StoreError> {
        self.select(&RECOMMENDATIONS, Some(&[community_id, user_id]))
    }

    /// The items similar to `item_id` in `community_id`, by rank.
    pub fn similar_for(
        &self,
        community_id: &str,
        item_id: &str,
    ) -> Result<Vec<ServingRow>, StoreError> {
        self.select(&SIMILAR_ITEMS, Some(&[community_id, item_id]))
    }

    /// The rows of `table`, or of one list (community, and owner if the table has one) of it.
    fn select(
        &self,
        table: &'static Table,
        list: Option<&[&str]>,
    ) -> Result<Vec<ServingRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&table.select_sql(list.is_some()))
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params_from_iter(list.into_iter().flatten()), |r| {
                table.read_row(r)
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }
}
