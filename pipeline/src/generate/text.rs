//! Chat text: everyday messages in Chinese and English, and the problem content moderation must catch
//! (spam ads, floods, mild abuse, leaked phone numbers and e-mail addresses).
//!
//! Everything is written into a reused `String`; the word lists are short and deliberately mild.

use std::fmt::Write as _;

use super::communities::Spec;
use super::rng::{Rand, mix};

/// Everyday Chinese messages; `{}` is replaced by a topic name.
const ZH: &[&str] = &[
    "大家好，我是新来的，请多关照",
    "有人用过{}吗？想听听大家的经验",
    "{}这块有推荐的资料吗",
    "今天的直播讲得太好了，收获很多",
    "求助：按教程做了一遍还是报错，怎么办",
    "谢谢分享！",
    "这个问题我也遇到过，后来重装就好了",
    "周末有人一起线下交流{}吗",
    "收到，感谢群主",
    "{}真的是越学越有意思",
    "请问作业什么时候截止？",
    "早上好☀️",
];
/// Everyday English messages; `{}` is replaced by a topic name.
const EN: &[&str] = &[
    "anyone tried {} in production?",
    "thanks for sharing!",
    "great session today, learned a lot",
    "how do I fix this error? followed the guide step by step",
    "good morning everyone",
    "any good resources on {}?",
    "just finished the first module, feels good",
    "is the recording of yesterday's live up yet?",
    "+1, same question here",
    "looking for a study buddy for {}",
];
/// Short answers to another message.
const REPLIES: &[&str] = &[
    "同意",
    "+1",
    "我也是这么想的",
    "谢谢，解决了！",
    "可以私聊吗",
    "agreed",
    "thanks, that worked",
    "same here",
    "good point",
    "哈哈哈哈",
    "学到了",
    "have you tried restarting it?",
];
/// Messages pointing at an item: text before and after its id.
const ITEM_NOTES: &[(&str, &str)] = &[
    ("有人一起看 ", " 吗?"),
    ("推荐 ", "，讲得很清楚"),
    ("check out ", ", really good"),
    ("has anyone finished ", " yet?"),
    ("", " 里的代码在哪里下载？"),
];
/// Spam templates: `{}` is replaced by a contact of the given sort (0 WeChat id, 1 QQ number, 2 link).
const SPAM: &[(&str, u8)] = &[
    ("加我微信 {} 领取资料", 0),
    ("免费领取全套视频课程，加V：{}", 0),
    ("cheap followers at {}", 2),
    ("Earn $500/day from home!!! visit {}", 2),
    ("代开发票，联系 QQ {}", 1),
    ("兼职刷单日结，私聊 {}", 0),
];
/// Mild abuse, Chinese and English.
const ABUSE: &[&str] = &[
    "你是不是傻",
    "垃圾群主，退钱",
    "脑子有问题吧",
    "废物，这都不会",
    "you idiot",
    "shut up, loser",
    "stupid question from a stupid person",
    "this course is garbage and so are you",
];
/// Mobile number prefixes of mainland carriers.
const PHONE_PREFIXES: &[&str] = &["138", "139", "136", "186", "150", "177", "131", "189"];
/// Common mail domains.
const MAIL_DOMAINS: &[&str] = &["qq.com", "163.com", "gmail.com", "outlook.com"];

/// Writes an everyday message about one of `spec`'s topics.
pub(crate) fn everyday(s: &mut String, rng: &mut Rand, spec: &Spec, topic: usize) {
    let t = &spec.topics[topic % spec.topics.len()];
    let (template, name) = if rng.chance(0.6) {
        (*rng.pick(ZH), t.zh)
    } else {
        (*rng.pick(EN), t.en)
    };
    fill(s, template, name);
}

/// Writes a short answer.
pub(crate) fn reply(s: &mut String, rng: &mut Rand) {
    s.push_str(rng.pick::<&str>(REPLIES));
}

/// Writes a message around an item id; `write_id` appends the id.
pub(crate) fn about_item(s: &mut String, rng: &mut Rand, write_id: impl FnOnce(&mut String)) {
    let (before, after) = *rng.pick(ITEM_NOTES);
    s.push_str(before);
    write_id(s);
    s.push_str(after);
}

/// Writes spam variant `variant`: the same variant always gives the same text (floods repeat it).
pub(crate) fn spam(s: &mut String, variant: u64) {
    let h = mix(variant);
    let (template, sort) = SPAM[(h % SPAM.len() as u64) as usize];
    let mut contact = String::with_capacity(32);
    let n = h >> 16;
    // Writing to a String cannot fail.
    let _ = match sort {
        0 => write!(
            contact,
            "{}{}",
            ["vx", "wx_", "kefu"][(n % 3) as usize],
            n % 90_000_000 + 10_000_000
        ),
        1 => write!(contact, "{}", n % 900_000_000 + 100_000_000),
        _ => write!(
            contact,
            "http://{}/{:x}",
            ["bit.example", "fans.example.net"][(n % 2) as usize],
            n & 0xff_ffff
        ),
    };
    fill(s, template, &contact);
}

/// Writes a mildly abusive message.
pub(crate) fn abuse(s: &mut String, rng: &mut Rand) {
    s.push_str(rng.pick::<&str>(ABUSE));
}

/// Writes a message leaking a phone number or an e-mail address.
pub(crate) fn leak(s: &mut String, rng: &mut Rand) {
    // Writing to a String cannot fail.
    let _ = if rng.chance(0.6) {
        let number = rng.below(100_000_000);
        let prefix = rng.pick(PHONE_PREFIXES);
        match rng.below(3) {
            0 => write!(s, "我的手机号是 {prefix}{number:08}，有问题直接打我"),
            1 => write!(s, "联系我：{prefix}{number:08}"),
            _ => write!(s, "call me at +86 {prefix}{number:08}"),
        }
    } else {
        let user = ["xiaoming", "lily.chen", "wang_dev", "coder"][rng.below(4) as usize];
        let digits = rng.below(10_000);
        let domain = rng.pick(MAIL_DOMAINS);
        if rng.chance(0.5) {
            write!(s, "我的邮箱 {user}{digits}@{domain}，发我一份")
        } else {
            write!(s, "email me at {user}{digits}@{domain}")
        }
    };
}

/// Appends `template` with its `{}` (if any) replaced by `value`.
fn fill(s: &mut String, template: &str, value: &str) {
    match template.split_once("{}") {
        Some((before, after)) => {
            s.push_str(before);
            s.push_str(value);
            s.push_str(after);
        }
        None => s.push_str(template),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::communities::COMMUNITIES;

    #[test]
    fn texts_are_nonempty_and_spam_repeats() {
        let mut rng = Rand::for_block(1, 0);
        let mut s = String::new();
        for _ in 0..200 {
            s.clear();
            everyday(&mut s, &mut rng, &COMMUNITIES[0], 3);
            assert!(!s.is_empty() && !s.contains("{}"));
            s.clear();
            leak(&mut s, &mut rng);
            assert!(s.contains('@') || s.contains("1"));
        }
        let (mut a, mut b) = (String::new(), String::new());
        spam(&mut a, 77);
        spam(&mut b, 77);
        assert_eq!(a, b);
    }
}
