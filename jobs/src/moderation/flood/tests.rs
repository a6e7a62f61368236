//! Tests of the flood detector: each rule fires once on a burst, stays quiet just below its
//! thresholds, takes late events in its window, and forgets everything after a quiet time.

use cohort_schemas::activity::Severity;

use crate::moderation::finding::ModerationKind;

use super::testing::{DAY, HOUR, LONG_OFFER, MIN, SEC, T0, chat, event, event_in, join, view};
use super::*;

const SPAM: &str = "Earn 500 dollars a day working from home, message me on telegram for details";

fn detector() -> FloodDetector {
    FloodDetector::new(&FloodConfig::default())
}

/// Every finding of `events`, fed in order.
fn run(detector: &mut FloodDetector, events: &[Event]) -> Vec<ModerationFinding> {
    events.iter().flat_map(|e| detector.observe(e)).collect()
}

fn rules(findings: &[ModerationFinding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_ref()).collect()
}

/// `n` short messages (too short to be duplicates) by `user` in `channel`, `gap_ms` apart.
fn chatter(start: i64, n: i64, gap_ms: i64, user: &str, channel: &str) -> Vec<Event> {
    (0..n)
        .map(|i| {
            event(
                start + i * gap_ms,
                user,
                chat(channel, &format!("line {i}")),
            )
        })
        .collect()
}

#[test]
fn a_flood_fires_once_on_the_eleventh_message_of_a_minute() {
    let mut d = detector();
    let found = run(&mut d, &chatter(T0, 40, SEC, "u1", "general"));
    assert_eq!(rules(&found), ["flood.rate"]);
    let f = &found[0];
    assert_eq!(f.ts_ms, T0 + 10 * SEC);
    assert_eq!(
        (f.member.as_str(), f.channel_id.as_str()),
        ("u1", "general")
    );
    assert_eq!(f.evidence, "11 messages in 60 s");
    assert_eq!(f.score, 1.0);
    assert_eq!(f.severity, Severity::Minor);
    assert_eq!(f.kind, ModerationKind::Spam);
}

#[test]
fn normal_chat_just_below_the_rate_does_not_fire() {
    let mut d = detector();
    let mut events = chatter(T0, 10, 5 * SEC, "u1", "general");
    // 11 messages, but the first has left the window when the eleventh comes
    events.extend(chatter(T0 + HOUR, 11, 6_100, "u2", "general"));
    // 20 messages, 10 in each of two channels
    events.extend(chatter(T0 + 2 * HOUR, 10, SEC, "u3", "general"));
    events.extend(chatter(T0 + 2 * HOUR, 10, SEC, "u3", "jobs"));
    // 20 messages in one channel, from two members
    events.extend(chatter(T0 + 3 * HOUR, 10, SEC, "u4", "general"));
    events.extend(chatter(T0 + 3 * HOUR, 10, SEC, "u5", "general"));
    events.sort_by_key(|e| e.ts_ms);
    assert_eq!(run(&mut d, &events), []);
}

#[test]
fn late_messages_inside_the_window_count_and_older_ones_do_not() {
    let mut d = detector();
    let mut events = chatter(T0, 11, 5 * SEC, "u1", "general");
    events.reverse();
    assert_eq!(rules(&run(&mut d, &events)), ["flood.rate"]);

    let mut d = detector();
    let mut events = chatter(T0 + 100 * SEC, 10, SEC, "u1", "general");
    events.push(event(T0, "u1", chat("general", "a late one")));
    assert_eq!(
        run(&mut d, &events),
        [],
        "100 s older than the newest: outside"
    );
}

#[test]
fn a_second_flood_after_a_pause_fires_again() {
    let mut d = detector();
    let mut events = chatter(T0, 15, SEC, "u1", "general");
    events.extend(chatter(T0 + 5 * MIN, 15, SEC, "u1", "general"));
    assert_eq!(rules(&run(&mut d, &events)), ["flood.rate", "flood.rate"]);
}

