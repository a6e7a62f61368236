//! `cohort import stackexchange DIR --out FILE`: one site of a Stack Exchange data dump
//! (<https://archive.org/details/stackexchange>, CC BY-SA) as cohort events.
//!
//! A Q&A site is a knowledge community with everything cohort models except money: members join,
//! publish posts, engage with each other's posts and talk about them. The whole site is one
//! community (its id from the dump directory's name, or `--community`):
//!
//! | file | row | events |
//! |---|---|---|
//! | `Users.xml` | user | `member` join ([`users`]) |
//! | `Posts.xml` | question, answer | `item`; an answer also a `view` of its question by its author ([`posts`]) |
//! | `Comments.xml` | comment | `chat` in channel `comments`, naming its post ([`comments`]) |
//! | `Votes.xml` (optional) | vote | `like` where the member is known; `item` deleted / restored ([`votes`]) |
//!
//! Other files (Badges, PostHistory, PostLinks, Tags) are listed as not read. Every row that cannot
//! be converted is counted per file and reason ([`skip`]) and never stops the import; the XML is
//! streamed ([`xml_rows`]), a `<!DOCTYPE …>` line is tolerated.
//!
//! **Time order.** Event-time processing needs the file in time order, and dump files are in id
//! order, which is not quite time order across files (nor within Votes.xml, whose dates are days).
//! So the converted events are held and sorted by time (stable: at one instant users come before
//! posts, posts before comments, comments before votes, and a row's events stay in their order).
//! Memory is therefore about the size of the output plus the post index: fine for all but the
//! largest sites (Stack Overflow itself would need an external sort).

pub mod comments;
pub mod fields;
pub mod ids;
pub mod posts;
pub mod report;
pub mod skip;
pub mod users;
pub mod votes;
pub mod xml_rows;

use std::path::{Path, PathBuf};

use cohort_schemas::Event;
use cohort_schemas::event::encode::to_json_line;

use crate::jsonl_out::{JsonlOut, JsonlOutError};
use ids::Ids;
use posts::PostIndex;
use report::{FileState, ImportReport};
use skip::{DumpFile, Skip, Tally};
use xml_rows::Row;

/// What to import and where to.
#[derive(Debug, Clone)]
pub struct Options {
    /// The dump directory of one site (holding Posts.xml, ...).
    pub dir: PathBuf,
    /// The JSON Lines file to write (gzip when it ends in `.gz`, `-` for standard output).
    pub out: PathBuf,
    /// The community id; by default derived from the directory's name.
    pub community: Option<String>,
}

/// Why an import could not run at all (a row that cannot be converted is no error: it is counted).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The directory is not a dump.
    #[error(
        "{0} has no Posts.xml: pass the directory of one site of an unpacked Stack Exchange dump"
    )]
    NoPosts(PathBuf),
    /// No usable community id.
    #[error("no community id can be derived from {0}'s name; pass --community ID (1 to 64 bytes)")]
    Community(PathBuf),
    /// A dump file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The output could not be written.
    #[error(transparent)]
    Write(#[from] JsonlOutError),
}

/// Converts the dump in `options.dir` and writes its events to `options.out`.
pub fn import(options: &Options) -> Result<ImportReport, ImportError> {
    let (events, report) = convert(&options.dir, options.community.as_deref())?;
    let mut out = JsonlOut::create(&options.out)?;
    for event in &events {
        out.line(&to_json_line(event))?;
    }
    out.finish()?;
    Ok(report)
}

