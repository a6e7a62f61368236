//! Items: their stable attributes (kind, topic, price, title, tags, author) as pure functions of
//! `(seed, community, number)`, so a view in any block names the same item a prelude event published.

use std::fmt::Write as _;

use super::communities::COMMUNITIES;
use super::json::{push_str, push_u64};
use super::rng::hash3;

/// The `item_kind` values, indexed by [`ItemInfo::kind`].
pub(crate) const ITEM_KINDS: [&str; 5] = ["post", "course", "lesson", "live", "event"];
/// Index of `course` in [`ITEM_KINDS`].
pub(crate) const COURSE: usize = 1;

/// Salt of the item attribute hash.
const SALT: u64 = 0x6974_656d;

/// The stable attributes of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ItemInfo {
    /// Index into [`ITEM_KINDS`].
    pub(crate) kind: usize,
    /// Index into the community's topics.
    pub(crate) topic: usize,
    /// Price in fen, for paid items.
    pub(crate) price: Option<i64>,
    /// Hash bits for the remaining choices (title template, language, extra tags).
    bits: u64,
}

/// How an item event presents the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemChange {
    /// First publication.
    Publish,
    /// An edit: revised title, discounted price.
    Update,
    /// Deletion: `deleted: true`.
    Delete,
}

/// The attributes of item `j` of community `c`.
pub(crate) fn item_info(seed: u64, c: usize, j: u64) -> ItemInfo {
    let spec = &COMMUNITIES[c];
    let bits = hash3(seed ^ SALT, c as u64, j);
    let total: u32 = spec.kinds.iter().sum();
    let mut pick = (bits % u64::from(total)) as u32;
    let mut kind = 0;
    for (k, &w) in spec.kinds.iter().enumerate() {
        if pick < w {
            kind = k;
            break;
        }
        pick -= w;
    }
    let choose = |xs: &[i64]| xs[((bits >> 24) % xs.len() as u64) as usize];
    let paid = (bits >> 40) % 100;
    let price = match kind {
        COURSE => Some(choose(&[9900, 19900, 29900, 39900, 49900, 69900, 99900])),
        2 if paid < 25 => Some(choose(&[990, 1990, 2990])),
        3 if paid < 35 => Some(choose(&[990, 1990, 4990])),
        4 if paid < 70 => Some(choose(&[4900, 9900, 19900])),
        0 if paid < 4 => Some(choose(&[100, 500, 990])),
        _ => None,
    };
    ItemInfo {
        kind,
        topic: (j % spec.topics.len() as u64) as usize,
        price,
        bits,
    }
}

/// Appends the id of item `j` of community `c` (`course-1-17`), without quotes.
pub(crate) fn push_item_id(out: &mut Vec<u8>, c: usize, j: u64, info: &ItemInfo) {
    out.extend_from_slice(ITEM_KINDS[info.kind].as_bytes());
    out.push(b'-');
    push_u64(out, c as u64);
    out.push(b'-');
    push_u64(out, j);
}

/// Appends the id of item `j` of community `c` to a text.
pub(crate) fn item_id_into(text: &mut String, c: usize, j: u64, info: &ItemInfo) {
    // Writing to a String cannot fail.
    let _ = write!(text, "{}-{c}-{j}", ITEM_KINDS[info.kind]);
}

/// Appends the item fields of an `item` event (`"item_id":…` up to the closing brace, exclusive).
pub(crate) fn push_item_fields(
    out: &mut Vec<u8>,
    scratch: &mut String,
    c: usize,
    j: u64,
    info: &ItemInfo,
    author: u64,
    change: ItemChange,
) {
    let spec = &COMMUNITIES[c];
    let topic = &spec.topics[info.topic];
    out.extend_from_slice(b",\"item_id\":\"");
    push_item_id(out, c, j, info);
    out.extend_from_slice(b"\",\"title\":");
    scratch.clear();
    write_title(scratch, c, j, info);
    if change == ItemChange::Update {
        scratch.push_str(if info.bits & 1 == 0 {
            "（修订版）"
        } else {
            " (updated)"
        });
    }
    push_str(out, scratch);
    out.extend_from_slice(b",\"tags\":[");
    push_str(out, topic.tag);
    let second = &spec.topics[(info.topic + 1 + (info.bits >> 8) as usize % 3) % spec.topics.len()];
    if (info.bits >> 12) % 10 < 3 && second.tag != topic.tag {
        out.push(b',');
        push_str(out, second.tag);
    }
    let level = ["beginner", "advanced", "入门", "进阶", "实战"][((info.bits >> 16) % 5) as usize];
    out.push(b',');
    push_str(out, level);
    out.push(b']');
    if let Some(price) = info.price {
        let price = if change == ItemChange::Update {
            discounted(price)
        } else {
            price
        };
        out.extend_from_slice(b",\"price_minor\":");
        push_u64(out, price as u64);
    }
    out.extend_from_slice(b",\"author_id\":\"u");
    push_u64(out, c as u64);
    out.push(b'-');
    push_u64(out, author);
    out.extend_from_slice(b"\",\"item_kind\":\"");
    out.extend_from_slice(ITEM_KINDS[info.kind].as_bytes());
    out.push(b'"');
    if change == ItemChange::Delete {
        out.extend_from_slice(b",\"deleted\":true");
    }
}