#[test]
fn a_campaign_of_copies_with_small_edits_fires_once() {
    let variants = [
        SPAM.to_string(),
        SPAM.to_uppercase(),
        "Earn 500 dollars a day!!! working from home, message me on telegram for details 💰"
            .to_string(),
        SPAM.replace("500", "700"),
        "Ｅａｒｎ　５００　ｄｏｌｌａｒｓ　ａ　ｄａｙ working from home, message me on telegram for details"
            .to_string(),
    ];
    let mut events: Vec<Event> = variants
        .iter()
        .enumerate()
        .map(|(i, text)| {
            event(
                T0 + i as i64 * 20 * SEC,
                &format!("u{i}"),
                chat("general", text),
            )
        })
        .collect();
    let more = (0..30).map(|i| event(T0 + 2 * MIN + i * SEC, &format!("v{i}"), chat("jobs", SPAM)));
    events.extend(more);
    let mut d = detector();
    let found = run(&mut d, &events);
    assert_eq!(rules(&found), ["flood.duplicate"]);
    let f = &found[0];
    assert_eq!(f.ts_ms, T0 + 80 * SEC, "on the fifth copy");
    assert_eq!(f.member, "u4");
    assert_eq!(
        f.evidence,
        "5 messages of the same text (simhash) by 5 members in 1 channel within 600 s"
    );
    assert_eq!(f.severity, Severity::Major);
}

#[test]
fn a_campaign_rotating_one_word_is_found_at_seven_bits_and_missed_at_three() {
    // These five variants are 3 to 7 bits apart pairwise; other words in the slot land 8 to 12
    // bits away even in a message this long (see the figures in `simhash`'s documentation).
    let events: Vec<Event> = ["private", "premium", "exclusive", "special", "insider"]
        .iter()
        .enumerate()
        .map(|(i, word)| {
            let text = LONG_OFFER.replace("WORD", word);
            event(
                T0 + i as i64 * MIN,
                &format!("u{i}"),
                chat("general", &text),
            )
        })
        .collect();
    assert_eq!(run(&mut detector(), &events), []);
    let wide = FloodConfig {
        duplicate_max_bits: 7,
        ..FloodConfig::default()
    };
    let found = run(&mut FloodDetector::new(&wide), &events);
    assert_eq!(rules(&found), ["flood.duplicate"]);
}

#[test]
fn one_member_posting_a_text_in_several_channels_is_a_campaign() {
    let mut d = detector();
    let events: Vec<Event> = ["a", "b", "c", "a", "b"]
        .iter()
        .enumerate()
        .map(|(i, ch)| event(T0 + i as i64 * MIN, "u1", chat(ch, SPAM)))
        .collect();
    let found = run(&mut d, &events);
    assert_eq!(rules(&found), ["flood.duplicate"]);
    assert!(
        found[0].evidence.contains("by 1 member in 3 channels"),
        "{}",
        found[0].evidence
    );
}

#[test]
fn copies_just_below_the_thresholds_do_not_fire() {
    let mut d = detector();
    // four copies from four members
    let mut events: Vec<Event> = (0..4)
        .map(|i| event(T0 + i * MIN, &format!("u{i}"), chat("general", SPAM)))
        .collect();
    // ten copies from one member in one channel, slowly enough for the rate rule
    events.extend((0..10).map(|i| event(T0 + HOUR + i * 55 * SEC, "u9", chat("general", SPAM))));
    // five copies from five members, spread over more than the window
    events.extend((0..5).map(|i| {
        event(
            T0 + 3 * HOUR + i * 200 * SEC,
            &format!("w{i}"),
            chat("x", SPAM),
        )
    }));
    assert_eq!(run(&mut d, &events), []);
}

#[test]
fn short_replies_and_different_texts_are_not_copies() {
    let mut d = detector();
    let short = [
        "ok",
        "谢谢",
        "thanks!",
        "+1",
        "收到收到",
        "Thank you!!",
        "good morning",
    ];
    let mut events = Vec::new();
    for (i, text) in short.iter().enumerate() {
        for m in 0..10 {
            let ts = T0 + (i as i64 * 10 + m) * SEC;
            events.push(event(ts, &format!("m{m}"), chat("general", text)));
        }
    }
    let different = [
        "Does anyone know why my borrow checker complains about this closure?",
        "Thanks for the session yesterday, the part about lifetimes finally clicked",
        "The meetup next Saturday moves to the second floor, same time as before",
        "Can someone share the slides from lesson four of the async course please",
        "我觉得这个课程的第三章讲得特别清楚，推荐大家先看这一章",
        "请问今天晚上的直播几点开始？我想提前准备一下问题",
    ];
    for (i, text) in different.iter().enumerate() {
        events.push(event(
            T0 + 2 * MIN + i as i64 * SEC,
            &format!("d{i}"),
            chat("general", text),
        ));
    }
    assert_eq!(run(&mut d, &events), []);
}

