//! Reading a ratings file, whatever its dialect: the evaluation replays public rating data sets, and
//! they come as MovieLens `u.data`, MovieLens CSV or a plain CSV someone exported.
//!
//! The format is told apart by content, not by file name:
//! - a first line of four tab-separated fields is MovieLens `u.data`: user, item, rating, unix seconds;
//!   no header;
//! - a header `userId,movieId,rating,timestamp` is MovieLens CSV (`ratings.csv`), unix seconds;
//! - any other CSV header must name `user`, `item` and `time` columns (any order, case-insensitive,
//!   other columns ignored), and may name `rating`.
//!
//! An empty rating means none (the interaction still counts).
//!
//! Times of the generic CSV may be unix seconds or milliseconds: a value of 10^11 or more is taken as
//! milliseconds, anything smaller as seconds (10^11 seconds is the year 5138, 10^11 ms is March 1973,
//! so no real data set is ambiguous). CSV fields may be double-quoted (`""` inside quotes is a quote);
//! a quoted field cannot span lines. Blank lines are skipped.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::csv_line::csv_fields;

/// Times of this magnitude or more are milliseconds; below, seconds.
const MS_THRESHOLD: i64 = 100_000_000_000;

/// One rating (or plain interaction) of a user on an item.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    /// The user, as written in the file.
    pub user: String,
    /// The item, as written in the file.
    pub item: String,
    /// The rating, when the file has one.
    pub rating: Option<f32>,
    /// When, unix milliseconds.
    pub ts_ms: i64,
}

/// A ratings file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum RatingsError {
    /// The file could not be opened or read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file has no data lines.
    #[error("{path} holds no ratings")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The first line matches none of the known formats.
    #[error(
        "{path}: unknown ratings format: expected MovieLens u.data (user TAB item TAB rating TAB time), \
         MovieLens CSV (userId,movieId,rating,timestamp) or a CSV header with user, item and time columns; \
         first line is {first:?}"
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// Its first line.
        first: String,
    },
    /// A data line does not fit the file's format.
    #[error("{path}:{line}: {message}")]
    Line {
        /// The file.
        path: PathBuf,
        /// Line number, from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Where each value sits in a line, and how the line is split.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Layout {
    /// Tab-separated (`u.data`) rather than CSV.
    tabs: bool,
    user: usize,
    item: usize,
    rating: Option<usize>,
    time: usize,
    /// The format's times are always seconds (MovieLens); otherwise decided by magnitude.
    seconds: bool,
}

/// Reads every rating of the file at `path`.
pub fn read_ratings(path: &Path) -> Result<Vec<Rating>, RatingsError> {
    let io = |source| RatingsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    parse_ratings(std::io::BufReader::new(file), path)
}

