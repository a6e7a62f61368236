//! Rows of the derived serving tables (`recommendations`, `similar_items`, `trending_items`), as
//! changes.
//!
//! Jobs maintain these tables incrementally: each commit carries the rows that appeared (+1) and
//! disappeared (-1) since the previous one, so only members whose lists changed are rewritten. Scores
//! travel as integers (millionths) so that the same change computed twice is equal, and +1/-1 pairs
//! cancel exactly when they are consolidated.

use serde::{Deserialize, Serialize};

/// Score units per 1.0: scores are stored as integer millionths.
pub const SCORE_SCALE: f64 = 1_000_000.0;

/// One row of a derived serving table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ServingRow {
    /// `recommendations`: one of a member's top-K items.
    Recommendation {
        /// The community.
        community_id: String,
        /// The member the item is recommended to.
        user_id: String,
        /// Position in the member's list, from 1.
        rank: u32,
        /// The recommended item.
        item_id: String,
        /// The score, in millionths.
        score_micros: i64,
        /// The history item that contributed most (or `trending` / `content` for fallbacks).
        reason: String,
    },
    /// `similar_items`: one of an item's top-M neighbours.
    SimilarItem {
        /// The community.
        community_id: String,
        /// The item.
        item_id: String,
        /// Position in the item's list, from 1.
        rank: u32,
        /// The neighbour.
        other_item_id: String,
        /// The similarity, in millionths.
        score_micros: i64,
    },
    /// `trending_items`: one of a community's top trending items: the list a member without any
    /// history gets (a backend serves it to members that `recommendations` does not know yet).
    Trending {
        /// The community.
        community_id: String,
        /// Position in the community's list, from 1.
        rank: u32,
        /// The item.
        item_id: String,
        /// The trending score (log2 of decayed popularity), in millionths.
        score_micros: i64,
    },
}

/// The derived serving tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServingTable {
    /// `recommendations`: per member.
    Recommendations,
    /// `similar_items`: per item.
    SimilarItems,
    /// `trending_items`: per community.
    TrendingItems,
}

impl ServingRow {
    /// The serving table the row belongs to.
    pub fn table(&self) -> &'static str {
        match self.kind() {
            ServingTable::Recommendations => "recommendations",
            ServingTable::SimilarItems => "similar_items",
            ServingTable::TrendingItems => "trending_items",
        }
    }

    /// The table the row belongs to, as a value.
    pub fn kind(&self) -> ServingTable {
        match self {
            ServingRow::Recommendation { .. } => ServingTable::Recommendations,
            ServingRow::SimilarItem { .. } => ServingTable::SimilarItems,
            ServingRow::Trending { .. } => ServingTable::TrendingItems,
        }
    }

    /// The score as a float.
    pub fn score(&self) -> f64 {
        self.parts().score_micros as f64 / SCORE_SCALE
    }
}

/// A row's columns in the shape the tables share: per community, an owner's (member's, item's, or
/// for trending the community's own) ranked list of items with scores; recommendations also have a
/// reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowParts<S> {
    /// The table.
    pub table: ServingTable,
    /// The community.
    pub community_id: S,
    /// Whose list: the member (`user_id`) or the item (`item_id`); empty for `trending_items`.
    pub owner: S,
    /// Position in the list, from 1.
    pub rank: u32,
    /// The listed item (`item_id` or `other_item_id`).
    pub item: S,
    /// The score, in millionths.
    pub score_micros: i64,
    /// The reason of a recommendation; `None` for similar items.
    pub reason: Option<S>,
}

