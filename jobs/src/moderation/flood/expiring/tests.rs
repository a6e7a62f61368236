//! Tests of the swept map: when sweeps run and what they keep.

use super::*;

#[test]
fn sweeps_run_once_per_interval_of_event_time() {
    let mut m: ExpiringMap<&str, i64> = ExpiringMap::new(1_000);
    *m.get_or_insert_with("a", || 0) = 100;
    *m.get_or_insert_with("b", || 0) = 900;
    let mut sweeps = 0;
    m.sweep_if_due(1_000, |_| {
        sweeps += 1;
        true
    });
    assert_eq!(sweeps, 2, "the first call sweeps");
    m.sweep_if_due(1_999, |_| {
        sweeps += 1;
        true
    });
    assert_eq!(sweeps, 2, "not due yet");
    m.sweep_if_due(2_000, |ts| *ts > 500);
    assert_eq!(m.len(), 1);
    assert_eq!(m.get("b"), Some(&900));
    m.sweep(2_001, |_| false);
    assert!(m.is_empty());
}

#[test]
fn entries_are_created_once() {
    let mut m: ExpiringMap<String, Vec<i32>> = ExpiringMap::new(10);
    m.get_or_insert_with("k".to_string(), Vec::new).push(1);
    m.get_or_insert_with("k".to_string(), Vec::new).push(2);
    assert_eq!(m.get("k").map(Vec::len), Some(2));
    if let Some(v) = m.get_mut("k") {
        v.clear();
    }
    assert_eq!(m.remove("k"), Some(vec![]));
    assert_eq!(m.values().count(), 0);
}
