//! `Users.xml`: every user row is a member joining the community when the account was created.
//!
//! Dumps hold the users that still exist; deleted accounts have no row (their posts and comments
//! carry a display name instead, see [`super::skip::Skip::OwnerUnknown`]). Nothing in a dump says
//! when a member left, so there are joins only.

use cohort_schemas::Payload;
use cohort_schemas::event::{Member, MemberAction};

use super::fields;
use super::ids::Ids;
use super::skip::Skip;
use super::xml_rows::Row;

/// The `member` join of one user row.
pub fn user_join(ids: &Ids, row: &Row) -> Result<cohort_schemas::Event, Skip> {
    let user = fields::id(row, "Id")?;
    let ts = fields::time(row, "CreationDate")?;
    Ok(ids.event(
        &format!("join:{user}"),
        ts,
        ids.member(user),
        Payload::Member(Member {
            action: MemberAction::Join,
            tier: None,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_row_is_a_join_at_its_creation_date() {
        let ids = Ids::new("meta");
        let row = Row::new([
            ("Id", "-1"),
            ("CreationDate", "2011-10-11T18:16:00.230"),
            ("DisplayName", "Community"),
        ]);
        let e = user_join(&ids, &row).unwrap();
        assert_eq!(e.user_id, "u-1");
        assert_eq!(e.event_id, "meta:join:-1");
        assert_eq!(
            e.ts_ms,
            fields::dump_time("2011-10-11T18:16:00.230").unwrap()
        );
        assert!(matches!(
            e.payload,
            Payload::Member(Member {
                action: MemberAction::Join,
                tier: None
            })
        ));
    }

    #[test]
    fn a_user_row_without_id_or_date_is_skipped_with_the_field() {
        let ids = Ids::new("meta");
        let no_id = Row::new([("CreationDate", "2011-10-11T18:16:00.230")]);
        assert_eq!(user_join(&ids, &no_id), Err(Skip::MissingField("Id")));
        let bad_date = Row::new([("Id", "5"), ("CreationDate", "soon")]);
        assert_eq!(
            user_join(&ids, &bad_date),
            Err(Skip::BadValue("CreationDate"))
        );
    }
}
