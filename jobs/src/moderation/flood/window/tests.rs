//! Tests of the event-time window: what stays, what leaves, and late records.

use super::*;

fn times<T>(w: &Window<T>) -> Vec<i64> {
    w.iter().map(|(ts, _)| ts).collect()
}

#[test]
fn records_leave_once_span_older_than_the_newest() {
    let mut w = Window::new(60_000);
    for ts in [0, 10_000, 59_999] {
        assert!(w.push(ts, ()));
    }
    assert_eq!(w.len(), 3);
    assert!(w.push(60_000, ()));
    assert_eq!(times(&w), [10_000, 59_999, 60_000]);
    w.expire(200_000);
    assert!(w.is_empty());
    assert_eq!(w.newest_ms(), Some(200_000));
}

#[test]
fn late_records_inside_the_window_take_their_place_in_time() {
    let mut w = Window::new(60_000);
    assert!(w.push(50_000, 'c'));
    assert!(w.push(10_000, 'a'));
    assert!(w.push(30_000, 'b'));
    assert!(w.push(30_000, 'B'));
    let values: Vec<char> = w.iter().map(|(_, v)| *v).collect();
    assert_eq!(values, ['a', 'b', 'B', 'c']);
    assert_eq!(w.newest_ms(), Some(50_000));
}

#[test]
fn records_already_outside_are_refused() {
    let mut w = Window::new(60_000);
    assert!(w.push(100_000, ()));
    assert!(!w.accepts(40_000));
    assert!(!w.push(40_000, ()));
    assert!(w.push(40_001, ()));
    assert_eq!(w.len(), 2);
}

#[test]
fn expiring_backwards_changes_nothing() {
    let mut w = Window::new(1_000);
    w.push(5_000, ());
    w.expire(1_000);
    assert_eq!(w.newest_ms(), Some(5_000));
    assert_eq!(w.len(), 1);
}

#[test]
fn evicted_records_are_handed_back() {
    let mut w = Window::new(1_000);
    for (ts, v) in [(0, 1), (500, 2), (900, 3)] {
        w.push(ts, v);
    }
    let mut gone = Vec::new();
    assert!(w.push_evicting(1_600, 4, |v| gone.push(v)));
    assert_eq!(gone, [1, 2]);
    w.expire_evicting(10_000, |v| gone.push(v));
    assert_eq!(gone, [1, 2, 3, 4]);
}

#[test]
fn settings_in_seconds_saturate() {
    assert_eq!(millis(60), 60_000);
    assert_eq!(millis(u64::MAX), i64::MAX);
    assert_eq!(Window::<()>::new(0).span_ms(), 1);
}

#[test]
fn extreme_timestamps_do_not_overflow() {
    let mut w = Window::new(i64::MAX);
    assert!(w.push(i64::MIN + 1, ()));
    assert!(w.push(i64::MAX, ()));
    w.expire(i64::MIN);
    assert_eq!(times(&w), [i64::MAX]);
}
