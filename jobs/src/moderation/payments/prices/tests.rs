//! Tests of usual prices: the median, its minimum history, and the once-per-run report.

use cohort_schemas::event::{Payload, PaymentKind};

use super::*;
use crate::moderation::flood::testing::{MIN, T0, event, pay_in};

fn purchase(prices: &mut Prices, i: i64, amount: i64, currency: &str) -> Option<ModerationFinding> {
    let e = event(
        T0 + i * MIN,
        &format!("u{i}"),
        pay_in(PaymentKind::Purchase, Some("course"), amount, currency),
    );
    let Payload::Payment(p) = &e.payload else {
        unreachable!()
    };
    prices.observe(&e, "course", p).1
}

fn prices() -> Prices {
    Prices::new(&PaymentConfig::default())
}

#[test]
fn the_median_of_even_and_odd_histories() {
    let h = |amounts: &[i64]| History {
        amounts: amounts.iter().copied().collect(),
        last_ts_ms: 0,
        reported: false,
    };
    assert_eq!(h(&[]).median(), 0.0);
    assert_eq!(h(&[5]).median(), 5.0);
    assert_eq!(h(&[9, 1, 5]).median(), 5.0);
    assert_eq!(h(&[9, 1, 5, 7]).median(), 6.0);
}

#[test]
fn nothing_is_unusual_before_ten_purchases() {
    let mut p = prices();
    for i in 0..9 {
        assert!(purchase(&mut p, i, 1_000, "CNY").is_none());
    }
    assert!(purchase(&mut p, 9, 1, "CNY").is_none(), "only 9 before it");
    assert!(purchase(&mut p, 10, 1, "CNY").is_some(), "10 before it");
}

#[test]
fn the_bounds_are_a_factor_of_five_each_way() {
    let mut p = prices();
    for i in 0..10 {
        purchase(&mut p, i, 1_000, "CNY");
    }
    assert!(purchase(&mut p, 10, 200, "CNY").is_none());
    assert!(purchase(&mut p, 11, 5_000, "CNY").is_none());
    let low = purchase(&mut p, 12, 199, "CNY");
    assert!(low.is_some_and(|f| f.evidence
        == "199 CNY minor units, far below the usual 1000 (median of the last 12 purchases of \
            item course)"));
    assert!(purchase(&mut p, 13, 1_000, "CNY").is_none(), "re-arms");
    let high = purchase(&mut p, 14, 20_000, "CNY");
    assert!(high.is_some_and(|f| f.score == 4.0 && f.severity == Severity::Critical));
}

#[test]
fn a_run_of_odd_amounts_is_one_finding_and_a_new_price_becomes_usual() {
    let mut p = prices();
    for i in 0..50 {
        purchase(&mut p, i, 10_000, "CNY");
    }
    let fired: Vec<i64> = (50..150)
        .filter(|i| purchase(&mut p, *i, 1_000, "CNY").is_some())
        .collect();
    assert_eq!(fired, [50], "one finding for the run");
    assert!(purchase(&mut p, 150, 1_100, "CNY").is_none());
    assert!(
        purchase(&mut p, 151, 5_000, "CNY").is_none(),
        "within 5x of the new 1,000"
    );
}

#[test]
fn currencies_have_their_own_prices() {
    let mut p = prices();
    for i in 0..20 {
        purchase(&mut p, i, 10_000, "CNY");
    }
    assert!(purchase(&mut p, 20, 150, "USD").is_none());
    assert_eq!(p.tracked(), 2);
}
