//! `Posts.xml`: questions and answers become items, and answering becomes an interaction.
//!
//! - A question (`PostTypeId="1"`) is an `item` (`q<Id>`, kind `post`) with its title and tags,
//!   published by its owner at its creation date.
//! - An answer (`PostTypeId="2"`) is an `item` too (`a<Id>`), with its question's title and tags:
//!   answers have neither, and content similarity of new items needs both. Answering is also an
//!   interaction of the answerer with the question: a `view` with `surface = "answer"` (cohort's
//!   interaction kinds are views, likes, purchases and chat mentions, and an answer is neither a
//!   like nor a mention).
//! - Other post types (tag wikis and their excerpts, moderator nominations, privilege wikis) are no
//!   community content: skipped.
//!
//! Answers may come before their question in the file, and comments and votes refer to posts by id,
//! so all posts are read into a [`PostIndex`] first (without their bodies, which no job reads).

use std::collections::HashMap;

use cohort_schemas::event::{Item, ItemKind, View};
use cohort_schemas::{Event, Payload};

use super::fields;
use super::ids::{Ids, UNKNOWN_MEMBER};
use super::skip::Skip;
use super::xml_rows::Row;

/// What a post row says, as far as cohort needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRow {
    /// The post id.
    pub id: i64,
    /// Question or answer.
    pub kind: PostKind,
    /// `OwnerUserId`, when the owner still exists.
    pub owner: Option<i64>,
    /// Creation date, epoch ms.
    pub created_ms: i64,
}

/// The two post types that are community content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostKind {
    /// A question, with its title and tags.
    Question {
        /// The title.
        title: String,
        /// The tags.
        tags: Vec<String>,
    },
    /// An answer to the question `parent`.
    Answer {
        /// The question's post id.
        parent: i64,
    },
}

/// Reads a post row.
pub fn parse_post(row: &Row) -> Result<PostRow, Skip> {
    let id = fields::id(row, "Id")?;
    let kind = match fields::text(row, "PostTypeId")?.trim() {
        "1" => PostKind::Question {
            title: fields::text(row, "Title")?.to_string(),
            tags: row.get("Tags").map(fields::tags).unwrap_or_default(),
        },
        "2" => PostKind::Answer {
            parent: fields::id(row, "ParentId")?,
        },
        t if t.parse::<u32>().is_ok() => return Err(Skip::NotQuestionOrAnswer),
        _ => return Err(Skip::BadValue("PostTypeId")),
    };
    Ok(PostRow {
        id,
        kind,
        owner: fields::opt_id(row, "OwnerUserId")?,
        created_ms: fields::time(row, "CreationDate")?,
    })
}

/// Every readable post of the dump, in file order, by id.
#[derive(Debug, Default)]
pub struct PostIndex {
    rows: Vec<PostRow>,
    by_id: HashMap<i64, usize>,
}

/// A post resolved against its question: what its item and the events about it need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<'a> {
    /// The post's item id (`q<Id>` or `a<Id>`).
    pub item_id: String,
    /// The question's title.
    pub title: &'a str,
    /// The question's tags.
    pub tags: &'a [String],
    /// The post's owner.
    pub owner: Option<i64>,
    /// For an answer, its question's id and owner.
    pub question: Option<(i64, Option<i64>)>,
    /// The post's creation date, epoch ms.
    pub created_ms: i64,
}

impl PostIndex {
    /// Adds a post; a second post with the same id is refused.
    pub fn insert(&mut self, post: PostRow) -> Result<(), Skip> {
        if self.by_id.contains_key(&post.id) {
            return Err(Skip::DuplicateId);
        }
        self.by_id.insert(post.id, self.rows.len());
        self.rows.push(post);
        Ok(())
    }

    /// The posts, in file order.
    pub fn rows(&self) -> &[PostRow] {
        &self.rows
    }

