//! `cohort-benches moderation`: the per-message moderation path on one thread (one core).
//!
//! A model is trained first (on generated labelled chat, or on `--data FILE --format sms|cold|csv`),
//! then `--messages` generated chat messages — mixed English and Chinese, 10–200 characters, some
//! carrying planted personal data (`pii::generate`) and some spammy phrases — go through each stage
//! alone and then through the whole path, best of `--repeats` runs each:
//!
//! 1. normalisation (`normalize`);
//! 2. PII detection on the normalised text (`pii::detect_in`);
//! 3. lexicon rules on the normalised text (the shipped lexicons, `LexiconSet::find`);
//! 4. classifier scoring of the normalised text (features + dot product, reused buffers);
//! 5. the whole path: 1 + 2 + 3 + 4 per message, the text normalised once and shared.
//!
//! Figures are messages/s on one thread; the issue 6 target is 100,000 messages/s per core for the
//! whole path.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use cohort_jobs::moderation::classifier::features::Scratch;
use cohort_jobs::moderation::classifier::threshold::ThresholdPolicy;
use cohort_jobs::moderation::classifier::{self, Classifier, FitOptions};
use cohort_jobs::moderation::data::{self, DataFormat};
use cohort_jobs::moderation::lexicon::LexiconSet;
use cohort_jobs::moderation::normalize::{Normalized, normalize};
use cohort_jobs::moderation::pii;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// What to measure (`cohort-benches moderation --help`).
#[derive(clap::Args)]
pub struct ModerationBench {
    /// Generated chat messages timed through the path.
    #[arg(long, default_value_t = 200_000)]
    messages: usize,
    /// Labelled file to train the model on (default: generated labelled chat).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Layout of `--data`.
    #[arg(long, value_enum, default_value_t = DataFormat::Sms)]
    format: DataFormat,
    /// Generated labelled messages to train on when no `--data` is given.
    #[arg(long, default_value_t = 5_000)]
    train: usize,
    /// log2 of the classifier's hash buckets.
    #[arg(long, default_value_t = classifier::features::FeatureConfig::default().bits)]
    bits: u8,
    /// Share of messages carrying planted personal data.
    #[arg(long, default_value_t = 0.05)]
    pii_share: f64,
    /// Share of messages with spammy phrases.
    #[arg(long, default_value_t = 0.10)]
    spam_share: f64,
    /// Timed runs of each stage; the best is reported.
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Seed of the generated messages.
    #[arg(long, default_value_t = 11)]
    seed: u64,
}

const ZH_CHAT: [&str; 24] = [
    "今天的课讲得真好",
    "老师请问第三章的作业什么时候交",
    "我觉得这个思路可以再优化一下",
    "有没有人一起复习",
    "谢谢分享",
    "这个问题我也遇到过，重启一下就好了",
    "明天直播几点开始",
    "课件在哪里下载",
    "大家周末愉快",
    "这道题的答案是不是错了",
    "我刚加入社区，请多关照",
    "收到，马上看",
    "这个案例很有启发",
    "有人用过这个工具吗",
    "价格有点贵，但是内容很值",
    "上次的录播还能看吗",
    "我在地铁上，晚点回复",
    "同意楼上的观点",
    "数据分析的部分能再讲讲吗",
    "哈哈哈哈",
    "打卡第十天",
    "笔记已经整理好了",
    "这个月的目标完成了一半",
    "请问怎么开发票",
];

const EN_CHAT: [&str; 24] = [
    "thanks for the great session today",
    "does anyone have the slides from last week",
    "I think the second approach is cleaner",
    "when is the next live stream",
    "just finished module 3, really enjoyed it",
    "can someone explain the difference between these two",
    "good morning everyone",
    "the link to the recording seems broken",
    "I had the same issue, clearing the cache fixed it",
    "looking forward to the workshop",
    "is there a discount for students",
    "great question, I was wondering too",
    "sharing my notes here in case they help",
    "ok",
    "lol that was fun",
    "how long did the final project take you",
    "I'll be a bit late to the call",
    "agreed, the examples make it much clearer",
    "which chapter covers pricing strategy",
    "welcome to the community",
    "see you all on Friday",
    "can we get the homework deadline extended",
    "the Q&A at the end was the best part",
    "nice, thanks",
];

