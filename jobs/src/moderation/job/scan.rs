//! The per-message rules: personal data, lexicon phrases and classifier scores of one chat
//! message, found on the worker that read it (they need no state, so they never cross workers).
//!
//! The message is normalised once and shared by every rule and by the flood rules' signal. Each
//! rule fires at most once per message: three phone numbers in one message are one `pii.mobile`
//! finding that says "3".

use std::sync::Arc;

use cohort_schemas::Event;
use cohort_schemas::activity::Severity;
use cohort_schemas::event::Chat;
use cohort_schemas::moderation::ChatScan;

use super::config::{ClassifierKind, ClassifierSpec};
use crate::moderation::classifier::features::Scratch;
use crate::moderation::classifier::{Classifier, file};
use crate::moderation::finding::{ModerationFinding, ModerationKind, Rule, counted};
use crate::moderation::flood::ChatSignal;
use crate::moderation::lexicon::{LexiconKind, ReloadableLexicons};
use crate::moderation::normalize::normalize;
use crate::moderation::pii::{self, PiiKind};

/// A model the job scores with, and the margin above which it flags.
#[derive(Debug, Clone)]
pub struct LoadedClassifier {
    /// Spam or abuse.
    pub kind: ClassifierKind,
    /// The model.
    pub model: Arc<Classifier>,
    /// Margins strictly above this flag.
    pub threshold: f32,
}

impl LoadedClassifier {
    /// Reads the model `spec` names.
    pub fn load(spec: &ClassifierSpec) -> Result<LoadedClassifier, file::ModelFileError> {
        let model = file::load(&spec.model)?;
        let threshold = spec.threshold.unwrap_or(model.header().threshold);
        Ok(LoadedClassifier {
            kind: spec.kind,
            model: Arc::new(model),
            threshold,
        })
    }

    fn rule(&self) -> Rule {
        match self.kind {
            ClassifierKind::Spam => Rule {
                name: "classifier.spam",
                kind: ModerationKind::Spam,
                severity: Severity::Minor,
            },
            ClassifierKind::Abuse => Rule {
                name: "classifier.abuse",
                kind: ModerationKind::Abuse,
                severity: Severity::Minor,
            },
        }
    }
}

/// The per-message rules, shared by every worker.
pub struct MessageScanner {
    lexicons: Arc<ReloadableLexicons>,
    classifiers: Vec<LoadedClassifier>,
    evidence_chars: usize,
}

impl MessageScanner {
    /// A scanner with these lexicons and models; evidence quotes at most `evidence_chars`
    /// characters of the redacted message.
    pub fn new(
        lexicons: Arc<ReloadableLexicons>,
        classifiers: Vec<LoadedClassifier>,
        evidence_chars: usize,
    ) -> MessageScanner {
        MessageScanner {
            lexicons,
            classifiers,
            evidence_chars,
        }
    }

    /// The rules `chat` (the payload of `event`, its text as written) fires, with what the flood
    /// rules need of it. `scratch` is the classifier's reusable buffer.
    pub fn scan(&self, event: &Event, chat: &Chat, scratch: &mut Scratch) -> ChatScan {
        let norm = normalize(&chat.text);
        let found = pii::detect_in(&norm);
        let signal = ChatSignal::of(chat, &norm, &found);
        let mut findings = Vec::new();
        let mut excerpt = None;
        let mut quote = || {
            excerpt
                .get_or_insert_with(|| {
                    excerpt_of(&pii::redact(&chat.text, &found), self.evidence_chars)
                })
                .clone()
        };
        let channel = chat.channel_id.as_str();
        for kind in PiiKind::ALERTING {
            let n = found.iter().filter(|f| f.kind == kind).count();
            if n > 0 {
                let evidence = format!("{} in: {}", counted(n, kind.label()), quote());
                findings.push(message_finding(
                    pii_rule(kind),
                    event,
                    channel,
                    n as f64,
                    evidence,
                ));
            }
        }
        let lexicons = self.lexicons.current();
        let hits = lexicons.find(&event.community_id, &norm);
        for kind in [LexiconKind::Abuse, LexiconKind::Spam, LexiconKind::Custom] {
            let of_kind: Vec<_> = hits.iter().filter(|h| h.kind == kind).collect();
            let Some(worst) = of_kind.iter().max_by_key(|h| h.severity) else {
                continue;
            };
            let evidence = format!(
                "{} ({}: \"{}\") in: {}",
                counted(of_kind.len(), "phrase"),
                worst.lexicon,
                worst.phrase,
                quote()
            );
            let rule = lexicon_rule(kind, worst.severity);
            let count = of_kind.len() as f64;
            findings.push(message_finding(rule, event, channel, count, evidence));
        }
        for classifier in &self.classifiers {
            let margin = classifier.model.margin_normalized(norm.text(), scratch);
            if margin > classifier.threshold {
                let mut rule = classifier.rule();
                if margin >= classifier.threshold + 1.0 {
                    rule.severity = Severity::Major;
                }
                let evidence = format!(
                    "margin {margin:.2} above {:.2} in: {}",
                    classifier.threshold,
                    quote()
                );
                let margin = f64::from(margin);
                findings.push(message_finding(rule, event, channel, margin, evidence));
            }
        }
        ChatScan {
            event_id: event.event_id.clone(),
            ts_ms: event.ts_ms,
            community_id: event.community_id.clone(),
            channel_id: signal.channel_id,
            member_id: event.user_id.clone(),
            chars: u32::try_from(signal.chars).unwrap_or(u32::MAX),
            fingerprint: signal.fingerprint,
            has_link: signal.has_link,
            findings,
        }
    }
}

