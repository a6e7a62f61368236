//! What an import did, and the summary `cohort import stackexchange` prints: rows read per file,
//! events written per kind, and everything not converted, per file and reason.

use std::fmt::Write as _;
use std::path::Path;

use cohort_schemas::Kind;

use super::comments::CHANNEL;
use super::skip::{DumpFile, Skip, Tally};
use super::xml_rows::XmlBroken;

/// How far one dump file was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// The dump has no such file (Votes.xml is often left out of copies).
    Absent,
    /// Read to the end: this many rows.
    Read(u64),
    /// Read up to a syntax error: this many rows before it.
    Broken(u64, XmlBroken),
}

impl FileState {
    /// Rows seen in the file.
    pub fn rows(&self) -> u64 {
        match self {
            FileState::Absent => 0,
            FileState::Read(n) | FileState::Broken(n, _) => *n,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The community every event belongs to.
    pub community_id: String,
    /// Each file the import reads, in reading order, and how far it got.
    pub files: Vec<(DumpFile, FileState)>,
    /// Other `.xml` files in the dump directory (Badges.xml, PostHistory.xml, ...): not imported.
    pub not_read: Vec<String>,
    /// Events written per kind, indexed by [`Kind::index`].
    pub events: [u64; Kind::ALL.len()],
    /// Event time of the first and the last event, epoch ms.
    pub span_ms: Option<(i64, i64)>,
    /// Rows, or parts of rows, not converted.
    pub skipped: Tally,
}

impl ImportReport {
    /// Events written, all kinds.
    pub fn total_events(&self) -> u64 {
        self.events.iter().sum()
    }

    /// Events written of `kind`.
    pub fn events_of(&self, kind: Kind) -> u64 {
        self.events[kind.index()]
    }

    /// How far `file` was read.
    pub fn file(&self, file: DumpFile) -> Option<&FileState> {
        self.files.iter().find(|(f, _)| *f == file).map(|(_, s)| s)
    }
}

/// Where each kind of event came from, for the summary.
fn origin(kind: Kind) -> &'static str {
    match kind {
        Kind::Item => "questions and answers (answers carry their question's title and tags)",
        Kind::Member => "joins: user accounts created",
        Kind::View => "answering: an answer's author on its question (surface \"answer\")",
        Kind::Chat => "comments, each naming its post (the commenting interaction)",
        Kind::Like => "votes whose member is known (favourites, named up votes, acceptances)",
        _ => "",
    }
}

/// The summary as text; `out` is where the events went.
pub fn render(report: &ImportReport, dir: &Path, out: &Path) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "cohort import stackexchange: {} → {} (community {})",
        dir.display(),
        out.display(),
        report.community_id
    );
    let _ = writeln!(s, "\n  rows read:");
    for (file, state) in &report.files {
        let name = file.file_name();
        match state {
            FileState::Absent => {
                let _ = writeln!(s, "    {name:<14} {:>9}", "absent");
            }
            FileState::Read(n) => {
                let _ = writeln!(s, "    {name:<14} {n:>9}");
            }
            FileState::Broken(n, e) => {
                let _ = writeln!(s, "    {name:<14} {n:>9}   stopped: {e}");
            }
        }
    }
    for name in &report.not_read {
        let _ = writeln!(s, "    {name:<14} {:>9}", "not read");
    }
    let span = report.span_ms.map_or_else(String::new, |(a, b)| {
        format!(
            ", {} .. {}",
            cohort_schemas::time::format_rfc3339_ms(a),
            cohort_schemas::time::format_rfc3339_ms(b)
        )
    });
    let _ = writeln!(
        s,
        "\n  events written: {} in time order{span}",
        report.total_events()
    );
    for kind in [Kind::Item, Kind::Member, Kind::View, Kind::Chat, Kind::Like] {
        let _ = writeln!(
            s,
            "    {:<8} {:>9}   {}",
            kind.name(),
            report.events_of(kind),
            origin(kind)
        );
    }
    let _ = writeln!(s, "    (chat channel: \"{CHANNEL}\")");
    let _ = writeln!(s, "\n  not converted, by file and reason:");
    if report.skipped.iter().next().is_none() {
        let _ = writeln!(s, "    (nothing)");
    }
    for (file, skip, n) in report.skipped.iter() {
        let _ = writeln!(
            s,
            "    {:<14} {:<34} {n:>7}   {}",
            file.file_name(),
            skip.to_string(),
            skip.describe()
        );
    }
    if report.file(DumpFile::Votes) == Some(&FileState::Absent) {
        let _ = writeln!(s, "\n  no Votes.xml: no likes, and no deletions");
    } else if report.skipped.get(DumpFile::Votes, Skip::MemberUnknown) > 0 {
        let _ = writeln!(
            s,
            "\n  votes without a known member (most up votes: dumps hide their voters) are not likes"
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_files_kinds_and_reasons() {
        let mut skipped = Tally::default();
        skipped.add(DumpFile::Comments, Skip::MemberUnknown);
        let mut events = [0; Kind::ALL.len()];
        events[Kind::Item.index()] = 3;
        events[Kind::Chat.index()] = 2;
        let report = ImportReport {
            community_id: "meta".into(),
            files: vec![
                (DumpFile::Users, FileState::Read(4)),
                (DumpFile::Posts, FileState::Read(3)),
                (DumpFile::Comments, FileState::Read(3)),
                (DumpFile::Votes, FileState::Absent),
            ],
            not_read: vec!["Badges.xml".into()],
            events,
            span_ms: Some((0, 3_600_000)),
            skipped,
        };
        assert_eq!(report.total_events(), 5);
        let text = render(&report, Path::new("dump"), Path::new("out.jsonl"));
        for needle in [
            "community meta",
            "Comments.xml",
            "absent",
            "Badges.xml",
            "not read",
            "events written: 5 in time order, 1970-01-01T00:00:00.000Z .. 1970-01-01T01:00:00.000Z",
            "member_unknown",
            "no Votes.xml",
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
    }
}
