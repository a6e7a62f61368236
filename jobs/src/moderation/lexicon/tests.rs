//! Tests of the lexicon rules: matching through normalisation, word boundaries, exceptions and
//! community lists, and the shipped lexicons. The file format and reloading have their own tests
//! (`file/tests.rs`, `reload/tests.rs`).

use std::collections::BTreeMap;
use std::path::Path;

use cohort_schemas::activity::Severity;

use super::{CommunityLists, Lexicon, LexiconError, LexiconKind, LexiconSet, embedded, file};
use crate::moderation::normalize::normalize;

const ABUSE: &str = "\
# lexicon: test-abuse
# kind: abuse
# severity: major
# source: written for these tests
# licence: Apache-2.0
ass
idiot
傻逼
去死吧 | critical
";

const SPAM: &str = "\
# lexicon: test-spam
# kind: spam
# severity: minor
# source: written for these tests
# licence: Apache-2.0
# Phrases below, one a line
ＷｅＣｈａｔ
加微信
dm me
dm me for
guaranteed returns
刷单
!加微信支付
";

fn lexicon(text: &str) -> Lexicon {
    file::parse(Path::new("test.txt"), text).unwrap()
}

fn set_with(communities: &[(&str, &[&str], &[&str])]) -> LexiconSet {
    let lists: BTreeMap<String, CommunityLists> = communities
        .iter()
        .map(|(id, block, allow)| {
            let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
            let lists = CommunityLists {
                block: strings(block),
                allow: strings(allow),
            };
            (id.to_string(), lists)
        })
        .collect();
    LexiconSet::from_lexicons(vec![lexicon(ABUSE), lexicon(SPAM)], &lists).unwrap()
}

fn set() -> LexiconSet {
    set_with(&[])
}

/// The matched phrases of `message` in `community` (also used by the reload tests).
pub(super) fn phrases(set: &LexiconSet, community: &str, message: &str) -> Vec<String> {
    let norm = normalize(message);
    set.find(community, &norm)
        .iter()
        .map(|h| h.phrase.to_string())
        .collect()
}

#[test]
fn english_and_chinese_phrases_are_found_with_their_lexicon() {
    let set = set();
    let message = "Guaranteed returns! DM me for details, 傻逼";
    let norm = normalize(message);
    let hits = set.find("c1", &norm);
    let found: Vec<_> = hits
        .iter()
        .map(|h| (h.lexicon, h.kind, h.severity, h.phrase))
        .collect();
    // `dm me` is nested in `dm me for` and reported once, as the longer phrase
    assert_eq!(
        found,
        [
            (
                "test-spam",
                LexiconKind::Spam,
                Severity::Minor,
                "guaranteed returns"
            ),
            ("test-spam", LexiconKind::Spam, Severity::Minor, "dm me for"),
            ("test-abuse", LexiconKind::Abuse, Severity::Major, "傻逼"),
        ]
    );
    assert_eq!(&message[hits[2].original.clone()], "傻逼");
    assert_eq!(&message[hits[0].original.clone()], "Guaranteed returns");
    let threat = set.find("c1", &normalize("你去死吧"));
    assert_eq!(threat.len(), 1);
    assert_eq!(threat[0].severity, Severity::Critical);
}

#[test]
fn evasions_are_matched_and_evidence_points_at_the_original() {
    let set = set();
    for (message, phrase, evidence) in [
        ("add my ＷＥＣＨＡＴ now", "wechat", "ＷＥＣＨＡＴ"),
        ("add me on w.e.c.h.a.t now", "wechat", "w.e.c.h.a.t"),
        (
            "my w\u{0435}ch\u{0430}t is open",
            "wechat",
            "w\u{0435}ch\u{0430}t",
        ),
        ("快 加 微 信 领资料", "加微信", "加 微 信"),
        (
            "GUARANTEED RETURNS",
            "guaranteed returns",
            "GUARANTEED RETURNS",
        ),
    ] {
        let norm = normalize(message);
        let hits = set.find("c1", &norm);
        assert_eq!(hits.len(), 1, "{message}: {hits:?}");
        assert_eq!(hits[0].phrase, phrase, "{message}");
        assert_eq!(&message[hits[0].original.clone()], evidence, "{message}");
        assert_eq!(
            &norm.text()[hits[0].normalized.clone()],
            phrase,
            "{message}"
        );
    }
}

#[test]
fn latin_phrases_respect_word_boundaries_and_han_phrases_do_not_need_them() {
    let set = set();
    assert!(phrases(&set, "c1", "this class is great").is_empty());
    assert!(phrases(&set, "c1", "we assess the passing tests").is_empty());
    assert_eq!(phrases(&set, "c1", "what an ass"), ["ass"]);
    assert!(phrases(&set, "c1", "an idiotic design").is_empty());
    assert_eq!(phrases(&set, "c1", "you idiot."), ["idiot"]);
    // the longer phrase fails its boundary; the shorter one inside it is still found
    assert_eq!(phrases(&set, "c1", "dm me forever"), ["dm me"]);
    // Han text around a Latin phrase is not part of its word
    assert_eq!(phrases(&set, "c1", "加我wechat好吗"), ["wechat"]);
    assert_eq!(phrases(&set, "c1", "你傻逼吧"), ["傻逼"]);
}