/// A message rule's finding: its score is a count (of numbers, of phrases) or a classifier's
/// margin, not a multiple of a threshold, so it keeps the rule's severity rather than
/// [`Rule::finding`]'s escalation (two phone numbers are not worse than one ID card number).
fn message_finding(
    rule: Rule,
    event: &Event,
    channel: &str,
    score: f64,
    evidence: String,
) -> ModerationFinding {
    let mut finding = rule.finding(event, channel, score, evidence);
    finding.severity = rule.severity;
    finding
}

/// The rule of a kind of personal data: ID, card and account numbers are the worst to leak; a
/// messenger handle or invite link is often the member's own choice to share.
fn pii_rule(kind: PiiKind) -> Rule {
    let (name, severity) = match kind {
        PiiKind::Mobile => ("pii.mobile", Severity::Major),
        PiiKind::Landline => ("pii.landline", Severity::Minor),
        PiiKind::Email => ("pii.email", Severity::Minor),
        PiiKind::ResidentId => ("pii.resident_id", Severity::Critical),
        PiiKind::BankCard => ("pii.bank_card", Severity::Critical),
        PiiKind::Iban => ("pii.iban", Severity::Critical),
        PiiKind::InviteLink => ("pii.invite_link", Severity::Minor),
        PiiKind::Handle => ("pii.handle", Severity::Minor),
        PiiKind::Url => ("pii.url", Severity::Minor),
    };
    Rule {
        name,
        kind: ModerationKind::Pii,
        severity,
    }
}

/// The rule of a lexicon kind, at the severity of the worst phrase found (a community's own block
/// list counts as spam: what communities block is mostly promotion).
fn lexicon_rule(kind: LexiconKind, severity: Severity) -> Rule {
    let (name, kind) = match kind {
        LexiconKind::Abuse => ("lexicon.abuse", ModerationKind::Abuse),
        LexiconKind::Spam => ("lexicon.spam", ModerationKind::Spam),
        LexiconKind::Custom => ("lexicon.custom", ModerationKind::Spam),
    };
    Rule {
        name,
        kind,
        severity,
    }
}

/// At most `max` characters of `text`, with `…` when cut.
fn excerpt_of(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use cohort_schemas::Payload;

    use super::*;
    use crate::moderation::lexicon::LexiconConfig;

    fn chat(text: &str) -> Event {
        Event {
            event_id: "e1".into(),
            ts_ms: 5_000,
            community_id: "c1".into(),
            user_id: "u1".into(),
            payload: Payload::Chat(Chat {
                channel_id: "general".into(),
                message_id: "m1".into(),
                text: text.into(),
                reply_to: None,
                mentions: Vec::new(),
                item_mentions: Vec::new(),
            }),
            extra: None,
        }
    }

    fn scanner() -> MessageScanner {
        let lexicons = ReloadableLexicons::new(LexiconConfig::default()).unwrap();
        MessageScanner::new(Arc::new(lexicons), Vec::new(), 40)
    }

    fn scan(text: &str) -> ChatScan {
        let event = chat(text);
        let Payload::Chat(c) = &event.payload else {
            unreachable!()
        };
        scanner().scan(&event, c, &mut Scratch::default())
    }

    #[test]
    fn a_leaked_number_is_one_finding_whose_evidence_is_redacted() {
        let s = scan("call me 13812345678 or 139 1234 5678");
        let rules: Vec<&str> = s.findings.iter().map(|f| f.rule.as_ref()).collect();
        assert_eq!(rules, ["pii.mobile"]);
        let f = &s.findings[0];
        assert_eq!(f.kind, ModerationKind::Pii);
        assert_eq!(f.score, 2.0);
        assert_eq!(f.severity, Severity::Major);
        assert!(
            f.evidence.starts_with("2 mobiles in: call me [mobile]"),
            "{}",
            f.evidence
        );
        assert!(!f.evidence.contains("1381234"), "{}", f.evidence);
    }

    #[test]
    fn an_id_number_is_critical_and_plain_chat_fires_nothing() {
        let s = scan("我的身份证 11010519491231002X 请查收");
        assert_eq!(s.findings.len(), 1);
        assert_eq!(s.findings[0].rule, "pii.resident_id");
        assert_eq!(s.findings[0].severity, Severity::Critical);
        assert!(scan("see you at the meetup tomorrow").findings.is_empty());
    }

    #[test]
    fn evidence_is_cut_to_its_length() {
        let long = format!("{} 13812345678", "x".repeat(100));
        let f = &scan(&long).findings[0];
        assert!(f.evidence.ends_with('…'), "{}", f.evidence);
        assert_eq!(excerpt_of("短文本", 40), "短文本");
        assert_eq!(excerpt_of("abcdef", 3), "abc…");
    }

    #[test]
    fn the_scan_masks_contacts_in_the_fingerprint_and_notes_links() {
        let a = scan("join my course group now https://t.me/joinchat/abcdef");
        let b = scan("join my course group now https://t.me/joinchat/zzzzzz");
        assert!(a.has_link);
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_eq!(
            (a.channel_id.as_str(), a.member_id.as_str()),
            ("general", "u1")
        );
        assert!(!scan("no links here at all").has_link);
    }
}
