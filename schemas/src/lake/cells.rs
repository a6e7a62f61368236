//! The one place that maps an event's fields to lake columns and back.
//!
//! Writing visits the event's values in column order ([`visit_cells`]); reading rebuilds the event from
//! the same order ([`event_from_cells`]). Keeping both directions side by side makes a column added to
//! one and forgotten in the other show up in the round-trip tests at once.

use crate::event::{
    Chat, Checkin, Event, Item, ItemKind, Kind, Like, Member, MemberAction, ModerationVerdict,
    Payload, Payment, PaymentKind, View,
};
use crate::moderation::VerdictOutcome;

/// A borrowed column value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    Str(Option<&'a str>),
    Int(Option<i64>),
    Bool(bool),
    List(&'a [String]),
    Ts(i64),
}

/// An owned column value, as read back from Arrow.
#[derive(Debug, Clone)]
pub(crate) enum OwnedCell {
    Str(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    List(Vec<String>),
    Ts(i64),
}

/// Calls `f` with every column value of `event` (common fields, then the kind's), in schema order.
pub(crate) fn visit_cells<'a>(event: &'a Event, f: &mut impl FnMut(Cell<'a>)) {
    let s = |v: &'a String| Cell::Str(Some(v.as_str()));
    let os = |v: &'a Option<String>| Cell::Str(v.as_deref());
    f(s(&event.event_id));
    f(Cell::Ts(event.ts_ms));
    f(s(&event.community_id));
    f(s(&event.user_id));
    match &event.payload {
        Payload::View(p) => {
            f(s(&p.item_id));
            f(Cell::Int(p.dwell_ms));
            f(os(&p.surface));
        }
        Payload::Like(p) => {
            f(s(&p.item_id));
            f(Cell::Bool(p.undo));
        }
        Payload::Payment(p) => {
            f(os(&p.item_id));
            f(os(&p.plan_id));
            f(Cell::Int(Some(p.amount_minor)));
            f(s(&p.currency));
            f(Cell::Str(Some(p.payment_kind.name())));
        }
        Payload::Chat(p) => {
            f(s(&p.channel_id));
            f(s(&p.message_id));
            f(s(&p.text));
            f(os(&p.reply_to));
            f(Cell::List(&p.mentions));
            f(Cell::List(&p.item_mentions));
        }
        Payload::Item(p) => {
            f(s(&p.item_id));
            f(s(&p.title));
            f(Cell::List(&p.tags));
            f(Cell::Int(p.price_minor));
            f(os(&p.author_id));
            f(Cell::Str(Some(p.item_kind.name())));
            f(Cell::Bool(p.deleted));
        }
        Payload::Member(p) => {
            f(Cell::Str(Some(p.action.name())));
            f(os(&p.tier));
        }
        Payload::Checkin(p) => {
            f(s(&p.event_id_offline));
            f(os(&p.location));
        }
        Payload::Erasure => {}
        Payload::ModerationVerdict(p) => {
            f(s(&p.alert_id));
            f(Cell::Str(Some(p.verdict.name())));
            f(os(&p.note));
        }
    }
}

/// Takes cells in column order and checks their variants; the reader reports a mismatch as corrupt data.
struct Cells<I>(I);

impl<I: Iterator<Item = OwnedCell>> Cells<I> {
    fn opt_str(&mut self) -> Result<Option<String>, String> {
        match self.0.next() {
            Some(OwnedCell::Str(v)) => Ok(v),
            other => Err(format!("expected a string column, found {other:?}")),
        }
    }
    fn str(&mut self) -> Result<String, String> {
        self.opt_str()?
            .ok_or_else(|| "null in a required column".to_string())
    }
    fn opt_int(&mut self) -> Result<Option<i64>, String> {
        match self.0.next() {
            Some(OwnedCell::Int(v)) => Ok(v),
            other => Err(format!("expected an integer column, found {other:?}")),
        }
    }
    fn int(&mut self) -> Result<i64, String> {
        self.opt_int()?
            .ok_or_else(|| "null in a required column".to_string())
    }
    fn bool(&mut self) -> Result<bool, String> {
        match self.0.next() {
            Some(OwnedCell::Bool(v)) => Ok(v),
            other => Err(format!("expected a boolean column, found {other:?}")),
        }
    }
    fn list(&mut self) -> Result<Vec<String>, String> {
        match self.0.next() {
            Some(OwnedCell::List(v)) => Ok(v),
            other => Err(format!("expected a list column, found {other:?}")),
        }
    }
    fn ts(&mut self) -> Result<i64, String> {
        match self.0.next() {
            Some(OwnedCell::Ts(v)) => Ok(v),
            other => Err(format!("expected a timestamp column, found {other:?}")),
        }
    }
    fn vocab<T>(&mut self, parse: fn(&str) -> Option<T>) -> Result<T, String> {
        let s = self.str()?;
        parse(&s).ok_or_else(|| format!("unknown value {s:?}"))
    }
}

/// Rebuilds an event of `kind` from its column values, in the order [`visit_cells`] wrote them.
pub(crate) fn event_from_cells(
    kind: Kind,
    cells: impl Iterator<Item = OwnedCell>,
    extra: Option<String>,
) -> Result<Event, String> {
    let mut c = Cells(cells);
    let event_id = c.str()?;
    let ts_ms = c.ts()?;
    let community_id = c.str()?;
    let user_id = c.str()?;
    let payload = match kind {
        Kind::View => Payload::View(View {
            item_id: c.str()?,
            dwell_ms: c.opt_int()?,
            surface: c.opt_str()?,
        }),
        Kind::Like => Payload::Like(Like {
            item_id: c.str()?,
            undo: c.bool()?,
        }),
        Kind::Payment => Payload::Payment(Payment {
            item_id: c.opt_str()?,
            plan_id: c.opt_str()?,
            amount_minor: c.int()?,
            currency: c.str()?,
            payment_kind: c.vocab(PaymentKind::from_name)?,
        }),
        Kind::Chat => Payload::Chat(Chat {
            channel_id: c.str()?,
            message_id: c.str()?,
            text: c.str()?,
            reply_to: c.opt_str()?,
            mentions: c.list()?,
            item_mentions: c.list()?,
        }),
        Kind::Item => Payload::Item(Item {
            item_id: c.str()?,
            title: c.str()?,
            tags: c.list()?,
            price_minor: c.opt_int()?,
            author_id: c.opt_str()?,
            item_kind: c.vocab(ItemKind::from_name)?,
            deleted: c.bool()?,
        }),
        Kind::Member => Payload::Member(Member {
            action: c.vocab(MemberAction::from_name)?,
            tier: c.opt_str()?,
        }),
        Kind::Checkin => Payload::Checkin(Checkin {
            event_id_offline: c.str()?,
            location: c.opt_str()?,
        }),
        Kind::Erasure => Payload::Erasure,
        Kind::ModerationVerdict => Payload::ModerationVerdict(ModerationVerdict {
            alert_id: c.str()?,
            verdict: c.vocab(VerdictOutcome::from_name)?,
            note: c.opt_str()?,
        }),
    };
    Ok(Event {
        event_id,
        ts_ms,
        community_id,
        user_id,
        payload,
        extra,
    })
}
