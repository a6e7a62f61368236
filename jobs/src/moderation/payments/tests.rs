//! Tests of the payment detector: each rule fires once on its pattern, stays quiet just below its
//! thresholds, takes late events in its window, and forgets everything after a quiet time.

use cohort_schemas::activity::Severity;
use cohort_schemas::event::PaymentKind::{Purchase, Refund, Renewal};

use super::*;
use crate::moderation::finding::ModerationKind;
use crate::moderation::flood::testing::{DAY, HOUR, MIN, SEC, T0, event, join, pay, pay_in, view};

fn detector() -> PaymentDetector {
    PaymentDetector::new(&PaymentConfig::default())
}

fn run(detector: &mut PaymentDetector, events: &[Event]) -> Vec<ModerationFinding> {
    events.iter().flat_map(|e| detector.observe(e)).collect()
}

fn rules(findings: &[ModerationFinding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_ref()).collect()
}

fn refund(ts: i64, user: &str, item: &str) -> Event {
    event(ts, user, pay(Refund, Some(item), 9_900))
}

#[test]
fn a_member_refunding_three_times_a_day_fires_once() {
    let mut d = detector();
    let events: Vec<Event> = (0..6)
        .map(|i| refund(T0 + i * 3 * HOUR, "u1", &format!("i{i}")))
        .collect();
    let found = run(&mut d, &events);
    assert_eq!(rules(&found), ["payment.refund_burst_member"]);
    let f = &found[0];
    assert_eq!(f.ts_ms, T0 + 6 * HOUR);
    assert_eq!(f.evidence, "3 refunds in 24 h");
    assert_eq!(
        (f.kind, f.severity),
        (ModerationKind::Fraud, Severity::Major)
    );
    assert_eq!(f.channel_id, "");
}

#[test]
fn refunds_just_below_the_member_threshold_do_not_fire() {
    let mut d = detector();
    let events = [
        refund(T0, "u1", "a"),
        refund(T0 + HOUR, "u1", "b"),
        refund(T0, "u2", "c"),
        refund(T0 + 12 * HOUR, "u2", "d"),
        refund(T0 + 24 * HOUR, "u2", "e"),
    ];
    assert_eq!(
        run(&mut d, &events),
        [],
        "two a day, and three over exactly 24 h"
    );
}

#[test]
fn many_members_refunding_one_item_within_an_hour_fires_once() {
    let mut d = detector();
    let mut events: Vec<Event> = (0..8)
        .map(|i| refund(T0 + i * 5 * MIN, &format!("u{i}"), "course"))
        .collect();
    events.swap(0, 4);
    let found = run(&mut d, &events);
    assert_eq!(rules(&found), ["payment.refund_burst_item"]);
    assert_eq!(
        found[0].evidence,
        "5 refunds of item course by 5 members in 1 h"
    );
}

#[test]
fn item_refunds_just_below_the_threshold_do_not_fire() {
    let mut d = detector();
    let mut events: Vec<Event> = (0..4)
        .map(|i| refund(T0 + i * MIN, &format!("u{i}"), "course"))
        .collect();
    events.extend((0..5).map(|i| refund(T0 + 2 * HOUR + i * 15 * MIN, &format!("v{i}"), "book")));
    events.extend(
        (0..5).map(|i| refund(T0 + 5 * HOUR + i * MIN, &format!("w{i}"), &format!("x{i}"))),
    );
    assert_eq!(run(&mut d, &events), []);
}

#[test]
fn card_testing_fires_on_five_small_payments_in_ten_minutes() {
    let mut d = detector();
    let events: Vec<Event> = [300, 1, 50, 120, 200, 7, 9]
        .iter()
        .enumerate()
        .map(|(i, a)| event(T0 + i as i64 * MIN, "thief", pay(Purchase, None, *a)))
        .collect();
    let found = run(&mut d, &events);
    assert_eq!(rules(&found), ["payment.card_testing"]);
    assert_eq!(
        found[0].evidence,
        "5 payments of 1-300 minor units in 600 s"
    );
    assert_eq!(found[0].severity, Severity::Critical);
    assert_eq!(found[0].ts_ms, T0 + 4 * MIN);
}

#[test]
fn ordinary_payments_are_not_card_tests() {
    let mut d = detector();
    let mut events: Vec<Event> = (0..4)
        .map(|i| event(T0 + i * MIN, "a", pay(Purchase, None, 100)))
        .collect();
    events.extend((0..10).map(|i| event(T0 + i * MIN, "b", pay(Purchase, None, 9_900))));
    events.extend((0..10).map(|i| event(T0 + i * MIN, "c", pay(Purchase, None, 0))));
    events.extend((0..5).map(|i| event(T0 + i * 151 * SEC, "d", pay(Renewal, None, 100))));
    events.extend((0..5).map(|i| event(T0 + i * MIN, "e", pay(Purchase, None, 501))));
    events.sort_by_key(|e| e.ts_ms);
    assert_eq!(run(&mut d, &events), []);
}

