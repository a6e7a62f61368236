//! Tests of the normalisation pipeline: each evasion trick of the issue, and the offsets back.

use super::*;

fn n(s: &str) -> String {
    normalize(s).text().to_string()
}

#[test]
fn case_width_and_spaces() {
    assert_eq!(n("  Hello\t\tＷＯＲＬＤ\n "), "hello world");
    assert_eq!(n(""), "");
    assert_eq!(n("   "), "");
}

#[test]
fn separator_tricks_are_joined() {
    assert_eq!(n("add me on w.e.c.h.a.t now"), "add me on wechat now");
    assert_eq!(n("W E C H A T"), "wechat");
    assert_eq!(n("加 微 信"), "加微信");
    assert_eq!(n("加-微-信 领取"), "加微信领取");
    assert_eq!(n("v*x: a_b_c_1_2_3"), "v*x: abc123");
}

#[test]
fn ordinary_text_is_left_alone() {
    // two tokens, mixed separators, ordinary words: nothing to join
    assert_eq!(n("a.m. or p.m."), "a.m. or p.m.");
    assert_eq!(n("I am a u.s. citizen"), "i am a u.s. citizen");
    assert_eq!(n("version 10.2.33"), "version 10.2.33");
    assert_eq!(n("我们 在 这里, ok"), "我们在这里, ok");
    assert_eq!(n("one of two things"), "one of two things");
    assert_eq!(n("一起三个人"), "一起三个人");
}

#[test]
fn zero_width_characters_and_homoglyphs_vanish() {
    assert_eq!(n("we\u{200B}ch\u{200D}at"), "wechat");
    assert_eq!(n("wеchаt"), "wechat"); // Cyrillic е and а
    assert_eq!(n("ＦＲＥＥ ｍｏｎｅｙ！"), "free money!");
}

#[test]
fn chinese_numerals_become_digits() {
    assert_eq!(n("电话一三八一二三四五六七八"), "电话13812345678");
    assert_eq!(n("qq 幺二三四五六七"), "qq 1234567");
    assert_eq!(n("壹叁捌零零壹叁捌零零零"), "13800138000");
    assert_eq!(n("三三两两"), "三三两两");
}

#[test]
fn english_digit_words_become_digits() {
    assert_eq!(
        n("call one three eight 1234 five six seven eight"),
        "call 13812345678"
    );
    assert_eq!(n("Call Four-Four-Oh-One now"), "call 4401 now");
    assert_eq!(n("one two buckle my shoe"), "one two buckle my shoe");
    assert_eq!(n("someone two three four"), "someone two three four");
}

#[test]
fn circled_and_keycap_digits() {
    assert_eq!(n("①③⑧"), "138");
    assert_eq!(n("1\u{FE0F}\u{20E3}3\u{FE0F}\u{20E3}"), "13");
}

#[test]
fn offsets_map_back_to_the_original() {
    let original = "加 微 信：ＡＢＣ１２３ now";
    let norm = normalize(original);
    assert_eq!(norm.text(), "加微信:abc123 now");
    let at = norm.text().find("abc123").unwrap();
    let range = norm.original_range(at..at + "abc123".len()).unwrap();
    assert_eq!(&original[range], "ＡＢＣ１２３");
    let range = norm.original_range(0.."加微信".len()).unwrap();
    assert_eq!(&original[range], "加 微 信");
    assert_eq!(norm.original_range(3..3), None);
    assert_eq!(norm.original_range(0..1000), None);
}

#[test]
fn offsets_of_digit_words_cover_the_words() {
    let original = "call ONE three eight 1234 five six seven eight ok";
    let norm = normalize(original);
    let at = norm.text().find("138").unwrap();
    let range = norm.original_range(at..at + 11).unwrap();
    assert_eq!(
        &original[range],
        "ONE three eight 1234 five six seven eight"
    );
}

#[test]
fn redaction_through_offsets_removes_the_evidence() {
    let original = "my v x: W.E.C.H.A.T.１２３ bye";
    let norm = normalize(original);
    let at = norm.text().find("wechat").unwrap();
    assert_eq!(norm.text(), "my v x: wechat.123 bye");
    let range = norm.original_range(at..at + "wechat".len()).unwrap();
    let redacted = format!(
        "{}[redacted]{}",
        &original[..range.start],
        &original[range.end..]
    );
    assert_eq!(redacted, "my v x: [redacted].１２３ bye");
}

#[test]
fn every_original_range_is_on_char_boundaries() {
    let original = "Ｈé\u{200B}llo 加 微 信 一三八一二三四五六七八 x.y.z ﬁ";
    let norm = normalize(original);
    for (i, c) in norm.text().char_indices() {
        let r = norm.original_range(i..i + c.len_utf8()).unwrap();
        assert!(original.is_char_boundary(r.start) && original.is_char_boundary(r.end));
        assert!(r.start < r.end);
    }
}
