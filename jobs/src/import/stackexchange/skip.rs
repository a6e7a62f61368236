//! Why a dump row (or part of one) was not converted, and the tally the summary prints.
//!
//! A dump is years of a live site's history: rows of deleted users, posts that point at deleted
//! posts, vote types cohort has no event for. None of that may stop an import, and none of it may
//! vanish silently either, so every mapping function answers with either events or a [`Skip`], and
//! the import counts skips per file and reason.

use std::collections::BTreeMap;
use std::fmt;

/// The files of a dump the import reads, in the order it reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DumpFile {
    /// `Users.xml`: member joins.
    Users,
    /// `Posts.xml`: questions and answers (items) and answering (interactions).
    Posts,
    /// `Comments.xml`: chat messages that name their post.
    Comments,
    /// `Votes.xml`: likes, and deletions.
    Votes,
}

impl DumpFile {
    /// Every file the import reads.
    pub const ALL: [DumpFile; 4] = [
        DumpFile::Users,
        DumpFile::Posts,
        DumpFile::Comments,
        DumpFile::Votes,
    ];

    /// The file's name inside the dump directory.
    pub fn file_name(self) -> &'static str {
        match self {
            DumpFile::Users => "Users.xml",
            DumpFile::Posts => "Posts.xml",
            DumpFile::Comments => "Comments.xml",
            DumpFile::Votes => "Votes.xml",
        }
    }
}

/// Why a row, or the part of a row named in [`Skip::describe`], was not converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Skip {
    /// An attribute could not be read: a bad escape, a duplicate attribute, bytes that are not UTF-8.
    MalformedRow,
    /// A required attribute is missing or empty.
    MissingField(&'static str),
    /// An attribute does not have the shape its field needs (an id that is not a number, a date that
    /// is not a date).
    BadValue(&'static str),
    /// A second row with an id already seen in the file; the first one counts.
    DuplicateId,
    /// A post that is neither a question nor an answer (tag wikis, moderator nominations, ...).
    NotQuestionOrAnswer,
    /// The row refers to a post the dump does not hold (deleted posts are left out of dumps).
    PostNotInDump,
    /// The acting member is unknown: a comment of a deleted user (display name only), a vote whose
    /// voter the dump hides.
    MemberUnknown,
    /// A post without `OwnerUserId`: its item is published under [`super::ids::UNKNOWN_MEMBER`]
    /// without an author, and for an answer the answering interaction is left out.
    OwnerUnknown,
    /// A vote type with no cohort event (down votes, close and reopen votes, bounties, flags).
    VoteTypeNotMapped,
    /// The file's XML broke off; the rest of the file was not read.
    XmlSyntax,
}

impl Skip {
    /// A stable code for summaries and tests.
    pub fn code(self) -> &'static str {
        match self {
            Skip::MalformedRow => "malformed_row",
            Skip::MissingField(_) => "missing_field",
            Skip::BadValue(_) => "bad_value",
            Skip::DuplicateId => "duplicate_id",
            Skip::NotQuestionOrAnswer => "not_question_or_answer",
            Skip::PostNotInDump => "post_not_in_dump",
            Skip::MemberUnknown => "member_unknown",
            Skip::OwnerUnknown => "owner_unknown",
            Skip::VoteTypeNotMapped => "vote_type_not_mapped",
            Skip::XmlSyntax => "xml_syntax",
        }
    }

    /// What was left out, for the summary.
    pub fn describe(self) -> &'static str {
        match self {
            Skip::MalformedRow => "row skipped: an attribute could not be read",
            Skip::MissingField(_) => "row skipped: a required attribute is missing",
            Skip::BadValue(_) => "row skipped: an attribute has the wrong shape",
            Skip::DuplicateId => "row skipped: its id was already seen",
            Skip::NotQuestionOrAnswer => "row skipped: tag wiki or other non-question/answer post",
            Skip::PostNotInDump => "row skipped: its post is not in the dump (deleted)",
            Skip::MemberUnknown => "row skipped: the acting member is not named",
            Skip::OwnerUnknown => {
                "item kept without author; an answer's answering interaction left out"
            }
            Skip::VoteTypeNotMapped => "row skipped: no cohort event for this vote type",
            Skip::XmlSyntax => "the rest of the file was not read",
        }
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::MissingField(field) | Skip::BadValue(field) => {
                write!(f, "{}({field})", self.code())
            }
            _ => f.write_str(self.code()),
        }
    }
}

/// Skips counted per file and reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    counts: BTreeMap<(DumpFile, Skip), u64>,
}

impl Tally {
    /// Counts one skip in `file`.
    pub fn add(&mut self, file: DumpFile, skip: Skip) {
        *self.counts.entry((file, skip)).or_insert(0) += 1;
    }

    /// How often `skip` was counted in `file`.
    pub fn get(&self, file: DumpFile, skip: Skip) -> u64 {
        self.counts.get(&(file, skip)).copied().unwrap_or(0)
    }

    /// Every (file, reason, count), files in reading order.
    pub fn iter(&self) -> impl Iterator<Item = (DumpFile, Skip, u64)> + '_ {
        self.counts.iter().map(|((f, s), n)| (*f, *s, *n))
    }

    /// Skips of `file`, all reasons.
    pub fn total(&self, file: DumpFile) -> u64 {
        self.iter()
            .filter(|(f, ..)| *f == file)
            .map(|(.., n)| n)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_are_counted_per_file_and_reason_and_print_their_field() {
        let mut tally = Tally::default();
        tally.add(DumpFile::Posts, Skip::MissingField("Id"));
        tally.add(DumpFile::Posts, Skip::MissingField("Id"));
        tally.add(DumpFile::Posts, Skip::MissingField("CreationDate"));
        tally.add(DumpFile::Votes, Skip::MemberUnknown);
        assert_eq!(tally.get(DumpFile::Posts, Skip::MissingField("Id")), 2);
        assert_eq!(tally.total(DumpFile::Posts), 3);
        assert_eq!(tally.total(DumpFile::Comments), 0);
        assert_eq!(Skip::MissingField("Id").to_string(), "missing_field(Id)");
        assert_eq!(Skip::MemberUnknown.to_string(), "member_unknown");
    }
}