impl ServingRow {
    /// The row's columns, borrowed.
    pub fn parts(&self) -> RowParts<&str> {
        match self {
            ServingRow::Recommendation {
                community_id,
                user_id,
                rank,
                item_id,
                score_micros,
                reason,
            } => RowParts {
                table: ServingTable::Recommendations,
                community_id,
                owner: user_id,
                rank: *rank,
                item: item_id,
                score_micros: *score_micros,
                reason: Some(reason),
            },
            ServingRow::SimilarItem {
                community_id,
                item_id,
                rank,
                other_item_id,
                score_micros,
            } => RowParts {
                table: ServingTable::SimilarItems,
                community_id,
                owner: item_id,
                rank: *rank,
                item: other_item_id,
                score_micros: *score_micros,
                reason: None,
            },
            ServingRow::Trending {
                community_id,
                rank,
                item_id,
                score_micros,
            } => RowParts {
                table: ServingTable::TrendingItems,
                community_id,
                owner: "",
                rank: *rank,
                item: item_id,
                score_micros: *score_micros,
                reason: None,
            },
        }
    }

    /// The row of `parts` (a recommendation without a reason gets an empty one).
    pub fn from_parts(parts: RowParts<String>) -> ServingRow {
        let RowParts {
            table,
            community_id,
            owner,
            rank,
            item,
            score_micros,
            reason,
        } = parts;
        match table {
            ServingTable::Recommendations => ServingRow::Recommendation {
                community_id,
                user_id: owner,
                rank,
                item_id: item,
                score_micros,
                reason: reason.unwrap_or_default(),
            },
            ServingTable::SimilarItems => ServingRow::SimilarItem {
                community_id,
                item_id: owner,
                rank,
                other_item_id: item,
                score_micros,
            },
            ServingTable::TrendingItems => ServingRow::Trending {
                community_id,
                rank,
                item_id: item,
                score_micros,
            },
        }
    }
}

/// A row that appeared (`diff` > 0) or disappeared (`diff` < 0).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ServingChange {
    /// The row.
    pub row: ServingRow,
    /// +1 inserted, -1 deleted (after consolidation, never anything else).
    pub diff: i64,
}

/// Sums the diffs of equal rows and drops the rows that cancel out, in row order.
pub fn consolidate(changes: impl IntoIterator<Item = ServingChange>) -> Vec<ServingChange> {
    let mut sums: std::collections::BTreeMap<ServingRow, i64> = Default::default();
    for change in changes {
        *sums.entry(change.row).or_insert(0) += change.diff;
    }
    sums.into_iter()
        .filter(|(_, diff)| *diff != 0)
        .map(|(row, diff)| ServingChange { row, diff })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn similar(rank: u32, other: &str) -> ServingRow {
        ServingRow::SimilarItem {
            community_id: "c".into(),
            item_id: "i".into(),
            rank,
            other_item_id: other.into(),
            score_micros: 5,
        }
    }

    #[test]
    fn rows_round_trip_through_their_parts() {
        let rec = ServingRow::Recommendation {
            community_id: "c".into(),
            user_id: "u".into(),
            rank: 2,
            item_id: "i".into(),
            score_micros: -3,
            reason: String::new(),
        };
        let trending = ServingRow::Trending {
            community_id: "c".into(),
            rank: 1,
            item_id: "i".into(),
            score_micros: 7,
        };
        for row in [rec, similar(1, "a"), trending] {
            let p = row.parts();
            let owned = RowParts {
                table: p.table,
                community_id: p.community_id.to_string(),
                owner: p.owner.to_string(),
                rank: p.rank,
                item: p.item.to_string(),
                score_micros: p.score_micros,
                reason: p.reason.map(str::to_string),
            };
            assert_eq!(ServingRow::from_parts(owned), row);
        }
    }

    #[test]
    fn opposite_changes_of_one_row_cancel() {
        let changes = vec![
            ServingChange {
                row: similar(1, "a"),
                diff: 1,
            },
            ServingChange {
                row: similar(1, "b"),
                diff: 1,
            },
            ServingChange {
                row: similar(1, "a"),
                diff: -1,
            },
        ];
        assert_eq!(
            consolidate(changes),
            vec![ServingChange {
                row: similar(1, "b"),
                diff: 1
            }]
        );
    }
}
