//! Tests of bursts: one report per crossing, re-armed below the threshold, keys dropped when idle.

use super::*;

#[test]
fn a_long_burst_fires_once() {
    let mut b = Burst::new(60_000, 3);
    let mut fired = Vec::new();
    for i in 0..40 {
        b.push(i * 100, ());
        fired.extend(b.fire());
    }
    assert_eq!(fired, [3]);
}

#[test]
fn falling_below_the_threshold_rearms() {
    let mut b = Burst::new(1_000, 2);
    b.push(0, ());
    b.push(10, ());
    assert_eq!(b.fire(), Some(2));
    b.push(1_010, ());
    assert_eq!(b.len(), 1, "the first two left");
    assert_eq!(b.fire(), None);
    b.push(1_011, ());
    assert_eq!(b.fire(), Some(2), "a new crossing");
}

#[test]
fn staying_at_the_threshold_does_not_rearm() {
    let mut b = Burst::new(1_000, 2);
    b.push(0, ());
    b.push(600, ());
    assert_eq!(b.fire(), Some(2));
    b.push(1_100, ());
    assert_eq!(b.len(), 2, "one left, one came");
    assert_eq!(b.fire(), None);
}

#[test]
fn a_crossing_not_fired_can_fire_later() {
    let mut b = Burst::new(1_000, 2);
    b.push(0, ());
    b.push(1, ());
    b.push(2, ());
    assert_eq!(b.fire(), Some(3));
}

#[test]
fn a_threshold_of_zero_counts_as_one() {
    let mut b = Burst::new(1_000, 0);
    assert_eq!(b.threshold(), 1);
    assert_eq!(b.fire(), None);
    b.push(0, ());
    assert_eq!(b.fire(), Some(1));
}

#[test]
fn keyed_bursts_are_independent_and_dropped_when_idle() {
    let mut bursts: Bursts<&str, ()> = Bursts::new(1_000, 2);
    assert!(bursts.push("a", 0, ()).is_some_and(|b| b.fire().is_none()));
    assert!(bursts.push("b", 10, ()).is_some_and(|b| b.fire().is_none()));
    assert_eq!(bursts.push("a", 20, ()).and_then(Burst::fire), Some(2));
    assert_eq!(bursts.len(), 2);
    assert!(bursts.push("a", -5_000, ()).is_none(), "outside a's window");
    bursts.sweep_if_due(500);
    assert_eq!(bursts.len(), 2);
    bursts.sweep_if_due(5_000);
    assert!(bursts.is_empty());
    assert!(bursts.get_mut(&"a").is_none());
}
