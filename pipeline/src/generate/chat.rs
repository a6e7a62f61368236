//! Chat messages: channels, replies to recent messages, mentions of members and items, and a small share
//! of problem content (spam, floods, abuse, leaked contact details) for moderation.

use super::block::{BlockWriter, Flood, push_user};
use super::catalogue::{item_id_into, item_info, push_item_id};
use super::communities::COMMUNITIES;
use super::json::{push_str, push_u64};
use super::text;

/// Who a message mentions, besides its text.
#[derive(Debug, Clone, Copy, Default)]
struct Refs {
    /// The message answered: its event index.
    reply_to: Option<u64>,
    /// A member mentioned.
    mention: Option<u64>,
    /// An item mentioned.
    item: Option<u64>,
}

impl BlockWriter<'_> {
    /// A message by member `m` of `c`; occasionally starts a flood.
    pub(crate) fn chat(&mut self, i: u64, ts: i64, c: usize, m: u64) {
        let g = self.generator;
        let p = &g.population;
        let spec = &COMMUNITIES[c];
        let mut channel = self.rng.skewed(spec.channels.len() as u64, 1.8) as usize;
        let mut user = m;
        let mut refs = Refs::default();
        self.text.clear();
        let u = self.rng.unit();
        if u < 0.0006 && self.flood.is_none() {
            let user = p.pick_newcomer(&mut self.rng, c, i);
            let variant = self.rng.bits();
            let remaining = self.rng.between(10, 50) as u32;
            self.flood = Some(Flood {
                remaining,
                community: c,
                user,
                channel,
                variant,
            });
            return self.flood_message(i, ts);
        } else if u < 0.012 {
            user = p.pick_newcomer(&mut self.rng, c, i);
            text::spam(&mut self.text, self.rng.bits());
        } else if u < 0.020 {
            text::abuse(&mut self.text, &mut self.rng);
        } else if u < 0.026 {
            text::leak(&mut self.text, &mut self.rng);
        } else if u < 0.30
            && let Some((ch, idx, author)) = self.messages[c].sample(&mut self.rng, false)
        {
            channel = ch;
            refs.reply_to = Some(idx);
            if self.rng.chance(0.4) && author != m {
                refs.mention = Some(author);
            }
            if self.rng.chance(0.6) {
                text::reply(&mut self.text, &mut self.rng);
            } else {
                let topic = self.rng_topic(c, m);
                text::everyday(&mut self.text, &mut self.rng, spec, topic);
            }
        } else if u < 0.40 {
            let j = p.pick_item(&mut self.rng, c, m, i);
            let info = item_info(g.config.seed, c, j);
            refs.item = Some(j);
            text::about_item(&mut self.text, &mut self.rng, |s| {
                item_id_into(s, c, j, &info)
            });
        } else {
            if self.rng.chance(0.06) {
                refs.mention = Some(p.pick_member(&mut self.rng, c, i));
            }
            let topic = self.rng_topic(c, m);
            text::everyday(&mut self.text, &mut self.rng, spec, topic);
        }
        self.messages[c].push((channel, i, user));
        self.write_chat(i, ts, c, user, channel, refs);
    }

    /// The next message of the flood in progress: the same text again.
    pub(crate) fn flood_message(&mut self, i: u64, ts: i64) {
        let Some(mut flood) = self.flood else { return };
        flood.remaining = flood.remaining.saturating_sub(1);
        self.flood = (flood.remaining > 0).then_some(flood);
        self.text.clear();
        text::spam(&mut self.text, flood.variant);
        self.write_chat(
            i,
            ts,
            flood.community,
            flood.user,
            flood.channel,
            Refs::default(),
        );
    }

    /// A topic for an everyday message: usually the member's favourite.
    fn rng_topic(&mut self, c: usize, m: u64) -> usize {
        let topics = COMMUNITIES[c].topics.len() as u64;
        let topic = if self.rng.chance(0.7) {
            self.generator.population.taste(c, m).0
        } else {
            self.rng.below(topics)
        };
        topic as usize
    }

    /// Writes the chat line; the text is in `self.text`, a mention is prefixed to it as `@u…`.
    fn write_chat(&mut self, i: u64, ts: i64, c: usize, user: u64, channel: usize, refs: Refs) {
        let seed = self.generator.config.seed;
        if let Some(mentioned) = refs.mention {
            let mut prefixed = String::with_capacity(self.text.len() + 16);
            prefixed.push_str("@u");
            prefixed.push_str(&c.to_string());
            prefixed.push('-');
            prefixed.push_str(&mentioned.to_string());
            prefixed.push(' ');
            prefixed.push_str(&self.text);
            self.text = prefixed;
        }
        let style = self.style(false);
        self.begin("chat", i, ts, style, c, user);
        let out = &mut *self.out;
        out.extend_from_slice(b",\"channel_id\":");
        push_str(out, COMMUNITIES[c].channels[channel]);
        out.extend_from_slice(b",\"message_id\":\"m");
        push_u64(out, seed);
        out.push(b'-');
        push_u64(out, i);
        out.extend_from_slice(b"\",\"text\":");
        push_str(out, &self.text);
        if let Some(idx) = refs.reply_to {
            out.extend_from_slice(b",\"reply_to\":\"m");
            push_u64(out, seed);
            out.push(b'-');
            push_u64(out, idx);
            out.push(b'"');
        }
        if let Some(mentioned) = refs.mention {
            out.extend_from_slice(b",\"mentions\":[\"");
            push_user(out, c, mentioned);
            out.extend_from_slice(b"\"]");
        }
        if let Some(j) = refs.item {
            let info = item_info(seed, c, j);
            out.extend_from_slice(b",\"item_mentions\":[\"");
            push_item_id(out, c, j, &info);
            out.extend_from_slice(b"\"]");
        }
        self.end();
    }
}
