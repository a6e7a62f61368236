//! Tests of the band index: it finds every fingerprint within 3 bits, and forgets what leaves.

use super::*;

fn record(fingerprint: u64, member: u64) -> Record {
    Record {
        fingerprint,
        member,
        channel: 0,
        reported: false,
    }
}

const NEVER: Thresholds = Thresholds {
    messages: usize::MAX,
    members: usize::MAX,
    channels: usize::MAX,
};

#[test]
fn bands_cut_the_fingerprint_into_equal_parts() {
    let f = 0x8877_6655_4433_2211;
    let quarters: Vec<u64> = (0..4).map(|i| band(f, i, 4)).collect();
    assert_eq!(quarters, [0x2211, 0x4433, 0x6655, 0x8877]);
    let bytes: Vec<u64> = (0..8).map(|i| band(f, i, 8)).collect();
    assert_eq!(bytes, [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    assert_eq!(band(f, 0, 1), f);
    let thirds: Vec<u64> = (0..3).map(|i| band(u64::MAX, i, 3)).collect();
    assert_eq!(thirds, [(1 << 21) - 1, (1 << 21) - 1, (1 << 22) - 1]);
}

#[test]
fn every_fingerprint_within_three_bits_is_found_and_no_farther_one() {
    let f: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut index = CommunityIndex::new(600_000, 3);
    let near_ones = [
        f,
        f ^ 1,
        f ^ (1 << 17 | 1 << 40),
        f ^ (1 | 1 << 16 | 1 << 32),
    ];
    let far_ones = [f ^ (1 | 1 << 16 | 1 << 32 | 1 << 48), f ^ 0b1111, !f];
    for (i, g) in near_ones.iter().chain(&far_ones).enumerate() {
        assert!(index.add(i as i64, record(*g, i as u64), NEVER).is_none());
    }
    let found = index.near(f);
    assert_eq!(found, [0, 1, 2, 3], "ids of the near ones, each once");
}

#[test]
fn wider_settings_find_farther_copies_and_are_capped() {
    let f: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut index = CommunityIndex::new(600_000, 7);
    let seven = f ^ (1 | 1 << 9 | 1 << 18 | 1 << 27 | 1 << 36 | 1 << 45 | 1 << 54);
    index.add(0, record(seven, 1), NEVER);
    index.add(1, record(f ^ 0xff, 2), NEVER);
    assert_eq!(index.near(f), [0]);
    assert_eq!(CommunityIndex::new(1, 40).bands.len(), 8);
}

#[test]
fn evicted_messages_leave_records_and_bands() {
    let mut index = CommunityIndex::new(1_000, 3);
    for i in 0..50u64 {
        let f = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        index.add(i as i64 * 10, record(f, i), NEVER);
    }
    assert_eq!(index.records.len(), 50);
    index.add(10_000, record(1, 99), NEVER);
    assert_eq!(index.records.len(), 1);
    assert!(
        index.bands.iter().all(|b| b.len() == 1),
        "only the last message's buckets are left"
    );
    index.expire(20_000);
    assert!(index.records.is_empty());
    assert!(index.bands.iter().all(HashMap::is_empty));
    assert!(index.window.is_empty());
}

#[test]
fn a_campaign_fires_once_when_it_reaches_the_thresholds() {
    let at_least = Thresholds {
        messages: 3,
        members: 2,
        channels: 2,
    };
    let mut index = CommunityIndex::new(600_000, 3);
    let f = 0xdead_beef_cafe_f00d;
    assert!(index.add(0, record(f, 1), at_least).is_none());
    assert!(index.add(1, record(f, 1), at_least).is_none());
    assert!(
        index.add(2, record(f, 1), at_least).is_none(),
        "three copies from one member in one channel"
    );
    let copies = index.add(3, record(f ^ 4, 2), at_least);
    assert_eq!(
        copies,
        Some(Copies {
            messages: 4,
            members: 2,
            channels: 1
        })
    );
    for ts in 4..100 {
        assert!(index.add(ts, record(f, ts as u64), at_least).is_none());
    }
}

#[test]
fn a_huge_campaign_costs_bounded_work_and_fires_once() {
    let config = FloodConfig::default();
    let mut duplicates = Duplicates::new(&config);
    let skeleton: Vec<char> = "buycheapfollowersnowattheusualplace".chars().collect();
    let mut fired = 0;
    for i in 0..5_000i64 {
        let event = crate::moderation::flood::testing::event(
            i * 10,
            &format!("u{}", i % 50),
            crate::moderation::flood::testing::view(),
        );
        fired += duplicates
            .observe(&event, "general", &skeleton)
            .iter()
            .count();
    }
    assert_eq!(fired, 1);
    assert_eq!(duplicates.tracked(), 5_000);
}