const SPAM: [&str; 16] = [
    "加微信领取免费资料",
    "日赚500元，兼职刷单，私聊",
    "点击链接领取红包",
    "低价代购，正品保证，加V咨询",
    "免费送课程，名额有限，速来",
    "投资理财，稳赚不赔，带你翻倍",
    "代开发票，联系我",
    "扫码进群，每天分享赚钱项目",
    "FREE entry! Win a prize now, text WIN to claim",
    "Congratulations, you have won a cash prize, call now",
    "earn $500 a day from home, DM me",
    "cheap followers and likes, limited offer",
    "click here to claim your free gift card",
    "crypto signals group, 10x guaranteed, join now",
    "URGENT! your account will be suspended, verify now",
    "hot singles in your area, click the link",
];

/// Seeded generator of chat messages.
struct Chat {
    rng: ChaCha8Rng,
    planted: Vec<pii::generate::Planted>,
    next_planted: usize,
}

impl Chat {
    fn new(seed: u64, planted: usize) -> Self {
        Chat {
            rng: ChaCha8Rng::seed_from_u64(seed),
            planted: pii::generate::generate(planted.max(1), seed ^ 0x9111),
            next_planted: 0,
        }
    }

    /// Uniform in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.rng.next_u64()) * n as u128) >> 64) as usize
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        ((self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    /// A message of `lo..=hi` characters (roughly: whole phrases are added until it is long
    /// enough, then it is cut at a character boundary), `spam` with an ad or scam phrase in it.
    fn message(&mut self, spam: bool, with_pii: bool) -> String {
        let target = 10 + self.below(191);
        let chinese = self.chance(0.5);
        let mut text = String::new();
        if with_pii {
            let p = &self.planted[self.next_planted % self.planted.len()];
            self.next_planted += 1;
            text.push_str(&p.message);
        }
        if spam {
            let phrase = self.pick(&SPAM);
            push_phrase(&mut text, phrase);
        }
        while text.chars().count() < target {
            let phrase = if chinese && self.chance(0.85) || !chinese && self.chance(0.1) {
                self.pick(&ZH_CHAT)
            } else {
                self.pick(&EN_CHAT)
            };
            push_phrase(&mut text, phrase);
        }
        // cut to at most 200 characters, keeping anything planted whole when it is longer
        if text.chars().count() > 200 && !with_pii {
            let end = text.char_indices().nth(200).map_or(text.len(), |(i, _)| i);
            text.truncate(end);
        }
        text
    }
}

fn push_phrase(text: &mut String, phrase: &str) {
    if !text.is_empty() {
        let ascii = phrase.is_ascii();
        text.push_str(if ascii { ". " } else { "，" });
    }
    text.push_str(phrase);
}

/// Times `f` over every message `repeats` times; the best run's messages/s.
fn time<T>(repeats: usize, n: usize, mut f: impl FnMut() -> T) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        black_box(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    n as f64 / best
}

/// Trains the model the path scores with.
fn model(bench: &ModerationBench) -> Result<(Classifier, String)> {
    let mut options = FitOptions {
        policy: ThresholdPolicy::NegativeBudget(0.005),
        ..FitOptions::default()
    };
    options.features.bits = bench.bits;
    if let Some(message) = options.features.invalid() {
        anyhow::bail!("invalid --bits: {message}");
    }
    if let Some(path) = &bench.data {
        let examples = data::read(path, bench.format)
            .with_context(|| format!("reading training data {}", path.display()))?;
        let model = classifier::fit_texts(
            examples.iter().map(|e| (e.text.as_str(), e.positive)),
            &options,
        );
        return Ok((
            model,
            format!("{} ({} examples)", path.display(), examples.len()),
        ));
    }
    let mut chat = Chat::new(bench.seed ^ 0x7a11, bench.train / 10);
    let examples: Vec<(String, bool)> = (0..bench.train)
        .map(|i| {
            let spam = i % 5 == 0;
            let with_pii = i % 10 == 1 || (spam && i % 3 == 0);
            (chat.message(spam, with_pii), spam)
        })
        .collect();
    let model = classifier::fit_texts(examples.iter().map(|(t, y)| (t.as_str(), *y)), &options);
    Ok((model, format!("{} generated messages", examples.len())))
}

/// Trains, generates, times each stage and the whole path, and prints the figures.
pub fn run(bench: ModerationBench) -> Result<()> {
    let started = Instant::now();
    let (model, trained_on) = model(&bench)?;
    println!(
        "model: trained on {trained_on} in {:.2} s; 2^{} buckets, {} non-zero weights, threshold {:.3}",
        started.elapsed().as_secs_f64(),
        model.header().features.bits,
        model.nonzero_weights(),
        model.header().threshold
    );

    let started = Instant::now();
    let n = bench.messages;
    let mut chat = Chat::new(bench.seed, (n as f64 * bench.pii_share) as usize + 1);
    let messages: Vec<String> = (0..n)
        .map(|_| {
            let spam = chat.chance(bench.spam_share.clamp(0.0, 1.0));
            let with_pii = chat.chance(bench.pii_share.clamp(0.0, 1.0));
            chat.message(spam, with_pii)
        })
        .collect();
    let chars: usize = messages.iter().map(|m| m.chars().count()).sum();
    let bytes: usize = messages.iter().map(String::len).sum();
    println!(
        "generated {n} messages ({:.1} characters, {:.1} bytes on average; {:.0}% with PII planted, {:.0}% spammy) in {:.2} s; 1 thread, best of {}",
        chars as f64 / n.max(1) as f64,
        bytes as f64 / n.max(1) as f64,
        bench.pii_share * 100.0,
        bench.spam_share * 100.0,
        started.elapsed().as_secs_f64(),
        bench.repeats
    );

    let normalized: Vec<Normalized> = messages.iter().map(|m| normalize(m)).collect();
    let norm_rate = time(bench.repeats, n, || {
        messages
            .iter()
            .map(|m| normalize(m).text().len())
            .sum::<usize>()
    });
    let pii_rate = time(bench.repeats, n, || {
        normalized
            .iter()
            .map(|m| pii::detect_in(m).len())
            .sum::<usize>()
    });
    let lexicons = LexiconSet::embedded().context("the shipped lexicons")?;
    let lexicon_rate = time(bench.repeats, n, || {
        normalized
            .iter()
            .map(|m| lexicons.find("bench", m).len())
            .sum::<usize>()
    });
    let mut scratch = Scratch::default();
    let score_rate = time(bench.repeats, n, || {
        normalized
            .iter()
            .map(|m| model.margin_normalized(m.text(), &mut scratch))
            .sum::<f32>()
    });
    let (mut alerts, mut flagged, mut lexicon_hits) = (0usize, 0usize, 0usize);
    let threshold = model.header().threshold;
    let whole_rate = time(bench.repeats, n, || {
        (alerts, flagged, lexicon_hits) = (0, 0, 0);
        for m in &messages {
            let norm = normalize(m);
            let findings = pii::detect_in(&norm);
            alerts += usize::from(pii::alerts(&findings));
            lexicon_hits += usize::from(!lexicons.find("bench", &norm).is_empty());
            flagged += usize::from(model.margin_normalized(norm.text(), &mut scratch) > threshold);
        }
        alerts + flagged + lexicon_hits
    });

    println!("\n| stage | messages/s (1 core) | µs/message |");
    println!("|---|---|---|");
    for (stage, rate) in [
        ("normalisation", norm_rate),
        ("PII detection (normalised text)", pii_rate),
        ("lexicon rules (normalised text)", lexicon_rate),
        ("classifier score (normalised text)", score_rate),
        (
            "whole path (normalise once + PII + lexicons + score)",
            whole_rate,
        ),
    ] {
        println!("| {stage} | {rate:.0} | {:.2} |", 1e6 / rate);
    }
    println!(
        "\nwhole path: {alerts} messages with a pii alert ({:.1}%), {lexicon_hits} with a lexicon hit ({:.1}%), {flagged} flagged by the classifier ({:.1}%); target 100000 messages/s per core: {}",
        alerts as f64 * 100.0 / n.max(1) as f64,
        lexicon_hits as f64 * 100.0 / n.max(1) as f64,
        flagged as f64 * 100.0 / n.max(1) as f64,
        if whole_rate >= 100_000.0 {
            "met"
        } else {
            "not met"
        }
    );
    println!(
        "{}",
        json!({
            "bench": "moderation",
            "messages": n,
            "mean_chars": chars as f64 / n.max(1) as f64,
            "mean_bytes": bytes as f64 / n.max(1) as f64,
            "bits": model.header().features.bits,
            "trained_on": trained_on,
            "normalize_per_s": norm_rate,
            "pii_per_s": pii_rate,
            "lexicon_per_s": lexicon_rate,
            "score_per_s": score_rate,
            "whole_path_per_s": whole_rate,
            "pii_alerts": alerts,
            "flagged": flagged,
            "lexicon_hits": lexicon_hits,
        })
    );
    Ok(())
}