/// A 20% discount, rounded down to whole yuan the way shops price things (49900 → 39900).
pub(crate) fn discounted(price: i64) -> i64 {
    (price * 8 / 1000).max(1) * 100
}

/// The author of an item: usually the community's owner (member 0), else one of the first `staff` members.
pub(crate) fn author_of(info: &ItemInfo, staff: u64) -> u64 {
    if (info.bits >> 44) % 10 < 7 {
        0
    } else {
        (info.bits >> 48) % staff.max(1)
    }
}

/// Writes a readable title, Chinese or English, from the item's kind and topic.
fn write_title(s: &mut String, c: usize, j: u64, info: &ItemInfo) {
    let spec = &COMMUNITIES[c];
    let topic = &spec.topics[info.topic];
    let (zh, en) = (topic.zh, topic.en);
    let n = j % 97 + 1;
    let pick = ((info.bits >> 52) % 4) as usize;
    let chinese = (info.bits >> 56) % 100 < 58;
    // Writing to a String cannot fail.
    let _ = match (info.kind, chinese) {
        (0, true) => match pick {
            0 => write!(s, "聊聊{zh}的那些坑"),
            1 => write!(s, "{zh}学习笔记 #{n}"),
            2 => write!(s, "关于{zh}，我踩过的 {n} 个坑"),
            _ => write!(s, "一文读懂{zh}"),
        },
        (0, false) => match pick {
            0 => write!(s, "Notes on {en} #{n}"),
            1 => write!(s, "What I learned about {en} this week"),
            2 => write!(s, "{en}: {n} practical tips"),
            _ => write!(s, "Ask me anything: {en}"),
        },
        (1, true) => write!(s, "【课程】{zh}从入门到精通（第{}期）", n % 9 + 1),
        (1, false) => write!(s, "[Course] Mastering {en}, cohort {}", n % 9 + 1),
        (2, true) => write!(
            s,
            "{zh} 第{n}课：{}",
            ["基础概念", "动手实践", "常见问题", "项目复盘"][pick]
        ),
        (2, false) => write!(
            s,
            "{en} lesson {n}: {}",
            ["basics", "hands-on", "FAQ", "case study"][pick]
        ),
        (3, true) => write!(s, "直播：{zh}答疑夜"),
        (3, false) => write!(s, "Live: {en} Q&A night"),
        (4, true) => write!(
            s,
            "线下活动：{}{zh}交流会",
            spec.cities[pick % spec.cities.len()]
        ),
        _ => write!(
            s,
            "Meetup: {en} in {}",
            spec.cities[pick % spec.cities.len()]
        ),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn courses_are_priced_and_fields_are_valid_json() {
        let mut out = Vec::new();
        let mut scratch = String::new();
        let mut courses = 0;
        for j in 0..400 {
            let info = item_info(42, 1, j);
            assert_eq!(info, item_info(42, 1, j));
            if info.kind == COURSE {
                courses += 1;
                assert!(info.price.is_some());
            }
            out.clear();
            out.push(b'{');
            out.extend_from_slice(b"\"x\":0");
            push_item_fields(&mut out, &mut scratch, 1, j, &info, 3, ItemChange::Update);
            out.push(b'}');
            let v: serde_json::Value = serde_json::from_slice(&out).expect("valid item fields");
            assert_eq!(v["item_kind"], ITEM_KINDS[info.kind]);
            assert!(!v["title"].as_str().expect("title").is_empty());
        }
        assert!(courses > 60, "{courses}");
    }
}
