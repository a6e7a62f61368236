//! Unit tests of the metric mapping and the builder, and the property that incremental equals batch.

use cohort_schemas::event::{
    Chat, Checkin, Event, Like, Member, MemberAction, Payload, Payment, PaymentKind, View,
};
use proptest::prelude::*;

use super::*;
use crate::forecast::ForecastConfig;

const T0: i64 = 1_790_000_000_000 - 1_790_000_000_000 % HOUR_MS;

fn event(id: usize, ts_ms: i64, user: &str, payload: Payload) -> Event {
    Event {
        event_id: format!("e{id}"),
        ts_ms,
        community_id: "c1".to_string(),
        user_id: user.to_string(),
        payload,
        extra: None,
    }
}

fn chat(channel: &str) -> Payload {
    Payload::Chat(Chat {
        channel_id: channel.to_string(),
        message_id: "m".to_string(),
        text: "hi".to_string(),
        reply_to: None,
        mentions: vec![],
        item_mentions: vec![],
    })
}

fn like(undo: bool) -> Payload {
    Payload::Like(Like {
        item_id: "i".to_string(),
        undo,
    })
}

fn pay(kind: PaymentKind, amount: i64) -> Payload {
    Payload::Payment(Payment {
        item_id: None,
        plan_id: None,
        amount_minor: amount,
        currency: "CNY".to_string(),
        payment_kind: kind,
    })
}

fn value(closed: &[ClosedHour], channel: &str, metric: Metric, hour: i64) -> Option<i64> {
    closed
        .iter()
        .find(|c| c.key == SeriesKey::new("c1", channel, metric.clone()) && c.hour_ms == hour)
        .map(|c| c.value)
}

#[test]
fn metrics_follow_the_documented_mapping() {
    let events = vec![
        event(0, T0 + 1, "a", chat("general")),
        event(1, T0 + 2, "a", chat("general")),
        event(2, T0 + 3, "b", chat("jobs")),
        event(3, T0 + 4, "b", like(false)),
        event(4, T0 + 5, "c", like(false)),
        event(5, T0 + 6, "c", like(true)),
        event(6, T0 + 7, "d", pay(PaymentKind::Purchase, 990)),
        event(7, T0 + 8, "d", pay(PaymentKind::Refund, 300)),
        event(
            8,
            T0 + 9,
            "e",
            Payload::Member(Member {
                action: MemberAction::Join,
                tier: None,
            }),
        ),
        event(
            9,
            T0 + 10,
            "f",
            Payload::Member(Member {
                action: MemberAction::Leave,
                tier: None,
            }),
        ),
        event(
            10,
            T0 + 11,
            "g",
            Payload::Checkin(Checkin {
                event_id_offline: "x".into(),
                location: None,
            }),
        ),
        event(
            11,
            T0 + 12,
            "a",
            Payload::View(View {
                item_id: "i".into(),
                dwell_ms: None,
                surface: None,
            }),
        ),
        // A later hour with no chat: the messages series closes the first hour's gap with 0.
        event(12, T0 + 2 * HOUR_MS + 5, "a", like(false)),
    ];
    let closed = batch(&events, 0, true);
    assert_eq!(value(&closed, "", Metric::Messages, T0), Some(3));
    assert_eq!(value(&closed, "general", Metric::Messages, T0), Some(2));
    assert_eq!(value(&closed, "jobs", Metric::ActiveMembers, T0), Some(1));
    // a, b, c, d, g (joins/leaves are not activity).
    assert_eq!(value(&closed, "", Metric::ActiveMembers, T0), Some(5));
    assert_eq!(value(&closed, "", Metric::Likes, T0), Some(1));
    assert_eq!(value(&closed, "", Metric::Purchases, T0), Some(1));
    assert_eq!(
        value(&closed, "", Metric::Revenue("CNY".into()), T0),
        Some(690)
    );
    assert_eq!(value(&closed, "", Metric::Joins, T0), Some(1));
    assert_eq!(value(&closed, "", Metric::Leaves, T0), Some(1));
    assert_eq!(value(&closed, "", Metric::Checkins, T0), Some(1));
    assert_eq!(value(&closed, "", Metric::Views, T0), Some(1));
    assert_eq!(value(&closed, "", Metric::Messages, T0 + HOUR_MS), Some(0));
    assert_eq!(
        value(&closed, "", Metric::Messages, T0 + 2 * HOUR_MS),
        Some(0)
    );
    assert_eq!(value(&closed, "", Metric::Likes, T0 + 2 * HOUR_MS), Some(1));
}