#[test]
fn exceptions_drop_hits_inside_them() {
    let set = set();
    assert!(phrases(&set, "c1", "我们要加微信支付功能").is_empty());
    assert_eq!(phrases(&set, "c1", "加微信领资料"), ["加微信"]);
    assert_eq!(lexicon(SPAM).exceptions, ["加微信支付"]);
}

#[test]
fn allow_lists_apply_in_their_community_only() {
    let set = set_with(&[("shop", &[], &["刷单"]), ("course", &[], &["刷 单 培 训"])]);
    assert!(phrases(&set, "shop", "教你识别刷单骗局").is_empty());
    assert_eq!(phrases(&set, "other", "教你识别刷单骗局"), ["刷单"]);
    // an allowed phrase covers the hits inside it, not hits elsewhere
    assert!(phrases(&set, "course", "刷单培训课").is_empty());
    assert_eq!(phrases(&set, "course", "刷单赚钱"), ["刷单"]);
}

#[test]
fn block_lists_apply_in_their_community_only() {
    let set = set_with(&[
        ("ads", &["代写论文", "ＳｕｐｅｒＶＰＮ"], &[]),
        ("shop", &[], &[]),
    ]);
    let norm = normalize("专业代写论文");
    let hits = set.find("ads", &norm);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].lexicon, "community:ads");
    assert_eq!(hits[0].kind, LexiconKind::Custom);
    assert_eq!(hits[0].severity, Severity::Major);
    assert!(set.find("shop", &norm).is_empty());
    assert_eq!(phrases(&set, "ads", "try supervpn today"), ["supervpn"]);
}

#[test]
fn phrases_are_normalised_and_kept_once_with_the_most_severe_entry() {
    let extra = "\
# lexicon: x
# kind: spam
# severity: major
# source: tests
# licence: Apache-2.0
WeChat
ｗｅｃｈａｔ
加 微 信
";
    let set = LexiconSet::from_lexicons(
        vec![lexicon(ABUSE), lexicon(SPAM), lexicon(extra)],
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(set.phrase_count(), 10);
    let norm = normalize("wechat");
    let hits = set.find("c1", &norm);
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].lexicon, hits[0].severity), ("x", Severity::Major));
}

#[test]
fn lists_that_cannot_work_are_rejected() {
    let twice = LexiconSet::from_lexicons(vec![lexicon(ABUSE), lexicon(ABUSE)], &BTreeMap::new());
    assert!(matches!(twice, Err(LexiconError::DuplicateName { .. })));
    let mut communities = BTreeMap::new();
    communities.insert(
        "c1".to_string(),
        CommunityLists {
            block: vec!["\u{200B} ".to_string()],
            allow: Vec::new(),
        },
    );
    let e = LexiconSet::from_lexicons(Vec::new(), &communities).unwrap_err();
    assert!(e.to_string().contains("communities.c1.block"), "{e}");
}

#[test]
fn shipped_lexicons_parse_state_their_licence_and_match() {
    let lexicons = embedded::lexicons().unwrap();
    assert_eq!(lexicons.len(), embedded::EMBEDDED.len());
    for l in &lexicons {
        assert!(
            l.entries.len() >= 30,
            "{}: {} phrases",
            l.name,
            l.entries.len()
        );
        assert!(l.source.contains("written for cohort"), "{}", l.name);
        assert!(l.licence.starts_with("Apache-2.0"), "{}", l.name);
    }
    let set = LexiconSet::embedded().unwrap();
    assert!(set.phrase_count() > 400);
    let found = |message: &str| {
        let norm = normalize(message);
        set.find("c1", &norm)
            .iter()
            .map(|h| (h.lexicon.to_string(), h.phrase.to_string()))
            .collect::<Vec<_>>()
    };
    let has = |message: &str, lexicon: &str, phrase: &str| {
        found(message).contains(&(lexicon.to_string(), phrase.to_string()))
    };
    assert!(has("加 我 微 信 领取资料", "zh-ads-scam", "加我微信"));
    assert!(has("专业代开发票", "zh-ads-scam", "代开发票"));
    assert!(has("You are an IDIOT", "en-abuse", "you are an idiot"));
    assert!(has(
        "Crypto giveaway!!! send 1 BTC",
        "en-ads-scam",
        "crypto giveaway"
    ));
    assert!(has("你个废物", "zh-abuse", "你个废物"));
    // ordinary programming and course chat
    for message in [
        "kill the process and dump the heap",
        "free up some memory before the next class",
        "this assessment passes all the tests",
        "the idiot-proof API still crashed",
        "git push --force and you are done",
        "click the button to run the tests",
        "the OOM killer will kill your job",
        "I won't do your homework for you",
        "垃圾回收器会释放内存",
        "除去死锁的办法是固定加锁顺序",
        "我们要加微信支付和微信登录",
        "开支那么大怎么办",
        "包过滤规则写在这里",
        "可以作为替代考虑",
        "反洗钱合规检查",
        "帮我滚动到底部",
        "这就是个废物利用的例子",
    ] {
        assert!(found(message).is_empty(), "{message}: {:?}", found(message));
    }
}