    /// Post `id` with its question's title and tags; `None` when the post, or an answer's question,
    /// is not in the dump.
    pub fn resolve(&self, ids: &Ids, id: i64) -> Option<Resolved<'_>> {
        let post = &self.rows[*self.by_id.get(&id)?];
        match &post.kind {
            PostKind::Question { title, tags } => Some(Resolved {
                item_id: ids.question(post.id),
                title,
                tags,
                owner: post.owner,
                question: None,
                created_ms: post.created_ms,
            }),
            PostKind::Answer { parent } => {
                let question = &self.rows[*self.by_id.get(parent)?];
                let PostKind::Question { title, tags } = &question.kind else {
                    return None;
                };
                Some(Resolved {
                    item_id: ids.answer(post.id),
                    title,
                    tags,
                    owner: post.owner,
                    question: Some((question.id, question.owner)),
                    created_ms: post.created_ms,
                })
            }
        }
    }
}

/// What one post became: its events, and what of it was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedPost {
    /// The item, and for an answer with a known owner the answering view.
    pub events: Vec<Event>,
    /// [`Skip::OwnerUnknown`] when the owner is not named.
    pub partly: Option<Skip>,
}

/// The events of post `id` of the index.
pub fn post_events(ids: &Ids, index: &PostIndex, id: i64) -> Result<MappedPost, Skip> {
    let post = index.resolve(ids, id).ok_or(Skip::PostNotInDump)?;
    let author = post.owner.map(|o| ids.member(o));
    let publisher = author.clone().unwrap_or_else(|| UNKNOWN_MEMBER.to_string());
    let mut events = vec![item_event(
        ids,
        &format!("post:{id}"),
        publisher,
        &post,
        false,
        post.created_ms,
    )];
    if let (Some((question, _)), Some(answerer)) = (post.question, &author) {
        events.push(ids.event(
            &format!("answer:{id}"),
            post.created_ms,
            answerer.clone(),
            Payload::View(View {
                item_id: ids.question(question),
                dwell_ms: None,
                surface: Some("answer".to_string()),
            }),
        ));
    }
    Ok(MappedPost {
        events,
        partly: author.is_none().then_some(Skip::OwnerUnknown),
    })
}

