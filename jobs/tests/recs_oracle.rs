//! The oracle property test of issue 4: after any sequence of views, likes, unlikes, purchases,
//! refunds, item deletions and erasures, applied in any steps, the incremental `recommendations` and
//! `similar_items` equal a from-scratch computation over the surviving events, written here plainly
//! (no differential) from the rules in docs/recommendations.md.

use std::collections::{BTreeMap, BTreeSet};

use cohort_jobs::recs::config::{RecsConfig, Similarity};
use cohort_jobs::recs::session::{RecsSession, final_rows};
use cohort_jobs::recs::{Fact, Signal};
use cohort_schemas::serving::ServingRow;
use proptest::prelude::*;

const HOUR_MS: i64 = 3_600_000;

/// (community, member, item).
type Pair<'a> = (&'a str, &'a str, &'a str);
/// (community, member).
type Member<'a> = (&'a str, &'a str);

fn signal_fact(c: u8, u: u8, i: u8, signal: Signal, ts_ms: i64) -> Fact {
    Fact::Signal {
        community_id: format!("c{c}"),
        user_id: format!("u{u}"),
        item_id: format!("i{i}"),
        signal,
        ts_ms,
    }
}

fn fact_strategy() -> impl Strategy<Value = Fact> {
    let signal = prop_oneof![
        4 => Just(Signal::View),
        3 => Just(Signal::Like),
        1 => Just(Signal::Unlike),
        2 => Just(Signal::Purchase),
        1 => Just(Signal::Refund),
        1 => Just(Signal::Mention),
    ];
    let ts = 0i64..(30 * HOUR_MS);
    prop_oneof![
        20 => (0u8..2, 0u8..6, 0u8..7, signal, ts.clone())
            .prop_map(|(c, u, i, s, t)| signal_fact(c, u, i, s, t)),
        2 => (0u8..2, 0u8..7, any::<bool>(), ts, 0u32..1000).prop_map(|(c, i, deleted, t, id)| {
            Fact::Item {
                community_id: format!("c{c}"),
                item_id: format!("i{i}"),
                deleted,
                title: String::new(),
                tags: Vec::new(),
                ts_ms: t,
                event_id: format!("e{id}"),
            }
        }),
        1 => (0u8..6).prop_map(|u| Fact::Erasure { user_id: format!("u{u}") }),
    ]
}

fn config_strategy() -> impl Strategy<Value = RecsConfig> {
    (
        (1usize..5, 1usize..6),
        1usize..4,
        1usize..5,
        any::<bool>(),
        prop_oneof![
            Just(Similarity::Rp3beta),
            Just(Similarity::Cosine),
            Just(Similarity::Jaccard)
        ],
        1usize..4,
        (0u8..3, 0u8..3),
    )
        .prop_map(
            |(
                (history, score_history),
                neighbours,
                top_k,
                exclude_viewed,
                similarity,
                min_history,
                (damping, penalty),
            )| {
                RecsConfig {
                    history,
                    score_history,
                    neighbours,
                    top_k,
                    exclude_viewed,
                    similarity,
                    min_history,
                    member_damping: f64::from(damping) * 0.5,
                    popularity_penalty: f64::from(penalty) * 0.5,
                    shrink: 1.0,
                    trending_half_life_hours: 5,
                    ..RecsConfig::default()
                }
            },
        )
}