#[test]
fn hours_close_on_the_watermark_and_later_events_are_returned() {
    let lateness = 10 * 60_000;
    let mut b = SeriesBuilder::new(lateness);
    assert!(
        b.push(&event(0, T0 + 5, "a", chat("g")))
            .unwrap_or_default()
            .is_empty()
    );
    // Within the lateness, the first hour is still open and takes a late message.
    assert!(
        b.push(&event(1, T0 + HOUR_MS + 60_000, "a", chat("g")))
            .unwrap_or_default()
            .is_empty()
    );
    assert!(b.push(&event(2, T0 + 10, "b", chat("g"))).is_ok());
    // The watermark passes the first hour's end: it closes with both messages.
    let closed = b
        .push(&event(3, T0 + HOUR_MS + lateness, "a", chat("g")))
        .unwrap_or_default();
    assert_eq!(value(&closed, "", Metric::Messages, T0), Some(2));
    assert_eq!(value(&closed, "", Metric::ActiveMembers, T0), Some(2));
    let late = b.push(&event(4, T0 + 20, "c", chat("g")));
    assert_eq!(late.map_err(|t| t.event_id), Err("e4".to_string()));
    assert_eq!(b.too_late_count(), 1);
}

#[test]
fn metric_names_round_trip() {
    for name in [
        "active_members",
        "messages",
        "likes",
        "revenue:USD",
        "checkins",
    ] {
        assert_eq!(
            name.parse::<Metric>().map(|m| m.to_string()),
            Ok(name.to_string())
        );
    }
    assert!("revenue:".parse::<Metric>().is_err());
    assert!("bogus".parse::<Metric>().is_err());
}

/// (offset from T0, kind, user, channel, arrival jitter as a fraction of the lateness).
fn arb_events() -> impl Strategy<Value = Vec<(i64, u8, u8, u8, u32)>> {
    proptest::collection::vec(
        (0..60 * HOUR_MS, 0u8..7, 0u8..6, 0u8..3, 0u32..=1000),
        1..160,
    )
}

fn materialise(spec: &[(i64, u8, u8, u8, u32)]) -> Vec<(Event, u32)> {
    spec.iter()
        .enumerate()
        .map(|(i, &(off, kind, user, channel, jitter))| {
            let payload = match kind {
                0 => chat(["general", "jobs", "help"][usize::from(channel)]),
                1 => like(channel == 0),
                2 => pay(PaymentKind::Purchase, 100 + i64::from(user)),
                3 => pay(PaymentKind::Refund, 50),
                4 => Payload::Member(Member {
                    action: MemberAction::Join,
                    tier: None,
                }),
                5 => Payload::Checkin(Checkin {
                    event_id_offline: "x".into(),
                    location: None,
                }),
                _ => Payload::View(View {
                    item_id: "i".into(),
                    dwell_ms: None,
                    surface: None,
                }),
            };
            (event(i, T0 + off, &format!("u{user}"), payload), jitter)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Any arrival order in which each event is at most `lateness` behind the largest time seen
    /// gives the same closed hours and the same forecasts as the sorted events at once.
    #[test]
    fn incremental_equals_batch(spec in arb_events(), lateness_min in 1i64..180) {
        let lateness = lateness_min * 60_000;
        let events = materialise(&spec);
        // Arrival key = time + jitter ≤ lateness: every earlier arrival f has
        // ts_f ≤ key_f ≤ key_e ≤ ts_e + lateness, so e is at most `lateness` behind.
        let mut arrival: Vec<(i64, usize)> = events
            .iter()
            .enumerate()
            .map(|(i, (e, j))| (e.ts_ms + lateness * i64::from(*j) / 1000, i))
            .collect();
        arrival.sort();
        let shuffled: Vec<Event> = arrival.iter().map(|&(_, i)| events[i].0.clone()).collect();
        let sorted: Vec<Event> = events.into_iter().map(|(e, _)| e).collect();

        for close_all in [false, true] {
            let reference = batch(&sorted, lateness, close_all);
            let (got, late) = incremental(&shuffled, lateness, close_all);
            prop_assert!(late.is_empty(), "too late: {late:?}");
            prop_assert_eq!(&got, &reference);

            let (mut a, mut b) = (SeriesSet::default(), SeriesSet::default());
            a.extend(got);
            b.extend(reference);
            prop_assert_eq!(&a, &b);
            if !close_all {
                continue;
            }
            let config = ForecastConfig::default();
            for (key, series) in &a.series {
                let fa = series.forecast(&config, 48);
                let fb = b.get(key).and_then(|s| s.forecast(&config, 48));
                prop_assert_eq!(fa, fb);
            }
        }
    }
}
