//! Messenger handles introduced by a cue word: `加我微信 abc_123`, `vx: zhangsan1990`, `qq 12345678`,
//! `tg @someone`. Without a cue a handle is just a word, so only what follows a cue is looked at, and
//! each platform's handle rules apply (QQ numbers are 5–11 digits; WeChat IDs 6–20 characters
//! starting with a letter, or a phone number; Telegram names 5–32 characters).

use std::sync::LazyLock;

use regex::Regex;

use super::{PiiKind, Raw};

static CUED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:(?P<wx>加我微信|加微信|微信号|微信|威信|薇信|v信|vx|wx|weixin|wechat|加v)|(?P<qq>qq号|qq|扣扣|企鹅号)|(?P<tg>telegram|tg|电报|纸飞机|飞机号))(?P<fill>[\s:=]*(?:(?:号码|号|是)[\s:=]*|id[\s:=]+)?)(?P<h>@?[a-z0-9][a-z0-9_\-]{3,31})",
    )
    .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Every cued handle in normalised `text`, as (kind, byte range of the handle alone).
pub fn find(text: &str, out: &mut Raw) {
    for caps in CUED.captures_iter(text) {
        let (Some(whole), Some(h), Some(fill)) = (caps.get(0), caps.name("h"), caps.name("fill"))
        else {
            continue;
        };
        let handle = h.as_str();
        let cue_end = fill.start();
        let cue = &text[whole.start()..cue_end];
        // an ASCII cue must stand alone: not the end of a word ("divx") nor glued to one ("wxwidgets")
        if cue.is_ascii() {
            let before = text[..whole.start()].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            if fill.as_str().is_empty() && handle.starts_with(|c: char| c.is_ascii_alphabetic()) {
                continue;
            }
        }
        let explicit = fill.as_str().chars().any(|c| !c.is_whitespace());
        let valid = if caps.name("qq").is_some() {
            qq_number(handle)
        } else if caps.name("tg").is_some() {
            telegram(handle)
        } else {
            wechat(handle, explicit)
        };
        if valid {
            out.push((PiiKind::Handle, h.range()));
        }
    }
}

fn qq_number(h: &str) -> bool {
    (5..=11).contains(&h.len()) && !h.starts_with('0') && h.bytes().all(|b| b.is_ascii_digit())
}

fn telegram(h: &str) -> bool {
    let name = h.strip_prefix('@').unwrap_or(h);
    (5..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A WeChat ID (6–20, letter first, letters/digits/_/-) or the phone or QQ number it is bound to.
/// A plain word is only taken as an ID after an explicit `:`, `号`, `是` or `id`, or when it holds
/// a digit, `_` or `-` ("微信 please" is not an ID, "微信 zhang_san" is).
fn wechat(h: &str, explicit: bool) -> bool {
    if h.bytes().all(|b| b.is_ascii_digit()) {
        return qq_number(h) || (h.len() == 11 && h.starts_with('1'));
    }
    let plain_word = h.bytes().all(|b| b.is_ascii_alphabetic());
    (6..=20).contains(&h.len())
        && h.starts_with(|c: char| c.is_ascii_alphabetic())
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && (explicit || !plain_word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handles(text: &str) -> Vec<&str> {
        let found = super::super::found_by(find, text);
        found.into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn cued_handles_are_found() {
        assert_eq!(handles("加我微信abc_123领取"), vec!["abc_123"]);
        assert_eq!(handles("vx: zhangsan"), vec!["zhangsan"]);
        assert_eq!(handles("微信号是 lisi1990"), vec!["lisi1990"]);
        assert_eq!(handles("qq 12345678 找我"), vec!["12345678"]);
        assert_eq!(handles("tg @rust_fan"), vec!["@rust_fan"]);
        assert_eq!(handles("加微信13812345678"), vec!["13812345678"]);
        assert_eq!(handles("加我微信idn7981"), vec!["idn7981"]); // not the filler "id"
        assert_eq!(handles("微信id: wx_abc1"), vec!["wx_abc1"]);
    }

    #[test]
    fn words_after_cues_and_cues_inside_words_are_not_handles() {
        assert!(handles("微信 please add me").is_empty());
        assert!(handles("i use wxwidgets and divx 12345").is_empty());
        assert!(handles("qq group is great").is_empty());
        assert!(handles("tg is short for telegram").is_empty());
    }
}