/// The plain recomputation.
fn oracle(config: &RecsConfig, facts: &[Fact]) -> BTreeSet<ServingRow> {
    let w = &config.weights;
    let erased: BTreeSet<&str> = facts
        .iter()
        .filter_map(|f| match f {
            Fact::Erasure { user_id } => Some(user_id.as_str()),
            _ => None,
        })
        .collect();
    // The latest state of each item decides whether it is deleted.
    let mut states: BTreeMap<(&str, &str), (i64, &str, bool)> = BTreeMap::new();
    for f in facts {
        if let Fact::Item {
            community_id,
            item_id,
            deleted,
            ts_ms,
            event_id,
            ..
        } = f
        {
            let state = (*ts_ms, event_id.as_str(), *deleted);
            let slot = states.entry((community_id, item_id)).or_insert(state);
            if state > *slot {
                *slot = state;
            }
        }
    }
    // Per (community, member, item): signal counts and latest time.
    let mut signals: BTreeMap<Pair<'_>, (BTreeMap<Signal, i64>, i64)> = BTreeMap::new();
    for f in facts {
        if let Fact::Signal {
            community_id,
            user_id,
            item_id,
            signal,
            ts_ms,
        } = f
        {
            if erased.contains(user_id.as_str()) {
                continue;
            }
            if states
                .get(&(community_id.as_str(), item_id.as_str()))
                .is_some_and(|s| s.2)
            {
                continue;
            }
            let slot = signals
                .entry((community_id, user_id, item_id))
                .or_insert((BTreeMap::new(), i64::MIN));
            *slot.0.entry(*signal).or_insert(0) += 1;
            slot.1 = slot.1.max(*ts_ms);
        }
    }
    // (strength, last_ts, bought) per pair.
    let mut pairs: BTreeMap<(&str, &str, &str), (i64, i64, bool)> = BTreeMap::new();
    for (pair, (counts, last)) in &signals {
        let n = |s| counts.get(&s).copied().unwrap_or(0);
        let bought = n(Signal::Purchase) > n(Signal::Refund);
        let mut strength = 0;
        if n(Signal::View) > 0 {
            strength += w.view;
        }
        if n(Signal::Like) > n(Signal::Unlike) {
            strength += w.like;
        }
        if bought {
            strength += w.purchase;
        }
        if n(Signal::Mention) > 0 {
            strength += w.mention;
        }
        if strength > 0 {
            pairs.insert(*pair, (strength, *last, bought));
        }
    }
    // Histories: most recent H items.
    let mut members: BTreeMap<Member<'_>, Vec<(i64, &str, i64)>> = BTreeMap::new();
    for ((c, u, i), (s, last, _)) in &pairs {
        members.entry((c, u)).or_default().push((*last, i, *s));
    }
    // The most recent H items feed co-occurrence, the most recent S items are scored.
    let mut history: BTreeMap<(&str, &str), Vec<(&str, i64)>> = BTreeMap::new();
    let mut scored: BTreeMap<(&str, &str), Vec<(&str, i64)>> = BTreeMap::new();
    for (member, mut items) in members {
        items.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        let latest: Vec<(&str, i64)> = items.into_iter().map(|(_, i, s)| (i, s)).collect();
        history.insert(
            member,
            latest.iter().take(config.history).copied().collect(),
        );
        scored.insert(
            member,
            latest.into_iter().take(config.score_history).collect(),
        );
    }
    // Co-occurrence and item masses in millionths: RP3β counts walk shares 1/n and degrees,
    // cosine and Jaccard damped products of strengths.
    let contribution = |a: i64, b: i64, len: usize, pair: bool| -> i64 {
        let value = match (config.similarity, pair) {
            (Similarity::Rp3beta, true) => 1.0 / len as f64,
            (Similarity::Rp3beta, false) => 1.0,
            _ => (a * b) as f64 / (len as f64).powf(config.member_damping),
        };
        (value * 1e6).round() as i64
    };
    let mut co: BTreeMap<(&str, &str, &str), i64> = BTreeMap::new();
    let mut norm: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for ((c, _), items) in &history {
        for (a, wa) in items {
            *norm.entry((c, a)).or_insert(0) += contribution(*wa, *wa, items.len(), false);
            for (b, wb) in items {
                if a != b {
                    *co.entry((c, a, b)).or_insert(0) += contribution(*wa, *wb, items.len(), true);
                }
            }
        }
    }
    let mut lists: BTreeMap<(&str, &str), Vec<(i64, &str)>> = BTreeMap::new();
    for ((c, a, b), value) in &co {
        if *value == 0 {
            continue;
        }
        let (x, na, nb) = (
            *value as f64 / 1e6,
            norm[&(*c, *a)] as f64 / 1e6,
            norm[&(*c, *b)] as f64 / 1e6,
        );
        let sim = match config.similarity {
            Similarity::Rp3beta => 1000.0 * x / (na * nb.powf(config.popularity_penalty)),
            Similarity::Cosine => x / ((na * nb).sqrt() + config.shrink),
            Similarity::Jaccard => x / (na + nb - x + config.shrink),
        };
        let micros = (sim * 1e6).round() as i64;
        if micros > 0 {
            lists.entry((c, a)).or_default().push((micros, b));
        }
    }
    let mut rows = BTreeSet::new();
    let mut neighbours: BTreeMap<(&str, &str), Vec<(&str, i64)>> = BTreeMap::new();
    for ((c, a), mut list) in lists {
        list.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(y.1)));
        list.truncate(config.neighbours);
        for (rank, (s, b)) in list.iter().enumerate() {
            rows.insert(ServingRow::SimilarItem {
                community_id: c.into(),
                item_id: a.into(),
                rank: rank as u32 + 1,
                other_item_id: (*b).into(),
                score_micros: *s,
            });
        }
        neighbours.insert((c, a), list.into_iter().map(|(s, b)| (b, s)).collect());
    }
    // Trending: log2 Σ strength·2^(hour/half_life), per community.
    let mut hours: BTreeMap<(&str, &str), BTreeMap<i64, i64>> = BTreeMap::new();
    for ((c, _, i), (s, last, _)) in &pairs {
        *hours
            .entry((c, i))
            .or_default()
            .entry(last.div_euclid(HOUR_MS))
            .or_insert(0) += s;
    }
    let half_life = config.trending_half_life_hours as f64;
    let mut trending: BTreeMap<&str, Vec<(i64, &str)>> = BTreeMap::new();
    for ((c, i), per_hour) in &hours {
        let latest = *per_hour.keys().max().expect("an item has an hour");
        let sum: f64 = per_hour
            .iter()
            .map(|(h, w)| *w as f64 * ((h - latest) as f64 / half_life).exp2())
            .sum();
        let score = ((latest as f64 / half_life + sum.log2()) * 1e6).round() as i64;
        trending.entry(c).or_default().push((score, i));
    }
    for (c, list) in trending.iter_mut() {
        list.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(y.1)));
        list.truncate(config.top_k + config.min_history);
        // The community's top K are also the rows of `trending_items`.
        for (rank, (score, item)) in list.iter().take(config.top_k).enumerate() {
            rows.insert(ServingRow::Trending {
                community_id: (*c).into(),
                rank: rank as u32 + 1,
                item_id: (*item).into(),
                score_micros: *score,
            });
        }
    }
    // Recommendations.
    for ((c, u), items) in &scored {
        let excluded = |j: &str| {
            pairs
                .get(&(*c, *u, j))
                .is_some_and(|(_, _, bought)| *bought || config.exclude_viewed)
        };
        let mut scores: BTreeMap<&str, (i64, i64, &str)> = BTreeMap::new();
        for (i, wi) in items {
            for (j, s) in neighbours.get(&(*c, *i)).map(Vec::as_slice).unwrap_or(&[]) {
                if excluded(j) {
                    continue;
                }
                let contribution = wi * s;
                let slot = scores.entry(j).or_insert((0, i64::MIN, i));
                slot.0 += contribution;
                if contribution > slot.1 || (contribution == slot.1 && *i < slot.2) {
                    slot.1 = contribution;
                    slot.2 = i;
                }
            }
        }
        let mut ranked: Vec<(i64, &str, &str)> = scores
            .iter()
            .map(|(j, (s, _, why))| (*s, *j, *why))
            .collect();
        ranked.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(y.1)));
        ranked.truncate(config.top_k);
        let mut list: Vec<(String, i64, String)> = ranked
            .into_iter()
            .map(|(s, j, why)| (j.to_string(), s, why.to_string()))
            .collect();
        if items.len() < config.min_history {
            for (score, j) in trending.get(c).map(Vec::as_slice).unwrap_or(&[]) {
                if list.len() >= config.top_k {
                    break;
                }
                if excluded(j) || list.iter().any(|(x, _, _)| x == j) {
                    continue;
                }
                list.push((j.to_string(), *score, "trending".into()));
            }
        }
        for (rank, (item, score, reason)) in list.into_iter().enumerate() {
            rows.insert(ServingRow::Recommendation {
                community_id: (*c).into(),
                user_id: (*u).into(),
                rank: rank as u32 + 1,
                item_id: item,
                score_micros: score,
                reason,
            });
        }
    }
    rows
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Steps of any size, in any order of arrival: the state after each step equals the oracle over
    /// the facts so far; the batch run with two workers ends at the same rows.
    #[test]
    fn incremental_recommendations_equal_a_plain_recompute(
        config in config_strategy(),
        facts in prop::collection::vec(fact_strategy(), 1..60),
        cuts in prop::collection::vec(1usize..20, 1..6),
    ) {
        let mut session = RecsSession::new(config.clone());
        let mut applied = 0;
        for cut in cuts.iter().chain(std::iter::once(&usize::MAX)) {
            let end = applied + (*cut).min(facts.len() - applied);
            session.apply(facts[applied..end].to_vec());
            applied = end;
            let expected = oracle(&config, &facts[..applied]);
            let actual: BTreeSet<ServingRow> = session.rows().into_iter().collect();
            prop_assert_eq!(actual, expected, "after {} facts", applied);
            if applied == facts.len() {
                break;
            }
        }
        let batch: BTreeSet<ServingRow> = final_rows(&config, facts.clone(), 2).into_iter().collect();
        prop_assert_eq!(batch, oracle(&config, &facts));
    }
}

