//! Changes committed with checkpoints, read back.

use cohort_pipeline::checkpoint::{Checkpoint, CommitStore, ServingUpdates};
use cohort_schemas::serving::{ServingChange, ServingRow};
use proptest::prelude::*;

use super::table::{micros_of_score, score_of_micros};
use crate::serving::SqliteStore;

fn rec(user: &str, rank: u32, item: &str, score_micros: i64) -> ServingRow {
    ServingRow::Recommendation {
        community_id: "c1".into(),
        user_id: user.into(),
        rank,
        item_id: item.into(),
        score_micros,
        reason: format!("because-{item}"),
    }
}

fn similar(item: &str, rank: u32, other: &str, score_micros: i64) -> ServingRow {
    ServingRow::SimilarItem {
        community_id: "c1".into(),
        item_id: item.into(),
        rank,
        other_item_id: other.into(),
        score_micros,
    }
}

fn trending(rank: u32, item: &str, score_micros: i64) -> ServingRow {
    ServingRow::Trending {
        community_id: "c1".into(),
        rank,
        item_id: item.into(),
        score_micros,
    }
}

fn add(row: ServingRow) -> ServingChange {
    ServingChange { row, diff: 1 }
}

fn remove(row: ServingRow) -> ServingChange {
    ServingChange { row, diff: -1 }
}

struct Db {
    _dir: tempfile::TempDir,
    store: SqliteStore,
    epoch: u64,
}

impl Db {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("serving.db"), "test").unwrap();
        Db {
            _dir: dir,
            store,
            epoch: 0,
        }
    }

    fn commit(&mut self, changes: &[ServingChange]) {
        self.epoch += 3600;
        let mut checkpoint = Checkpoint::empty(1, "test".into());
        checkpoint.epoch = self.epoch;
        let updates = ServingUpdates {
            changes: changes.to_vec(),
            activity: Vec::new(),
            ..ServingUpdates::default()
        };
        self.store.commit(&checkpoint, &[], &updates).unwrap();
    }

    fn epochs(&self, table: &str) -> Vec<i64> {
        let sql = format!("SELECT DISTINCT epoch FROM {table} ORDER BY epoch");
        let mut stmt = self.store.conn.prepare(&sql).unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    }
}

#[test]
fn committed_rows_read_back_per_table_and_per_list() {
    let mut db = Db::new();
    let rows = vec![
        rec("u1", 2, "b", 1_250_000),
        rec("u1", 1, "a", 2_000_000),
        rec("u2", 1, "a", 17),
        similar("a", 1, "b", 900_000),
        similar("b", 1, "a", 900_000),
        trending(2, "b", 3_000_000),
        trending(1, "a", 4_000_000),
    ];
    db.commit(&rows.iter().cloned().map(add).collect::<Vec<_>>());

    let mut expected = rows.clone();
    expected.sort();
    assert_eq!(db.store.derived_rows().unwrap(), expected);
    assert_eq!(
        db.store.recommendations_for("c1", "u1").unwrap(),
        vec![rows[1].clone(), rows[0].clone()]
    );
    assert_eq!(
        db.store.recommendations_for("c1", "nobody").unwrap(),
        vec![]
    );
    assert_eq!(db.store.recommendations_for("c2", "u1").unwrap(), vec![]);
    assert_eq!(
        db.store.similar_for("c1", "b").unwrap(),
        vec![rows[4].clone()]
    );
    assert_eq!(
        db.store.trending_for("c1").unwrap(),
        vec![rows[6].clone(), rows[5].clone()]
    );
    assert_eq!(db.store.trending_for("c2").unwrap(), vec![]);
    assert_eq!(db.epochs("recommendations"), vec![3600]);
    assert_eq!(db.epochs("similar_items"), vec![3600]);
    assert_eq!(db.epochs("trending_items"), vec![3600]);
}

#[test]
fn a_trending_list_moves_by_rank() {
    let mut db = Db::new();
    db.commit(&[add(trending(1, "a", 9)), add(trending(2, "b", 8))]);
    db.commit(&[
        remove(trending(1, "a", 9)),
        remove(trending(2, "b", 8)),
        add(trending(1, "b", 10)),
        add(trending(2, "a", 9)),
    ]);
    assert_eq!(
        db.store.trending_for("c1").unwrap(),
        vec![trending(1, "b", 10), trending(2, "a", 9)]
    );
}

#[test]
fn a_key_removed_then_added_in_the_next_commit_holds_the_new_row() {
    let mut db = Db::new();
    db.commit(&[add(rec("u1", 1, "a", 5)), add(similar("a", 1, "b", 5))]);
    db.commit(&[
        remove(rec("u1", 1, "a", 5)),
        remove(similar("a", 1, "b", 5)),
    ]);
    assert_eq!(db.store.derived_rows().unwrap(), vec![]);
    db.commit(&[add(rec("u1", 1, "c", 6)), add(similar("a", 1, "c", 6))]);
    assert_eq!(
        db.store.derived_rows().unwrap(),
        vec![rec("u1", 1, "c", 6), similar("a", 1, "c", 6)]
    );
    assert_eq!(db.epochs("recommendations"), vec![3 * 3600]);
}

#[test]
fn a_replacement_within_one_commit_keeps_the_added_row() {
    let mut db = Db::new();
    db.commit(&[add(rec("u1", 1, "a", 5))]);
    // Whatever the order of the changes, the removal of `a` does not remove `b`.
    db.commit(&[add(rec("u1", 1, "b", 7)), remove(rec("u1", 1, "a", 5))]);
    assert_eq!(db.store.derived_rows().unwrap(), vec![rec("u1", 1, "b", 7)]);
}

#[test]
fn a_stale_delete_leaves_a_newer_row_alone() {
    let mut db = Db::new();
    db.commit(&[add(rec("u1", 1, "b", 7))]);
    db.commit(&[remove(rec("u1", 1, "a", 5))]);
    assert_eq!(db.store.derived_rows().unwrap(), vec![rec("u1", 1, "b", 7)]);
}

#[test]
fn scores_round_trip_exactly_through_the_database() {
    let mut db = Db::new();
    let micros = [
        0,
        1,
        -1,
        7,
        100_000,
        999_999,
        1_000_001,
        123_456_789,
        -987_654_321_987,
        (1 << 51) - 1,
    ];
    let rows: Vec<ServingRow> = micros
        .iter()
        .enumerate()
        .map(|(i, m)| rec("u", i as u32 + 1, "x", *m))
        .collect();
    db.commit(&rows.iter().cloned().map(add).collect::<Vec<_>>());
    assert_eq!(db.store.recommendations_for("c1", "u").unwrap(), rows);
}

proptest! {
    #[test]
    fn scores_round_trip_exactly(micros in -(1i64 << 51) + 1..(1i64 << 51)) {
        prop_assert_eq!(micros_of_score(score_of_micros(micros)), micros);
    }
}