#[test]
fn communities_are_separate_and_late_copies_count() {
    let mut d = detector();
    let mut events: Vec<Event> = (0..3)
        .map(|i| event_in("c1", T0 + i * SEC, &format!("u{i}"), chat("general", SPAM)))
        .collect();
    events.extend(
        (0..3).map(|i| event_in("c2", T0 + i * SEC, &format!("u{i}"), chat("general", SPAM))),
    );
    assert_eq!(run(&mut d, &events), []);
    let late = [
        event_in("c1", T0 - 5 * MIN, "u7", chat("general", SPAM)),
        event_in("c1", T0 - 4 * MIN, "u8", chat("general", SPAM)),
    ];
    let found = run(&mut d, &late);
    assert_eq!(rules(&found), ["flood.duplicate"]);
    assert_eq!(found[0].community_id, "c1");
}

fn link(i: i64) -> String {
    format!("notes {i} https://spam.example/{i}")
}

#[test]
fn a_new_member_dropping_links_fires_once() {
    let mut d = detector();
    let mut events = vec![event(T0, "new", join())];
    events.extend((0..6).map(|i| event(T0 + 5 * MIN + i * MIN, "new", chat("general", &link(i)))));
    let found = run(&mut d, &events);
    assert_eq!(rules(&found), ["spam.new_member_links"]);
    let f = &found[0];
    assert_eq!(f.ts_ms, T0 + 7 * MIN);
    assert_eq!(
        f.evidence,
        "3 messages with links in 1 channel within 600 s, 7 min after joining"
    );
    assert_eq!(f.severity, Severity::Major);
}

#[test]
fn links_from_old_or_unknown_members_or_too_few_do_not_fire() {
    let mut d = detector();
    let links = |user: &str, start: i64, gap: i64, n: i64| -> Vec<Event> {
        (0..n)
            .map(|i| event(start + i * gap, user, chat("general", &link(i))))
            .collect()
    };
    let mut events = vec![event(T0, "old", join()), event(T0, "slow", join())];
    events.extend(links("old", T0 + 25 * HOUR, MIN, 5));
    events.extend(links("unknown", T0 + 25 * HOUR, MIN, 5));
    events.push(event(T0 + 25 * HOUR, "two", join()));
    events.extend(links("two", T0 + 25 * HOUR + MIN, MIN, 2));
    events.extend(links("slow", T0 + HOUR, 301 * SEC, 3));
    events.sort_by_key(|e| e.ts_ms);
    assert_eq!(run(&mut d, &events), []);
}

#[test]
fn a_join_arriving_after_the_links_completes_the_burst() {
    let mut d = detector();
    let mut events: Vec<Event> = (0..3)
        .map(|i| event(T0 + i * MIN, "new", chat("general", &link(i))))
        .collect();
    events.push(event(T0 - MIN, "new", join()));
    let found = run(&mut d, &events);
    assert_eq!(rules(&found), ["spam.new_member_links"]);
    assert_eq!(found[0].ts_ms, T0 - MIN, "fired by the join");
    assert_eq!(found[0].channel_id, "general");
}

#[test]
fn state_is_forgotten_after_a_quiet_time() {
    let mut d = detector();
    let mut events = chatter(T0, 30, SEC, "u1", "general");
    events.extend((0..6).map(|i| event(T0 + i * SEC, &format!("u{i}"), chat("general", SPAM))));
    events.push(event(T0, "new", join()));
    events.extend((0..4).map(|i| event(T0 + i * SEC, "new", chat("general", &link(i)))));
    assert_eq!(run(&mut d, &events).len(), 3);
    assert!(d.tracked() > 0);
    d.advance_to(T0 + 2 * HOUR);
    assert_eq!(d.tracked(), 1, "only the join, kept for a day");
    d.observe(&event(T0 + 2 * DAY, "someone", view()));
    assert_eq!(d.tracked(), 0);
}

#[test]
fn memory_follows_the_windows_not_the_stream() {
    let mut d = detector();
    let mut peak = 0;
    for minute in 0..600 {
        for m in 0..20 {
            let text = format!("member {m} says something new in minute {minute} of the day");
            d.observe(&event(
                T0 + minute * MIN + m * SEC,
                &format!("u{m}"),
                chat("general", &text),
            ));
        }
        peak = peak.max(d.tracked());
    }
    // (what fires is not the point here) 20 rate windows and one duplicate window of 20
    // messages a minute, with room for a sweep's lag
    assert!(peak <= 20 + 2 * 10 * 20, "peak {peak}");
    assert!(peak >= 200, "peak {peak}");
}

#[test]
fn settings_read_from_toml_with_defaults_and_no_unknown_keys() {
    let config: FloodConfig = toml::from_str("rate_max_messages = 20").unwrap();
    assert_eq!(config.rate_max_messages, 20);
    assert_eq!(config.duplicate_window_secs, 600);
    let err = toml::from_str::<FloodConfig>("rate_max_mesages = 20").unwrap_err();
    assert!(err.to_string().contains("rate_max_mesages"), "{err}");
}
