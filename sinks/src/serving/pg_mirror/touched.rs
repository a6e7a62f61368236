//! Which rows of the serving tables one commit may have changed, named by key: the lists, series,
//! alerts and erased members its updates touch. The mirror replaces exactly those rows, so the
//! SQLite store's rules (which state of an alert wins, when a forecast stands) are applied once, in
//! SQLite, and PostgreSQL receives their outcome.

use std::collections::{BTreeMap, BTreeSet};

use cohort_pipeline::checkpoint::ServingUpdates;
use cohort_schemas::activity::ActivityOutput;
use cohort_schemas::lake::erasure_digest;
use cohort_schemas::serving::ServingTable;

/// A group of rows of one table that share the values of some columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct KeyGroup {
    /// The table.
    pub table: &'static str,
    /// The columns whose values name the group.
    pub columns: &'static [&'static str],
}

/// A member's recommendations.
const MEMBER_RECOMMENDATIONS: KeyGroup = KeyGroup {
    table: "recommendations",
    columns: &["community_id", "user_id"],
};
/// An item's neighbours.
const ITEM_NEIGHBOURS: KeyGroup = KeyGroup {
    table: "similar_items",
    columns: &["community_id", "item_id"],
};
/// A community's trending items.
const COMMUNITY_TRENDING: KeyGroup = KeyGroup {
    table: "trending_items",
    columns: &["community_id"],
};
/// The rows of one forecast series.
const SERIES_FORECAST: KeyGroup = KeyGroup {
    table: "forecasts",
    columns: &["community_id", "channel_id", "metric"],
};
/// One alert.
const ALERT: KeyGroup = KeyGroup {
    table: "alerts",
    columns: &["alert_id"],
};
/// Every alert about one member (an erasure removes them).
const MEMBER_ALERTS: KeyGroup = KeyGroup {
    table: "alerts",
    columns: &["member_id"],
};
/// One member's raw id.
const MEMBER_ID: KeyGroup = KeyGroup {
    table: "member_ids",
    columns: &["member_id"],
};
/// One erased member's digest.
const ERASED_MEMBER: KeyGroup = KeyGroup {
    table: "erased_members",
    columns: &["member_digest"],
};

/// The tables the mirror keeps, each with the column order of its rows. `checkpoints` is written
/// separately, one row per commit.
pub(crate) const MIRRORED_TABLES: &[&str] = &[
    "recommendations",
    "similar_items",
    "trending_items",
    "forecasts",
    "alerts",
    "erased_members",
    "member_ids",
];

/// The keys one commit touched, per group.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Touched {
    /// Group → the value tuples of its columns.
    pub groups: BTreeMap<KeyGroup, BTreeSet<Vec<String>>>,
}

impl Touched {
    /// The keys `updates` touch.
    pub(crate) fn of(updates: &ServingUpdates) -> Touched {
        let mut touched = Touched::default();
        for change in &updates.changes {
            let parts = change.row.parts();
            match parts.table {
                ServingTable::Recommendations => {
                    touched.add(MEMBER_RECOMMENDATIONS, [parts.community_id, parts.owner])
                }
                ServingTable::SimilarItems => {
                    touched.add(ITEM_NEIGHBOURS, [parts.community_id, parts.owner])
                }
                ServingTable::TrendingItems => {
                    touched.add(COMMUNITY_TRENDING, [parts.community_id])
                }
            }
        }
        for output in &updates.activity {
            match output {
                ActivityOutput::Forecast(f) => touched.add(
                    SERIES_FORECAST,
                    [
                        f.series.community_id.as_str(),
                        &f.series.channel_id,
                        &f.series.metric,
                    ],
                ),
                ActivityOutput::Alert(a) => touched.add(ALERT, [a.alert_id().as_str()]),
                ActivityOutput::Hour(_) => {}
            }
        }
        for alert in &updates.moderation {
            touched.add(ALERT, [alert.alert_id().as_str()]);
        }
        for (stored, _) in &updates.member_ids {
            touched.add(MEMBER_ID, [stored.as_str()]);
        }
        for member in &updates.erased {
            touched.add(MEMBER_ALERTS, [member.as_str()]);
            touched.add(MEMBER_ID, [member.as_str()]);
            touched.add(ERASED_MEMBER, [erasure_digest(member).as_str()]);
        }
        touched
    }

    fn add<const N: usize>(&mut self, group: KeyGroup, values: [&str; N]) {
        self.groups
            .entry(group)
            .or_default()
            .insert(values.iter().map(|v| v.to_string()).collect());
    }
}

#[cfg(test)]
mod tests {
    use cohort_schemas::serving::{ServingChange, ServingRow};

    use super::*;

    #[test]
    fn a_commit_touches_the_lists_of_its_changed_rows_and_the_alerts_of_erased_members() {
        let row = |user: &str, rank| ServingRow::Recommendation {
            community_id: "c1".into(),
            user_id: user.into(),
            rank,
            item_id: "i1".into(),
            score_micros: 1,
            reason: "i2".into(),
        };
        let updates = ServingUpdates {
            changes: vec![
                ServingChange {
                    row: row("m1", 1),
                    diff: 1,
                },
                ServingChange {
                    row: row("m1", 2),
                    diff: -1,
                },
                ServingChange {
                    row: row("m2", 1),
                    diff: 1,
                },
            ],
            erased: vec!["m3".into()],
            ..ServingUpdates::default()
        };
        let touched = Touched::of(&updates);
        let keys = |group| -> Vec<Vec<String>> { touched.groups[&group].iter().cloned().collect() };
        assert_eq!(
            keys(MEMBER_RECOMMENDATIONS),
            vec![
                vec!["c1".to_string(), "m1".into()],
                vec!["c1".into(), "m2".into()]
            ]
        );
        assert_eq!(keys(MEMBER_ALERTS), vec![vec!["m3".to_string()]]);
        assert_eq!(keys(ERASED_MEMBER), vec![vec![erasure_digest("m3")]]);
        assert_eq!(keys(MEMBER_ID), vec![vec!["m3".to_string()]]);
        assert_eq!(touched.groups.len(), 4);
    }
}
