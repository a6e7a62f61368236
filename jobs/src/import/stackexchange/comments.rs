//! `Comments.xml`: every comment is a chat message in one channel, [`CHANNEL`], that names the post
//! it was written under in `item_mentions`.
//!
//! That one event is also the commenting interaction: cohort counts an item named in chat as the
//! member's "mention" signal (`[recs.weights] mention`), so a comment needs no second event. The
//! chat side feeds what chat feeds: the `messages` series of the forecast job and moderation.
//! Comments of deleted users (a `UserDisplayName` and no `UserId`) have no member to act: skipped.

use cohort_schemas::event::Chat;
use cohort_schemas::{Event, Payload};

use super::fields;
use super::ids::Ids;
use super::posts::PostIndex;
use super::skip::Skip;
use super::xml_rows::Row;

/// The channel every comment is posted in.
pub const CHANNEL: &str = "comments";

/// The chat message of one comment row.
pub fn comment_chat(ids: &Ids, posts: &PostIndex, row: &Row) -> Result<Event, Skip> {
    let id = fields::id(row, "Id")?;
    let ts = fields::time(row, "CreationDate")?;
    let post = fields::id(row, "PostId")?;
    let text = fields::text(row, "Text")?;
    let user = fields::opt_id(row, "UserId")?.ok_or(Skip::MemberUnknown)?;
    let item = posts.resolve(ids, post).ok_or(Skip::PostNotInDump)?;
    Ok(ids.event(
        &format!("comment:{id}"),
        ts,
        ids.member(user),
        Payload::Chat(Chat {
            channel_id: CHANNEL.to_string(),
            message_id: format!("c{id}"),
            text: text.to_string(),
            reply_to: None,
            mentions: Vec::new(),
            item_mentions: vec![item.item_id],
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::posts::parse_post;
    use super::*;

    fn posts() -> PostIndex {
        let mut index = PostIndex::default();
        let question = Row::new([
            ("Id", "3"),
            ("PostTypeId", "1"),
            ("CreationDate", "2011-10-11T19:42:20.713"),
            ("Title", "Wikipedia as a source?"),
        ]);
        let answer = Row::new([
            ("Id", "4"),
            ("PostTypeId", "2"),
            ("ParentId", "3"),
            ("CreationDate", "2011-10-11T19:45:00.000"),
        ]);
        for row in [question, answer] {
            index.insert(parse_post(&row).unwrap()).unwrap();
        }
        index
    }

    fn comment(post: &str, user: Option<&'static str>) -> Row {
        let mut attrs = vec![
            ("Id", "1"),
            ("PostId", post),
            ("Text", "It seems we were both worried & so on."),
            ("CreationDate", "2011-10-11T19:50:34.047"),
        ];
        attrs.push(user.map_or(("UserDisplayName", "user39"), |u| ("UserId", u)));
        Row::new(attrs)
    }

    #[test]
    fn a_comment_is_a_chat_message_naming_its_post() {
        let ids = Ids::new("meta");
        let e = comment_chat(&ids, &posts(), &comment("4", Some("12"))).unwrap();
        assert_eq!(e.event_id, "meta:comment:1");
        assert_eq!(e.user_id, "u12");
        assert_eq!(
            e.ts_ms,
            fields::dump_time("2011-10-11T19:50:34.047").unwrap()
        );
        assert_eq!(
            e.payload,
            Payload::Chat(Chat {
                channel_id: "comments".into(),
                message_id: "c1".into(),
                text: "It seems we were both worried & so on.".into(),
                reply_to: None,
                mentions: vec![],
                item_mentions: vec!["a4".into()],
            })
        );
    }

    #[test]
    fn comments_of_deleted_users_or_on_deleted_posts_are_skipped() {
        let ids = Ids::new("meta");
        assert_eq!(
            comment_chat(&ids, &posts(), &comment("3", None)),
            Err(Skip::MemberUnknown)
        );
        assert_eq!(
            comment_chat(&ids, &posts(), &comment("99", Some("12"))),
            Err(Skip::PostNotInDump)
        );
        let no_text = Row::new([
            ("Id", "2"),
            ("PostId", "3"),
            ("UserId", "5"),
            ("CreationDate", "2011-10-11T19:50:34.047"),
        ]);
        assert_eq!(
            comment_chat(&ids, &posts(), &no_text),
            Err(Skip::MissingField("Text"))
        );
    }
}