/// An `item` event of a resolved post, its state at `ts_ms` (deleted or not), by `actor`; `what`
/// names the row it came from, for the event id.
pub fn item_event(
    ids: &Ids,
    what: &str,
    actor: String,
    post: &Resolved<'_>,
    deleted: bool,
    ts_ms: i64,
) -> Event {
    ids.event(
        what,
        ts_ms,
        actor,
        Payload::Item(Item {
            item_id: post.item_id.clone(),
            title: post.title.to_string(),
            tags: post.tags.to_vec(),
            price_minor: None,
            author_id: post.owner.map(|o| ids.member(o)),
            item_kind: ItemKind::Post,
            deleted,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(rows: &[Row]) -> PostIndex {
        let mut index = PostIndex::default();
        for row in rows {
            index.insert(parse_post(row).unwrap()).unwrap();
        }
        index
    }

    fn question() -> Row {
        Row::new([
            ("Id", "1"),
            ("PostTypeId", "1"),
            ("CreationDate", "2011-10-11T19:42:20.713"),
            ("OwnerUserId", "12"),
            ("Title", "Should we include sources?"),
            ("Tags", "<discussion><answers>"),
            ("Body", "<p>long</p>"),
        ])
    }

    fn answer(id: &str, parent: &str, owner: Option<&'static str>) -> Row {
        let mut attrs = vec![
            ("Id", id),
            ("PostTypeId", "2"),
            ("ParentId", parent),
            ("CreationDate", "2011-10-11T19:44:27.657"),
        ];
        attrs.extend(owner.map(|o| ("OwnerUserId", o)));
        Row::new(attrs)
    }

    #[test]
    fn a_question_is_an_item_with_title_tags_and_author() {
        let ids = Ids::new("meta");
        let mapped = post_events(&ids, &index(&[question()]), 1).unwrap();
        assert_eq!(mapped.partly, None);
        let [e] = &mapped.events[..] else {
            panic!("{mapped:?}")
        };
        assert_eq!(e.event_id, "meta:post:1");
        assert_eq!(e.user_id, "u12");
        assert_eq!(
            e.ts_ms,
            fields::dump_time("2011-10-11T19:42:20.713").unwrap()
        );
        let Payload::Item(item) = &e.payload else {
            panic!("{e:?}")
        };
        assert_eq!(item.item_id, "q1");
        assert_eq!(item.title, "Should we include sources?");
        assert_eq!(item.tags, ["discussion", "answers"]);
        assert_eq!(item.author_id.as_deref(), Some("u12"));
        assert_eq!(item.item_kind, ItemKind::Post);
        assert!(!item.deleted);
    }

    #[test]
    fn an_answer_takes_its_questions_title_and_is_an_answering_view() {
        let ids = Ids::new("meta");
        // The answer comes first in the file: the index resolves it anyway.
        let index = index(&[answer("2", "1", Some("31")), question()]);
        let mapped = post_events(&ids, &index, 2).unwrap();
        let [item, view] = &mapped.events[..] else {
            panic!("{mapped:?}")
        };
        let Payload::Item(i) = &item.payload else {
            panic!("{item:?}")
        };
        assert_eq!(
            (i.item_id.as_str(), i.title.as_str()),
            ("a2", "Should we include sources?")
        );
        assert_eq!(i.tags, ["discussion", "answers"]);
        assert_eq!(view.event_id, "meta:answer:2");
        assert_eq!(view.user_id, "u31");
        assert_eq!(view.ts_ms, item.ts_ms);
        assert_eq!(
            view.payload,
            Payload::View(View {
                item_id: "q1".into(),
                dwell_ms: None,
                surface: Some("answer".into())
            })
        );
    }

    #[test]
    fn an_ownerless_answer_keeps_its_item_but_no_interaction() {
        let ids = Ids::new("meta");
        let index = index(&[question(), answer("2", "1", None)]);
        let mapped = post_events(&ids, &index, 2).unwrap();
        assert_eq!(mapped.partly, Some(Skip::OwnerUnknown));
        let [item] = &mapped.events[..] else {
            panic!("{mapped:?}")
        };
        assert_eq!(item.user_id, UNKNOWN_MEMBER);
        assert!(matches!(&item.payload, Payload::Item(i) if i.author_id.is_none()));
    }

    #[test]
    fn an_answer_to_a_missing_question_is_skipped() {
        let ids = Ids::new("meta");
        let index = index(&[answer("2", "99", Some("31"))]);
        assert_eq!(post_events(&ids, &index, 2), Err(Skip::PostNotInDump));
        // An answer whose "question" is an answer does not resolve either.
        let index2 = self::index(&[question(), answer("2", "1", None), answer("3", "2", None)]);
        assert_eq!(post_events(&ids, &index2, 3), Err(Skip::PostNotInDump));
    }

    #[test]
    fn other_post_types_and_broken_rows_are_skipped_with_a_reason() {
        let wiki = Row::new([
            ("Id", "7"),
            ("PostTypeId", "5"),
            ("CreationDate", "2011-10-11T19:42:20.713"),
        ]);
        assert_eq!(parse_post(&wiki), Err(Skip::NotQuestionOrAnswer));
        let untitled = Row::new([
            ("Id", "8"),
            ("PostTypeId", "1"),
            ("CreationDate", "2011-10-11T19:42:20.713"),
        ]);
        assert_eq!(parse_post(&untitled), Err(Skip::MissingField("Title")));
        let orphan = Row::new([
            ("Id", "9"),
            ("PostTypeId", "2"),
            ("CreationDate", "2011-10-11T19:42:20.713"),
        ]);
        assert_eq!(parse_post(&orphan), Err(Skip::MissingField("ParentId")));
        let typeless = Row::new([("Id", "10"), ("PostTypeId", "answer")]);
        assert_eq!(parse_post(&typeless), Err(Skip::BadValue("PostTypeId")));
        let mut index = PostIndex::default();
        index.insert(parse_post(&question()).unwrap()).unwrap();
        assert_eq!(
            index.insert(parse_post(&question()).unwrap()),
            Err(Skip::DuplicateId)
        );
    }
}
