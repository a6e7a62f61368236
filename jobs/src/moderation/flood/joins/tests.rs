//! Tests of the join register.

use super::*;

const DAY_MS: i64 = 86_400_000;

#[test]
fn the_latest_join_counts() {
    let mut joins = Joins::new(DAY_MS);
    joins.record("c1", "u1", 5_000);
    joins.record("c1", "u1", 1_000);
    assert_eq!(joins.joined_at("c1", "u1"), Some(5_000));
    joins.record("c1", "u1", 9_000);
    assert_eq!(joins.joined_at("c1", "u1"), Some(9_000));
    assert_eq!(joins.joined_at("c2", "u1"), None, "per community");
}

#[test]
fn old_joins_are_forgotten() {
    let mut joins = Joins::new(DAY_MS);
    joins.record("c1", "old", 0);
    joins.record("c1", "new", DAY_MS);
    joins.sweep_if_due(DAY_MS + 1);
    assert_eq!(joins.joined_at("c1", "old"), None);
    assert_eq!(joins.joined_at("c1", "new"), Some(DAY_MS));
    joins.sweep_if_due(3 * DAY_MS);
    assert!(joins.is_empty());
    assert_eq!(joins.len(), 0);
}
