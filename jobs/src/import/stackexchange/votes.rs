//! `Votes.xml` (when the dump has one): likes where the voter is known, and deletions.
//!
//! Public dumps hide who cast most votes: up votes carry no `UserId`, favourites (bookmarks) do.
//! cohort's like is a member's like, so a vote becomes one only when its member is known:
//!
//! | `VoteTypeId` | cohort event |
//! |---|---|
//! | 1 accepted by originator | `like` of the answer by the question's owner (the vote's own `UserId` when given) |
//! | 2 up vote, 5 favourite | `like` by `UserId`; without it [`Skip::MemberUnknown`] |
//! | 10 deletion, 11 undeletion | `item` with `deleted` true / false: the post's state changes (dumps leave out posts that are still deleted, so these are posts deleted and restored) |
//! | anything else (down votes, close/reopen, bounties, spam and offensive flags, ...) | [`Skip::VoteTypeNotMapped`] |
//!
//! Vote dates are days only (`2011-10-11T00:00:00.000`): a vote's event time is its day's start,
//! or its post's creation when that is later, so a like never precedes the item it likes.

use cohort_schemas::event::Like;
use cohort_schemas::{Event, Payload};

use super::fields;
use super::ids::{Ids, UNKNOWN_MEMBER};
use super::posts::{PostIndex, item_event};
use super::skip::Skip;
use super::xml_rows::Row;

/// The event of one vote row.
pub fn vote_event(ids: &Ids, posts: &PostIndex, row: &Row) -> Result<Event, Skip> {
    let vote_type = fields::id(row, "VoteTypeId")?;
    if !matches!(vote_type, 1 | 2 | 5 | 10 | 11) {
        return Err(Skip::VoteTypeNotMapped);
    }
    let id = fields::id(row, "Id")?;
    let day = fields::time(row, "CreationDate")?;
    let post_id = fields::id(row, "PostId")?;
    let voter = fields::opt_id(row, "UserId")?;
    let post = posts.resolve(ids, post_id).ok_or(Skip::PostNotInDump)?;
    let ts = day.max(post.created_ms);
    let what = format!("vote:{id}");
    let like = |member: i64| {
        ids.event(
            &what,
            ts,
            ids.member(member),
            Payload::Like(Like {
                item_id: post.item_id.clone(),
                undo: false,
            }),
        )
    };
    match vote_type {
        1 => {
            let asker = post.question.and_then(|(_, owner)| owner);
            voter.or(asker).map(like).ok_or(Skip::MemberUnknown)
        }
        10 | 11 => {
            let actor = voter
                .or(post.owner)
                .map_or_else(|| UNKNOWN_MEMBER.to_string(), |m| ids.member(m));
            Ok(item_event(ids, &what, actor, &post, vote_type == 10, ts))
        }
        _ => voter.map(like).ok_or(Skip::MemberUnknown),
    }
}

#[cfg(test)]
mod tests {
    use cohort_schemas::event::Item;

    use super::super::posts::parse_post;
    use super::*;

    fn posts() -> PostIndex {
        let mut index = PostIndex::default();
        let question = Row::new([
            ("Id", "3"),
            ("PostTypeId", "1"),
            ("OwnerUserId", "12"),
            ("CreationDate", "2011-10-11T19:42:20.713"),
            ("Title", "Wikipedia as a source?"),
            ("Tags", "<sources>"),
        ]);
        let answer = Row::new([
            ("Id", "4"),
            ("PostTypeId", "2"),
            ("ParentId", "3"),
            ("OwnerUserId", "31"),
            ("CreationDate", "2011-10-12T08:00:00.000"),
        ]);
        for row in [question, answer] {
            index.insert(parse_post(&row).unwrap()).unwrap();
        }
        index
    }

    fn vote(kind: &str, post: &str, user: Option<&'static str>) -> Row {
        let mut attrs = vec![
            ("Id", "40"),
            ("PostId", post),
            ("VoteTypeId", kind),
            ("CreationDate", "2011-10-12T00:00:00.000"),
        ];
        attrs.extend(user.map(|u| ("UserId", u)));
        Row::new(attrs)
    }

    fn liked(e: &Event) -> (&str, &str, i64) {
        let Payload::Like(l) = &e.payload else {
            panic!("{e:?}")
        };
        assert!(!l.undo);
        (e.user_id.as_str(), l.item_id.as_str(), e.ts_ms)
    }

    #[test]
    fn favourites_and_known_up_votes_are_likes_at_the_votes_day() {
        let ids = Ids::new("meta");
        let day = fields::dump_time("2011-10-12T00:00:00.000").unwrap();
        let e = vote_event(&ids, &posts(), &vote("5", "3", Some("7"))).unwrap();
        assert_eq!(e.event_id, "meta:vote:40");
        assert_eq!(liked(&e), ("u7", "q3", day));
        let e = vote_event(&ids, &posts(), &vote("2", "3", Some("8"))).unwrap();
        assert_eq!(liked(&e), ("u8", "q3", day));
    }

    #[test]
    fn a_vote_never_precedes_its_post() {
        let ids = Ids::new("meta");
        // The answer was created at 08:00 on the vote's day.
        let e = vote_event(&ids, &posts(), &vote("2", "4", Some("8"))).unwrap();
        let created = fields::dump_time("2011-10-12T08:00:00.000").unwrap();
        assert_eq!(liked(&e), ("u8", "a4", created));
    }

    #[test]
    fn an_acceptance_is_the_askers_like_of_the_answer() {
        let ids = Ids::new("meta");
        let e = vote_event(&ids, &posts(), &vote("1", "4", None)).unwrap();
        assert_eq!(liked(&e).0, "u12");
        assert_eq!(liked(&e).1, "a4");
    }

    #[test]
    fn anonymous_and_unmapped_votes_are_skipped() {
        let ids = Ids::new("meta");
        assert_eq!(
            vote_event(&ids, &posts(), &vote("2", "3", None)),
            Err(Skip::MemberUnknown)
        );
        assert_eq!(
            vote_event(&ids, &posts(), &vote("3", "3", Some("8"))),
            Err(Skip::VoteTypeNotMapped)
        );
        assert_eq!(
            vote_event(&ids, &posts(), &vote("2", "99", Some("8"))),
            Err(Skip::PostNotInDump)
        );
        // Accepting a question (not an answer) names no asker to credit.
        assert_eq!(
            vote_event(&ids, &posts(), &vote("1", "3", None)),
            Err(Skip::MemberUnknown)
        );
    }

    #[test]
    fn deletion_and_undeletion_change_the_items_state() {
        let ids = Ids::new("meta");
        for (kind, deleted) in [("10", true), ("11", false)] {
            let e = vote_event(&ids, &posts(), &vote(kind, "4", None)).unwrap();
            assert_eq!(e.user_id, "u31", "the post's owner, when no voter is named");
            let Payload::Item(Item {
                item_id,
                title,
                deleted: d,
                ..
            }) = &e.payload
            else {
                panic!("{e:?}")
            };
            assert_eq!(
                (item_id.as_str(), title.as_str(), *d),
                ("a4", "Wikipedia as a source?", deleted)
            );
        }
    }
}
