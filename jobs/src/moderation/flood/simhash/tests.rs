//! Tests of fingerprints: the variations campaigns use are copies, different messages are far.

use super::*;
use crate::moderation::flood::FloodConfig;
use crate::moderation::flood::duplicates::MAX_BITS_LIMIT;
use crate::moderation::flood::testing::LONG_OFFER;
use crate::moderation::normalize::normalize;
use crate::moderation::pii::detect_in;

/// The fingerprint the flood detector takes of a message.
fn fingerprint(text: &str) -> u64 {
    let norm = normalize(text);
    let contacts: Vec<Range<usize>> = detect_in(&norm).into_iter().map(|f| f.normalized).collect();
    simhash(&skeleton(norm.text(), &contacts))
}

fn distance(a: &str, b: &str) -> u32 {
    hamming(fingerprint(a), fingerprint(b))
}

fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' ' => '\u{3000}',
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
            _ => c,
        })
        .collect()
}

const SPAM: &str = "Earn 500 dollars a day working from home, message me on telegram for details";
const SPAM_ZH: &str = "加我微信领取免费课程资料，限时优惠名额有限，先到先得";

#[test]
fn the_skeleton_keeps_letters_digits_and_ideographs() {
    let s: String = skeleton("join now!!! 加微信, call 138 ☺", &[])
        .into_iter()
        .collect();
    assert_eq!(s, "joinnow加微信call000");
}

#[test]
fn each_contact_detail_becomes_one_placeholder() {
    let text = "see http://a.b/c now";
    let link: Range<usize> = 4..16;
    let s = skeleton(text, &[link]);
    assert_eq!(s, ['s', 'e', 'e', MASK, 'n', 'o', 'w']);
    let two = skeleton("a b", &[0..1, 2..3]);
    assert_eq!(two, [MASK, MASK], "adjacent details stay two");
}

#[test]
fn width_case_punctuation_emoji_and_invisible_characters_change_nothing() {
    let variants = [
        full_width(SPAM),
        SPAM.to_uppercase(),
        "Earn 500 dollars a day!!! working from home 💰💰 message me on telegram... for details"
            .to_string(),
        SPAM.replace("telegram", "t\u{200B}e\u{200B}legram"),
        SPAM.replace(' ', "  "),
    ];
    for v in &variants {
        assert_eq!(distance(SPAM, v), 0, "{v}");
    }
    assert_eq!(
        distance(
            SPAM_ZH,
            "加我 微信！领取免费课程资料 ~ 限时优惠，名额有限；先到先得！！"
        ),
        0
    );
    assert_eq!(distance(SPAM_ZH, &full_width(SPAM_ZH)), 0);
}

#[test]
fn rotated_numbers_and_links_change_nothing() {
    assert_eq!(distance(SPAM, &SPAM.replace("500", "800")), 0);
    assert_eq!(
        distance(
            "Full course notes for free at https://notes.example/a1b2 join before friday",
            "Full course notes for free at https://other.example/zz99 join before friday",
        ),
        0
    );
    assert_eq!(
        distance(
            "想要全套资料的加我 vx: 13812345678 免费送给大家",
            "想要全套资料的加我 vx: 13987654321 免费送给大家",
        ),
        0
    );
}

#[test]
fn one_word_changed_in_a_long_message_is_within_the_widest_setting() {
    let long = LONG_OFFER.replace("WORD", "private");
    let edited = LONG_OFFER.replace("WORD", "premium");
    // 6 bits: beyond the default 3 (see the module documentation for how often)
    let d = distance(&long, &edited);
    assert!(d <= MAX_BITS_LIMIT, "distance {d}");
}

#[test]
fn different_messages_are_far_apart() {
    let messages = [
        SPAM,
        SPAM_ZH,
        "Does anyone know why my borrow checker complains about this closure?",
        "Thanks for the session yesterday, the part about lifetimes finally clicked",
        "The meetup next Saturday moves to the second floor, same time as before",
        "Can someone share the slides from lesson four of the async course please",
        "我觉得这个课程的第三章讲得特别清楚，推荐大家先看这一章",
        "请问今天晚上的直播几点开始？我想提前准备一下问题",
        "Earn money online: message me on whatsapp for the details of the method",
        "Working from home today, will answer questions in the channel this afternoon",
        "Join the study group on Thursday evening, we read chapter seven together",
        "This course was worth every cent, the exercises are really well designed",
    ];
    let default_bits = FloodConfig::default().duplicate_max_bits;
    let mut closest = 64;
    for (i, a) in messages.iter().enumerate() {
        for b in &messages[i + 1..] {
            let d = distance(a, b);
            assert!(d > default_bits, "{d} bits between {a:?} and {b:?}");
            closest = closest.min(d);
        }
    }
    println!("closest pair: {closest} bits");
}

#[test]
fn fingerprints_are_stable_across_builds() {
    // Pinned: a change here means every stored or compared fingerprint changes meaning.
    assert_eq!(stable_hash(b""), mix(FNV_OFFSET));
    assert_eq!(fingerprint(SPAM), fingerprint(SPAM));
    assert_eq!(format!("{:016x}", fingerprint(SPAM)), "52d8dc7bb44d8ebe");
}

#[test]
fn short_and_empty_skeletons() {
    assert_eq!(simhash(&[]), 0);
    assert_ne!(simhash(&['o', 'k']), 0);
    assert_eq!(simhash(&['o', 'k']), simhash(&['o', 'k']));
    assert_ne!(simhash(&['o', 'k']), simhash(&['k', 'o']));
    assert_eq!(hamming(0, u64::MAX), 64);
    assert_eq!(hamming(0b1011, 0b0001), 2);
}