/// A hand-checked case, so the oracle itself is pinned: two members who share a taste.
#[test]
fn members_with_a_shared_item_get_each_others_items() {
    let facts = vec![
        signal_fact(0, 1, 1, Signal::View, 1_000),
        signal_fact(0, 1, 2, Signal::Like, 2_000),
        signal_fact(0, 1, 3, Signal::View, 3_000),
        signal_fact(0, 2, 1, Signal::View, 4_000),
        signal_fact(0, 2, 4, Signal::Purchase, 5_000),
        signal_fact(0, 2, 3, Signal::View, 6_000),
    ];
    let config = RecsConfig {
        min_history: 1,
        ..RecsConfig::default()
    };
    let rows = oracle(&config, &facts);
    let items_for = |u: &str| -> Vec<String> {
        rows.iter()
            .filter_map(|r| match r {
                ServingRow::Recommendation {
                    user_id, item_id, ..
                } if user_id == u => Some(item_id.clone()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(items_for("u1"), vec!["i4".to_string()]);
    assert_eq!(items_for("u2"), vec!["i2".to_string()]);
    let mut session = RecsSession::new(config);
    session.apply(facts);
    assert_eq!(session.rows().into_iter().collect::<BTreeSet<_>>(), rows);
}

/// With a retention window, signals stop counting once the stream's event time passes their time
/// plus the window: the state then equals a run that never saw them.
#[test]
fn signals_older_than_the_retention_window_retract() {
    const DAY_MS: i64 = 86_400_000;
    let old = vec![
        signal_fact(0, 1, 1, Signal::View, 1_000),
        signal_fact(0, 1, 2, Signal::Like, 2_000),
        signal_fact(0, 2, 1, Signal::View, 3_000),
        signal_fact(0, 2, 3, Signal::Purchase, 4_000),
    ];
    let recent = vec![
        signal_fact(0, 3, 1, Signal::View, 2 * DAY_MS),
        signal_fact(0, 3, 2, Signal::View, 2 * DAY_MS + 1_000),
        signal_fact(0, 4, 2, Signal::View, 2 * DAY_MS + 2_000),
        signal_fact(0, 4, 3, Signal::Like, 2 * DAY_MS + 3_000),
    ];
    let keep_all = RecsConfig {
        min_history: 1,
        ..RecsConfig::default()
    };
    let config = RecsConfig {
        retention_days: Some(1),
        ..keep_all.clone()
    };
    let mut session = RecsSession::new(config);
    session.apply_at(5, old.clone());
    let fresh: BTreeSet<ServingRow> = session.rows().into_iter().collect();
    assert!(!fresh.is_empty());
    assert_eq!(fresh, oracle(&keep_all, &old));
    session.apply_at(2 * 86_400 + 10, recent.clone());
    let later: BTreeSet<ServingRow> = session.rows().into_iter().collect();
    assert_eq!(later, oracle(&keep_all, &recent));
    let all = [old, recent].concat();
    assert_ne!(later, oracle(&keep_all, &all));
}
