//! Contact details on the web: e-mail addresses, invite links to private groups (Telegram, WhatsApp,
//! Discord, WeChat and QQ groups), and other links.
//!
//! Links are found with or without a scheme (`www.x.com`, `x.cn/abc`) over a list of common
//! top-level domains; a bare word with a dot and an unknown ending (`e.g`, `file.rs`) is not one.
//! No `\b` anchors: Chinese puts no space before a link, and to Unicode word boundaries `看abc.cn`
//! is one word, so host ends are checked by hand.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::{PiiKind, Raw};

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| unreachable!("static regex {pattern}: {e}"))
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"[a-z0-9][a-z0-9._%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,24}",
    )
});

/// Top-level domains links commonly use in Chinese and English chat.
const TLDS: &str = "com|cn|net|org|io|me|cc|co|xyz|top|info|biz|vip|club|site|online|link|app|dev|gg|ly|gl|tv|hk|tw|uk|de|jp|ru|us|ai";

/// Characters of a link after the host: printable ASCII except brackets and quotes (Chinese text
/// follows a link without a space, and `链接t.me/x了吗` ends at `x`).
const PATH: &str = r"[\x21-\x7e&&[^<>\x22'()\[\]{}]]";

static URL: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?:https?://|www\.){PATH}+|[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.(?:{TLDS})(?:[/:?#]{PATH}*)?"
    ))
});

/// Hosts and paths of links that join a private group or chat.
const INVITE_MARKERS: [&str; 12] = [
    "t.me/",
    "telegram.me/",
    "telegram.dog/",
    "chat.whatsapp.com/",
    "wa.me/",
    "discord.gg/",
    "discord.com/invite",
    "discordapp.com/invite",
    "weixin.qq.com/g/",
    "u.wechat.com/",
    "qm.qq.com/",
    "jq.qq.com/",
];

/// Every e-mail address and link in normalised `text`, as (kind, byte range).
pub fn find(text: &str, out: &mut Raw) {
    let emails: Vec<Range<usize>> = EMAIL.find_iter(text).map(|m| m.range()).collect();
    for m in URL.find_iter(text) {
        // the domain of an address is not a link of its own
        if emails
            .iter()
            .any(|e| e.start <= m.start() && m.end() <= e.end)
        {
            continue;
        }
        // a top-level domain must end the host: "file.company" is not "file.com"
        if text[m.end()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-') {
            continue;
        }
        let link = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
        let range = m.start()..m.start() + link.len();
        let kind = if INVITE_MARKERS.iter().any(|i| link.contains(i)) {
            PiiKind::InviteLink
        } else {
            PiiKind::Url
        };
        out.push((kind, range));
    }
    out.extend(emails.into_iter().map(|r| (PiiKind::Email, r)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(PiiKind, &str)> {
        super::super::found_by(find, text)
    }

    #[test]
    fn emails_and_links() {
        assert_eq!(
            kinds("mail me: zhang.san@qq.com."),
            vec![(PiiKind::Email, "zhang.san@qq.com")]
        );
        assert_eq!(
            kinds("see https://example.com/a?b=1, ok"),
            vec![(PiiKind::Url, "https://example.com/a?b=1")]
        );
        assert_eq!(kinds("去 abc.cn/x 看看"), vec![(PiiKind::Url, "abc.cn/x")]);
        assert_eq!(kinds("去abc.cn看看"), vec![(PiiKind::Url, "abc.cn")]);
        assert_eq!(
            kinds("链接https://t.me/x1了吗"),
            vec![(PiiKind::InviteLink, "https://t.me/x1")]
        );
        assert!(kinds("the file.company and my.commons").is_empty());
        assert_eq!(
            kinds("进群 t.me/joinchat/abcdef"),
            vec![(PiiKind::InviteLink, "t.me/joinchat/abcdef")]
        );
        assert_eq!(
            kinds("join https://discord.gg/rust!"),
            vec![(PiiKind::InviteLink, "https://discord.gg/rust")]
        );
    }

    #[test]
    fn dotted_words_are_not_links() {
        assert!(kinds("e.g. see main.rs and i.e. the file.txt").is_empty());
        assert!(kinds("version 1.2.3, 3.14").is_empty());
    }
}
