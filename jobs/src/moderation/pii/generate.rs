//! Seeded generator of checksum-valid PII planted in Chinese and English sentences, to measure the
//! detectors' recall (`cohort eval pii --generated N`, and the recall test).
//!
//! Each example is one message with one planted value of a known kind and byte range, written the
//! ways people write it: grouped or not, with `+86`, in full-width digits or Chinese numerals, with
//! upper- or lower-case check letters. Values are valid by construction (mobile prefixes, area codes,
//! birth dates, Luhn and ISO 7064 check digits, IBAN mod 97), so a miss is the detector's fault.

use std::ops::Range;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::PiiKind;
use super::checksums::{iban_remainder, luhn_check_digit, resident_id_check};

/// One generated message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    /// The message.
    pub message: String,
    /// The kind of the planted value.
    pub kind: PiiKind,
    /// Where the planted value is in the message (bytes).
    pub range: Range<usize>,
}

/// The kinds generated, in turn.
pub const KINDS: [PiiKind; 8] = PiiKind::ALERTING;

const ZH: [&str; 8] = [
    "我的电话是{}，有事打给我",
    "请联系{}谢谢",
    "资料发到{}了吗？",
    "好的，{}，明天见",
    "【通知】详情咨询：{}",
    "这是我的：{} 别外传",
    "转账信息 {} 收到回复",
    "麻烦登记一下{}。",
];
const EN: [&str; 8] = [
    "my details: {} call me later",
    "Reach me at {} anytime!",
    "{} is what you asked for",
    "sure, here it is ({}) thanks",
    "URGENT: contact {} today.",
    "Ok lar, {}, see u tmr",
    "sent to {}, pls check",
    "details -> {} <- keep private",
];

/// Cued handles: the template holds its own cue word; `{}` is the handle.
const HANDLE_TEMPLATES: [(&str, HandleKind); 8] = [
    ("有问题加我微信{}，24小时在线", HandleKind::WeChat),
    ("vx：{} 备注来意", HandleKind::WeChat),
    ("add me on wechat: {} thx", HandleKind::WeChat),
    ("我的qq号是{}", HandleKind::Qq),
    ("QQ {} 拉你进群", HandleKind::Qq),
    ("telegram: @{} for signals", HandleKind::Telegram),
    ("tg @{} 私聊", HandleKind::Telegram),
    ("微信号 {} 免费领取资料", HandleKind::WeChat),
];

#[derive(Clone, Copy)]
enum HandleKind {
    WeChat,
    Qq,
    Telegram,
}

const MOBILE_PREFIXES: [&str; 24] = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "145", "147", "150", "151",
    "152", "155", "157", "158", "159", "166", "177", "180", "186", "189", "199",
];
const AREA_CODES: [&str; 12] = [
    "010", "020", "021", "022", "025", "027", "028", "0571", "0755", "0512", "0731", "0591",
];
const REGIONS: [&str; 6] = ["110105", "310101", "440305", "330106", "510104", "420102"];
const MAIL_DOMAINS: [&str; 6] = [
    "qq.com",
    "163.com",
    "gmail.com",
    "outlook.com",
    "foxmail.com",
    "sina.com.cn",
];
/// IBAN countries: code, BBAN letters at the front, BBAN length.
const IBAN_COUNTRIES: [(&str, usize, usize); 5] = [
    ("DE", 0, 18),
    ("GB", 4, 18),
    ("FR", 0, 23),
    ("NL", 4, 14),
    ("ES", 0, 20),
];
const INVITES: [&str; 5] = [
    "https://t.me/joinchat/",
    "t.me/",
    "https://discord.gg/",
    "https://chat.whatsapp.com/",
    "https://jq.qq.com/?k=",
];

struct Draw(ChaCha8Rng);

impl Draw {
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.0.next_u64()) * n as u128) >> 64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
    fn letters(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'a' + self.below(26) as u8))
            .collect()
    }
    fn letters_n(&mut self, min: usize, extra: usize) -> String {
        let n = min + self.below(extra);
        self.letters(n)
    }
    fn digits_n(&mut self, min: usize, extra: usize) -> String {
        let n = min + self.below(extra);
        self.digits(n)
    }
    fn alnum_n(&mut self, min: usize, extra: usize) -> String {
        let n = min + self.below(extra);
        self.alnum(n)
    }
    fn alnum(&mut self, n: usize) -> String {
        const SET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        (0..n).map(|_| char::from(*self.pick(SET))).collect()
    }
}

/// `n` messages from `seed`, kinds in turn.
pub fn generate(n: usize, seed: u64) -> Vec<Planted> {
    let mut d = Draw(ChaCha8Rng::seed_from_u64(seed));
    (0..n)
        .map(|i| planted(&mut d, KINDS[i % KINDS.len()]))
        .collect()
}

