//! How one event adds to the series: the mapping from payload kinds to metrics.

use cohort_schemas::event::{Event, MemberAction, Payload, PaymentKind};

use super::metric::{Metric, SeriesKey};

/// What an event adds to one series in its hour.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Amount {
    /// Adds a signed amount to a sum (counts, net likes, revenue in minor units).
    Add(i64),
    /// Adds a member to a distinct set (active members).
    Member(String),
}

/// One event's contribution to one series.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Contribution {
    /// The series.
    pub key: SeriesKey,
    /// What it adds.
    pub amount: Amount,
}

/// Every contribution of `event`. Chat counts both community-wide (channel `""`) and per channel,
/// so operators can forecast one busy channel as well as the whole community. Items (catalogue
/// changes), erasures and moderators' verdicts are not member activity and contribute nothing.
pub fn contributions(event: &Event) -> Vec<Contribution> {
    let community = event.community_id.as_str();
    let mut out = Vec::with_capacity(4);
    let mut add = |channel: &str, metric: Metric, amount: Amount| {
        out.push(Contribution {
            key: SeriesKey::new(community, channel, metric),
            amount,
        });
    };
    let active = |add: &mut dyn FnMut(&str, Metric, Amount), channel: &str| {
        add(
            channel,
            Metric::ActiveMembers,
            Amount::Member(event.user_id.clone()),
        );
    };
    match &event.payload {
        Payload::View(_) => {
            add("", Metric::Views, Amount::Add(1));
            active(&mut add, "");
        }
        Payload::Like(like) => {
            add(
                "",
                Metric::Likes,
                Amount::Add(if like.undo { -1 } else { 1 }),
            );
            active(&mut add, "");
        }
        Payload::Payment(p) => {
            let refund = p.payment_kind == PaymentKind::Refund;
            if !refund {
                add("", Metric::Purchases, Amount::Add(1));
            }
            let signed = if refund {
                -p.amount_minor
            } else {
                p.amount_minor
            };
            add("", Metric::Revenue(p.currency.clone()), Amount::Add(signed));
            active(&mut add, "");
        }
        Payload::Chat(chat) => {
            add("", Metric::Messages, Amount::Add(1));
            add(&chat.channel_id, Metric::Messages, Amount::Add(1));
            active(&mut add, "");
            active(&mut add, &chat.channel_id);
        }
        Payload::Member(m) => match m.action {
            MemberAction::Join => add("", Metric::Joins, Amount::Add(1)),
            MemberAction::Leave => add("", Metric::Leaves, Amount::Add(1)),
            MemberAction::Role => {}
        },
        Payload::Checkin(_) => {
            add("", Metric::Checkins, Amount::Add(1));
            active(&mut add, "");
        }
        Payload::Item(_) | Payload::Erasure | Payload::ModerationVerdict(_) => {}
    }
    out
}