#[test]
fn payments_far_below_the_usual_price_are_card_tests_too() {
    let mut d = detector();
    let mut events: Vec<Event> = (0..10)
        .map(|i| {
            event(
                T0 + i * MIN,
                &format!("u{i}"),
                pay(Purchase, Some("course"), 50_000),
            )
        })
        .collect();
    events.extend((0..5).map(|i| {
        event(
            T0 + HOUR + i * MIN,
            "thief",
            pay(Purchase, Some("course"), 5_000),
        )
    }));
    let found = run(&mut d, &events);
    assert_eq!(
        rules(&found),
        ["payment.unusual_amount", "payment.card_testing"]
    );
    assert_eq!(found[0].ts_ms, T0 + HOUR);
    assert_eq!(
        found[1].evidence,
        "5 payments of 5000-5000 minor units in 600 s"
    );
}

#[test]
fn an_amount_far_from_the_usual_price_fires() {
    let mut d = detector();
    let mut events: Vec<Event> = (0..20)
        .map(|i| {
            event(
                T0 + i * HOUR,
                &format!("u{i}"),
                pay(Purchase, Some("course"), 19_900),
            )
        })
        .collect();
    events.push(event(
        T0 + DAY,
        "odd",
        pay(Purchase, Some("course"), 199_000),
    ));
    events.push(event(
        T0 + DAY + MIN,
        "usd",
        pay_in(Purchase, Some("course"), 199_000, "USD"),
    ));
    events.push(event(
        T0 + DAY + 2 * MIN,
        "other",
        pay(Purchase, Some("book"), 1),
    ));
    let found = run(&mut d, &events);
    assert_eq!(rules(&found), ["payment.unusual_amount"]);
    let f = &found[0];
    assert_eq!(f.member, "odd");
    assert!((f.score - 2.0).abs() < 1e-9, "{}", f.score);
    assert_eq!(
        f.severity,
        Severity::Major,
        "minor, one step up at twice the bound"
    );
}

#[test]
fn join_pay_refund_fires_once_per_refunded_payment() {
    let mut d = detector();
    let events = [
        event(T0, "new", join()),
        event(T0 + 10 * MIN, "new", pay(Purchase, Some("course"), 9_900)),
        event(
            T0 + 2 * HOUR + 10 * MIN,
            "new",
            pay(Refund, Some("course"), 9_900),
        ),
        event(T0 + 3 * HOUR, "new", pay(Refund, Some("course"), 9_900)),
    ];
    let found = run(&mut d, &events);
    assert_eq!(rules(&found), ["payment.join_pay_refund"]);
    assert_eq!(
        found[0].evidence,
        "paid 10 min after joining, refunded 120 min later"
    );
    assert_eq!(found[0].ts_ms, T0 + 2 * HOUR + 10 * MIN);
}

#[test]
fn join_pay_refund_needs_all_three_in_time() {
    let mut d = detector();
    let events = [
        // paid 61 min after joining
        event(T0, "slow", join()),
        event(T0 + 61 * MIN, "slow", pay(Purchase, Some("course"), 9_900)),
        event(T0 + 2 * HOUR, "slow", pay(Refund, Some("course"), 9_900)),
        // refunded 25 h after paying
        event(T0, "late", join()),
        event(T0 + MIN, "late", pay(Purchase, Some("course"), 9_900)),
        event(
            T0 + 25 * HOUR + MIN,
            "late",
            pay(Refund, Some("course"), 9_900),
        ),
        // refunded another item
        event(T0, "other", join()),
        event(T0 + MIN, "other", pay(Purchase, Some("course"), 9_900)),
        event(T0 + HOUR, "other", pay(Refund, Some("book"), 9_900)),
        // never seen joining
        event(T0 + MIN, "old", pay(Purchase, Some("course"), 9_900)),
        event(T0 + HOUR, "old", pay(Refund, Some("course"), 9_900)),
    ];
    let mut sorted = events.to_vec();
    sorted.sort_by_key(|e| e.ts_ms);
    assert_eq!(run(&mut d, &sorted), []);
}

#[test]
fn state_is_forgotten_after_a_quiet_time() {
    let mut d = detector();
    let mut events: Vec<Event> = (0..5)
        .map(|i| refund(T0 + i * MIN, &format!("u{i}"), "course"))
        .collect();
    events.extend((0..5).map(|i| event(T0 + i * MIN, "thief", pay(Purchase, None, 100))));
    events.push(event(T0, "new", join()));
    events.push(event(T0 + MIN, "new", pay(Purchase, Some("course"), 9_900)));
    assert_eq!(run(&mut d, &events).len(), 2);
    assert!(d.tracked() > 0);
    d.advance_to(T0 + 2 * DAY);
    assert_eq!(
        d.tracked(),
        1,
        "the price history of the course, kept 30 days"
    );
    d.observe(&event(T0 + 40 * DAY, "someone", view()));
    assert_eq!(d.tracked(), 0);
}

#[test]
fn settings_read_from_toml_with_defaults_and_no_unknown_keys() {
    let config: PaymentConfig =
        toml::from_str("card_test_max_minor = 100\nprice_factor = 3.0").unwrap();
    assert_eq!(config.card_test_max_minor, 100);
    assert_eq!(config.price_factor, 3.0);
    assert_eq!(config.member_refund_min, 3);
    let err = toml::from_str::<PaymentConfig>("refund_min = 2").unwrap_err();
    assert!(err.to_string().contains("refund_min"), "{err}");
}