fn planted(d: &mut Draw, kind: PiiKind) -> Planted {
    if kind == PiiKind::Handle {
        let (template, which) = *d.pick(&HANDLE_TEMPLATES);
        let value = match which {
            HandleKind::WeChat => {
                format!("{}{}", d.letters_n(3, 5), d.pick(&["_", "", "-"])) + &d.digits_n(3, 5)
            }
            HandleKind::Qq => format!("{}{}", 1 + d.below(9), d.digits_n(4, 6)),
            HandleKind::Telegram => format!("{}_{}", d.letters_n(3, 6), d.letters_n(2, 5)),
        };
        return embed(template, &value, kind);
    }
    let value = value(d, kind);
    let template = if d.below(2) == 0 {
        d.pick(&ZH)
    } else {
        d.pick(&EN)
    };
    embed(template, &value, kind)
}

fn embed(template: &str, value: &str, kind: PiiKind) -> Planted {
    let at = template.find("{}").unwrap_or(template.len());
    let message = format!(
        "{}{value}{}",
        &template[..at],
        template.get(at + 2..).unwrap_or("")
    );
    Planted {
        message,
        kind,
        range: at..at + value.len(),
    }
}

fn value(d: &mut Draw, kind: PiiKind) -> String {
    match kind {
        PiiKind::Mobile => {
            let number = format!("{}{}", d.pick(&MOBILE_PREFIXES), d.digits(8));
            match d.below(6) {
                0 => number,
                1 => format!("{} {} {}", &number[..3], &number[3..7], &number[7..]),
                2 => format!("{}-{}-{}", &number[..3], &number[3..7], &number[7..]),
                3 => format!("+86 {number}"),
                4 => number.chars().map(full_width).collect(),
                _ => number.chars().map(chinese_numeral).collect(),
            }
        }
        PiiKind::Landline => {
            let area = *d.pick(&AREA_CODES);
            let len = if area.len() == 3 { 8 } else { 7 + d.below(2) };
            let subscriber = format!("{}{}", 2 + d.below(7), d.digits(len - 1));
            match d.below(3) {
                0 => format!("{area}-{subscriber}"),
                1 => format!("({area}){subscriber}"),
                _ => format!("{area} {subscriber}"),
            }
        }
        PiiKind::Email => {
            let user = format!(
                "{}{}{}",
                d.letters_n(3, 6),
                d.pick(&["", ".", "_"]),
                d.digits_n(0, 5)
            );
            let email = format!("{user}@{}", d.pick(&MAIL_DOMAINS));
            if d.below(4) == 0 {
                email.to_uppercase()
            } else {
                email
            }
        }
        PiiKind::ResidentId => {
            let birth = format!(
                "{}{:02}{:02}",
                1950 + d.below(60),
                1 + d.below(12),
                1 + d.below(28)
            );
            let first17 = format!("{}{birth}{}", d.pick(&REGIONS), d.digits(3));
            let check = resident_id_check(&first17).unwrap_or('0');
            let id = format!(
                "{first17}{}",
                if d.below(2) == 0 {
                    check.to_ascii_uppercase()
                } else {
                    check
                }
            );
            if d.below(4) == 0 {
                format!("{} {} {}", &id[..6], &id[6..14], &id[14..])
            } else {
                id
            }
        }
        PiiKind::BankCard => {
            let (prefix, len) =
                *d.pick(&[("62", 16), ("62", 19), ("4", 16), ("5", 16), ("37", 15)]);
            let payload = format!("{prefix}{}", d.digits(len - 1 - prefix.len()));
            let card = format!("{payload}{}", luhn_check_digit(&payload).unwrap_or('0'));
            let sep = *d.pick(&["", " ", "-"]);
            group(&card, 4, sep)
        }
        PiiKind::Iban => {
            let (country, letters, len) = *d.pick(&IBAN_COUNTRIES);
            let bban = format!(
                "{}{}",
                d.letters(letters).to_uppercase(),
                d.digits(len - letters)
            );
            let rem = iban_remainder(&format!("{country}00{bban}")).unwrap_or(0);
            let iban = format!("{country}{:02}{bban}", 98 - rem);
            if d.below(2) == 0 {
                group(&iban, 4, " ")
            } else {
                iban
            }
        }
        PiiKind::InviteLink => format!("{}{}", d.pick(&INVITES), d.alnum_n(6, 10)),
        PiiKind::Handle | PiiKind::Url => String::new(),
    }
}

fn group(s: &str, size: usize, sep: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars
        .chunks(size)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(sep)
}

fn full_width(c: char) -> char {
    char::from_u32(u32::from(c) - u32::from('0') + 0xFF10).unwrap_or(c)
}

fn chinese_numeral(c: char) -> char {
    const NUMERALS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    c.to_digit(10).map_or(c, |v| NUMERALS[v as usize])
}

#[cfg(test)]
mod tests {
    use super::super::checksums::{iban_valid, luhn_valid, resident_id_valid};
    use super::*;

    #[test]
    fn generated_values_are_valid_and_seeded() {
        let set = generate(400, 3);
        assert_eq!(set, generate(400, 3));
        for p in &set {
            let v: String = p.message[p.range.clone()]
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect();
            match p.kind {
                PiiKind::BankCard => assert!(luhn_valid(&v), "{v}"),
                PiiKind::ResidentId => assert!(resident_id_valid(&v), "{v}"),
                PiiKind::Iban => assert!(iban_valid(&v), "{v}"),
                _ => {}
            }
        }
    }
}