/// The events of the dump in `dir`, in time order, and the report of the conversion.
pub fn convert(
    dir: &Path,
    community: Option<&str>,
) -> Result<(Vec<Event>, ImportReport), ImportError> {
    if !dir.join(DumpFile::Posts.file_name()).is_file() {
        return Err(ImportError::NoPosts(dir.to_path_buf()));
    }
    let dir_name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
    let community = ids::community_id(community, dir_name.as_deref())
        .ok_or_else(|| ImportError::Community(dir.to_path_buf()))?;
    let ids = Ids::new(&community);
    let mut out = Collected::default();
    let mut files = Vec::new();

    files.push((
        DumpFile::Users,
        read_file(dir, DumpFile::Users, &mut out, |row| {
            users::user_join(&ids, row).map(|e| vec![e])
        })?,
    ));
    let mut index = PostIndex::default();
    files.push((
        DumpFile::Posts,
        read_file(dir, DumpFile::Posts, &mut out, |row| {
            index.insert(posts::parse_post(row)?).map(|()| Vec::new())
        })?,
    ));
    for post in index.rows() {
        match posts::post_events(&ids, &index, post.id) {
            Ok(mapped) => {
                if let Some(skip) = mapped.partly {
                    out.skipped.add(DumpFile::Posts, skip);
                }
                out.push(mapped.events);
            }
            Err(skip) => out.skipped.add(DumpFile::Posts, skip),
        }
    }
    // Comments and votes refer to posts by id: they are read once the index is complete.
    files.push((
        DumpFile::Comments,
        read_file(dir, DumpFile::Comments, &mut out, |row| {
            comments::comment_chat(&ids, &index, row).map(|e| vec![e])
        })?,
    ));
    files.push((
        DumpFile::Votes,
        read_file(dir, DumpFile::Votes, &mut out, |row| {
            votes::vote_event(&ids, &index, row).map(|e| vec![e])
        })?,
    ));
    let (events, skipped) = out.into_sorted();
    let mut per_kind = [0; cohort_schemas::Kind::ALL.len()];
    for e in &events {
        per_kind[e.kind().index()] += 1;
    }
    let report = ImportReport {
        community_id: community,
        files,
        not_read: other_xml_files(dir),
        events: per_kind,
        span_ms: events
            .first()
            .zip(events.last())
            .map(|(a, b)| (a.ts_ms, b.ts_ms)),
        skipped,
    };
    Ok((events, report))
}

/// Events as converted, with their conversion order for a stable sort, and the skips.
#[derive(Default)]
struct Collected {
    events: Vec<(i64, u64, Event)>,
    skipped: Tally,
}

impl Collected {
    fn push(&mut self, events: Vec<Event>) {
        for e in events {
            let seq = self.events.len() as u64;
            self.events.push((e.ts_ms, seq, e));
        }
    }

    /// The events in time order (conversion order within one instant), and the skips.
    fn into_sorted(mut self) -> (Vec<Event>, Tally) {
        self.events.sort_unstable_by_key(|(ts, seq, _)| (*ts, *seq));
        let events = self.events.into_iter().map(|(_, _, e)| e).collect();
        (events, self.skipped)
    }
}

/// Reads `file` of the dump, handing each readable row to `map`, whose events are collected into
/// `out` and whose skips are counted there; a row that cannot be read counts as
/// [`Skip::MalformedRow`], a file that breaks off as one [`Skip::XmlSyntax`].
fn read_file(
    dir: &Path,
    file: DumpFile,
    out: &mut Collected,
    mut map: impl FnMut(&Row) -> Result<Vec<Event>, Skip>,
) -> Result<FileState, ImportError> {
    let path = dir.join(file.file_name());
    let handle = match std::fs::File::open(&path) {
        Ok(h) => h,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::Absent),
        Err(source) => return Err(ImportError::Read { path, source }),
    };
    let mut rows = 0;
    let input = std::io::BufReader::with_capacity(1 << 20, handle);
    let result = xml_rows::read_rows(input, |row| {
        rows += 1;
        match row.map_err(|_| Skip::MalformedRow).and_then(|r| map(&r)) {
            Ok(events) => out.push(events),
            Err(skip) => out.skipped.add(file, skip),
        }
    });
    Ok(match result {
        Ok(n) => FileState::Read(n),
        Err(broken) => {
            out.skipped.add(file, Skip::XmlSyntax);
            FileState::Broken(rows, broken)
        }
    })
}

/// The `.xml` files of `dir` the import does not read, sorted.
fn other_xml_files(dir: &Path) -> Vec<String> {
    let known: Vec<&str> = DumpFile::ALL.iter().map(|f| f.file_name()).collect();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".xml") && !known.contains(&n.as_str()))
        .collect();
    names.sort();
    names
}