/// Reads every rating from `reader`; `path` names the source in errors.
pub fn parse_ratings(reader: impl BufRead, path: &Path) -> Result<Vec<Rating>, RatingsError> {
    let mut layout = None;
    let mut ratings = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let number = index + 1;
        let line = line.map_err(|e| line_error(path, number, e.to_string()))?;
        let line = line.trim_start_matches('\u{feff}').trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let current = match layout {
            Some(known) => known,
            None => {
                let found = detect(line).ok_or_else(|| RatingsError::UnknownFormat {
                    path: path.to_path_buf(),
                    first: line.to_string(),
                })?;
                layout = Some(found);
                if !found.tabs {
                    // A CSV's first line is its header.
                    continue;
                }
                found
            }
        };
        ratings.push(parse_line(line, &current).map_err(|m| line_error(path, number, m))?);
    }
    if ratings.is_empty() {
        return Err(RatingsError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(ratings)
}

fn line_error(path: &Path, line: usize, message: String) -> RatingsError {
    RatingsError::Line {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// The layout announced by the first line, if it is one we know.
fn detect(first: &str) -> Option<Layout> {
    if first.split('\t').count() == 4 {
        return Some(Layout {
            tabs: true,
            user: 0,
            item: 1,
            rating: Some(2),
            time: 3,
            seconds: true,
        });
    }
    let names: Vec<String> = csv_fields(first)
        .ok()?
        .iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    if names == ["userid", "movieid", "rating", "timestamp"] {
        return Some(Layout {
            tabs: false,
            user: 0,
            item: 1,
            rating: Some(2),
            time: 3,
            seconds: true,
        });
    }
    let column = |name: &str| names.iter().position(|n| n == name);
    Some(Layout {
        tabs: false,
        user: column("user")?,
        item: column("item")?,
        rating: column("rating"),
        time: column("time")?,
        seconds: false,
    })
}

/// One data line in `layout`, or what is wrong with it.
fn parse_line(line: &str, layout: &Layout) -> Result<Rating, String> {
    let fields = if layout.tabs {
        line.split('\t').map(str::to_string).collect()
    } else {
        csv_fields(line)?
    };
    let field = |index: usize, name: &str| {
        fields
            .get(index)
            .map(|f| f.trim())
            .ok_or_else(|| format!("no {name} (expected a value in column {})", index + 1))
    };
    let user = field(layout.user, "user")?;
    let item = field(layout.item, "item")?;
    if user.is_empty() || item.is_empty() {
        return Err("empty user or item".to_string());
    }
    let rating = match layout.rating {
        Some(index) => match field(index, "rating")? {
            "" => None,
            text => Some(
                text.parse::<f32>()
                    .ok()
                    .filter(|r| r.is_finite())
                    .ok_or_else(|| format!("rating {text:?} is not a number"))?,
            ),
        },
        None => None,
    };
    let text = field(layout.time, "time")?;
    let time: i64 = text
        .parse()
        .map_err(|_| format!("time {text:?} is not a whole number"))?;
    let ts_ms = if layout.seconds || time.abs() < MS_THRESHOLD {
        time.checked_mul(1000)
            .ok_or_else(|| format!("time {text:?} is out of range"))?
    } else {
        time
    };
    Ok(Rating {
        user: user.to_string(),
        item: item.to_string(),
        rating,
        ts_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Rating>, RatingsError> {
        parse_ratings(text.as_bytes(), Path::new("fixture"))
    }

    fn rating(user: &str, item: &str, rating: Option<f32>, ts_ms: i64) -> Rating {
        Rating {
            user: user.into(),
            item: item.into(),
            rating,
            ts_ms,
        }
    }

    #[test]
    fn movielens_u_data() {
        let got = parse("196\t242\t3\t881250949\n\n186\t302\t4\t891717742\n").unwrap();
        assert_eq!(
            got,
            [
                rating("196", "242", Some(3.0), 881_250_949_000),
                rating("186", "302", Some(4.0), 891_717_742_000),
            ]
        );
    }

    #[test]
    fn movielens_csv() {
        let got = parse("userId,movieId,rating,timestamp\r\n1,31,2.5,1260759144\r\n").unwrap();
        assert_eq!(got, [rating("1", "31", Some(2.5), 1_260_759_144_000)]);
    }

    #[test]
    fn generic_csv_any_order_seconds_or_ms() {
        let text = "\u{feff}time,Item,extra,user\n\
                    1700000000,\"a, b\",x,u1\n\
                    1700000000123,c,y,u2\n";
        let got = parse(text).unwrap();
        assert_eq!(
            got,
            [
                rating("u1", "a, b", None, 1_700_000_000_000),
                rating("u2", "c", None, 1_700_000_000_123),
            ]
        );
    }

    #[test]
    fn generic_csv_optional_rating() {
        let got = parse("user,item,rating,time\nu,i,5,10\nu,j,,20\n").unwrap();
        assert_eq!(
            got,
            [
                rating("u", "i", Some(5.0), 10_000),
                rating("u", "j", None, 20_000)
            ]
        );
    }

    #[test]
    fn bad_line_names_file_and_line() {
        let err = parse("1\t2\t3\t4\n1\t2\tfive\t4\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "fixture:2: rating \"five\" is not a number"
        );
        let err = parse("user,item,time\nu,i\n").unwrap_err();
        assert!(matches!(err, RatingsError::Line { line: 2, .. }), "{err}");
    }

    #[test]
    fn unknown_format_and_empty_file() {
        let err = parse("a,b,c\n1,2,3\n").unwrap_err();
        assert!(matches!(err, RatingsError::UnknownFormat { .. }), "{err}");
        let err = parse("user,item,time\n").unwrap_err();
        assert!(matches!(err, RatingsError::Empty { .. }), "{err}");
    }
}
