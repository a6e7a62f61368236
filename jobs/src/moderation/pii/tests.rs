//! End-to-end tests of detection through normalisation, and of redaction in the original text.

use super::*;

fn kinds(message: &str) -> Vec<PiiKind> {
    detect(message).into_iter().map(|f| f.kind).collect()
}

#[test]
fn obfuscated_numbers_are_found_through_normalisation() {
    assert_eq!(
        kinds("电话：１３８ １２３４ ５６７８"),
        vec![PiiKind::Mobile]
    );
    assert_eq!(
        kinds("打我电话一三八一二三四五六七八"),
        vec![PiiKind::Mobile]
    );
    assert_eq!(
        kinds("call one three eight one two three four five six seven eight"),
        vec![PiiKind::Mobile]
    );
    assert_eq!(kinds("1\u{200B}3812345678"), vec![PiiKind::Mobile]);
}

#[test]
fn a_handle_that_is_a_phone_number_is_reported_once() {
    assert_eq!(kinds("加微信13812345678"), vec![PiiKind::Mobile]);
    assert_eq!(kinds("加 微 信 abc_123"), vec![PiiKind::Handle]);
}

#[test]
fn links_are_reported_but_do_not_alert() {
    let findings = detect("see https://meta.stackexchange.com/q/1 for details");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].kind, PiiKind::Url);
    assert!(!alerts(&findings));
    assert!(alerts(&detect("join t.me/joinchat/xyz123")));
}

#[test]
fn redaction_replaces_the_original_spelling() {
    let message =
        "我的电话是１３８-１２３４-５６７８，邮箱 Zhang.San@QQ.com，身份证11010519491231002X。";
    let findings = detect(message);
    let kinds: Vec<PiiKind> = findings.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        vec![PiiKind::Mobile, PiiKind::Email, PiiKind::ResidentId]
    );
    assert_eq!(
        redact(message, &findings),
        "我的电话是[mobile]，邮箱 [email]，身份证[resident_id]。"
    );
    // nothing detectable is left in the redacted text
    assert!(!alerts(&detect(&redact(message, &findings))));
}

#[test]
fn ordinary_chat_has_no_findings() {
    for message in [
        "Ok lar... Joking wif u oni...",
        "see you at 10:30 in room 204, bring 2 copies",
        "今天的直播 8 点开始，记得带上第 3 章的作业",
        "@GPierce I apologize, I typed this out without realizing",
        "It costs 12,500 yuan, order no. 2018081200123",
    ] {
        assert!(
            detect(message).is_empty(),
            "{message}: {:?}",
            detect(message)
        );
    }
}

#[test]
fn cohorts_own_placeholders_are_not_findings_but_neighbours_are() {
    // the hex of a hash token holds a landline-shaped run (0336 62193794)
    assert!(detect("vx：[handle:033662193794df95] 备注来意").is_empty());
    assert!(detect("call [mobile] or [email]").is_empty());
    assert_eq!(kinds("[mobile]13812345678"), vec![PiiKind::Mobile]);
    // brackets that are not ours do not hide anything
    assert_eq!(kinds("[note:033662193794df95]"), vec![PiiKind::Landline]);
    // a member pseudonym written for an @-mention is ours too; a shorter hex run is not
    assert!(detect("@pm_033662193794df95033662193794df95 see above").is_empty());
    assert_eq!(kinds("@pm_033662193794df95"), vec![PiiKind::Landline]);
    let message = "打 13812345678 或者发到 li.lei@example.com";
    let once = redact(message, &detect(message));
    assert_eq!(redact(&once, &detect(&once)), once);
}

#[test]
fn the_digit_prefilter_says_yes_wherever_the_patterns_could_match() {
    let digit = regex::Regex::new(r"\d").unwrap();
    for c in (0..=0x10FFFF).filter_map(char::from_u32) {
        let text = format!("ab{c}你");
        if digit.is_match(&text) {
            assert!(may_hold_digits(&text), "U+{:04X} is a digit", c as u32);
        }
    }
    assert!(!may_hold_digits("加微信 wxid_abc 谢谢"));
    assert!(may_hold_digits("tel ١٣٨"));
}
