//! Typed access to a row's attributes: ids, dates, texts and tag lists, each answering with a
//! [`Skip`] that names the attribute when it is missing or malformed.

use cohort_schemas::time::parse_rfc3339_ms;

use super::skip::Skip;
use super::xml_rows::Row;

/// A required text attribute.
pub fn text<'r>(row: &'r Row, name: &'static str) -> Result<&'r str, Skip> {
    row.get(name).ok_or(Skip::MissingField(name))
}

/// A required numeric id (user ids can be negative: `-1` is the site's "Community" bot).
pub fn id(row: &Row, name: &'static str) -> Result<i64, Skip> {
    opt_id(row, name)?.ok_or(Skip::MissingField(name))
}

/// An optional numeric id: `None` when absent, a [`Skip::BadValue`] when present but not a number.
pub fn opt_id(row: &Row, name: &'static str) -> Result<Option<i64>, Skip> {
    row.get(name)
        .map(|v| v.trim().parse().map_err(|_| Skip::BadValue(name)))
        .transpose()
}

/// A required date, as epoch milliseconds.
pub fn time(row: &Row, name: &'static str) -> Result<i64, Skip> {
    dump_time(text(row, name)?).ok_or(Skip::BadValue(name))
}

/// A dump date (`2011-10-11T19:42:20.713`, UTC without a zone designator) as epoch milliseconds.
/// A date that carries its zone is accepted too.
pub fn dump_time(s: &str) -> Option<i64> {
    let s = s.trim();
    parse_rfc3339_ms(s).or_else(|| parse_rfc3339_ms(&format!("{s}Z")))
}

/// The tags of a question: `<history><sources>` in older dumps, `|history|sources|` in newer ones.
pub fn tags(s: &str) -> Vec<String> {
    s.split(['<', '>', '|'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_dates_are_utc_with_or_without_a_zone() {
        assert_eq!(
            dump_time("2011-10-11T19:42:20.713"),
            Some(1_318_362_140_713)
        );
        assert_eq!(dump_time("2011-10-11T19:42:20"), Some(1_318_362_140_000));
        assert_eq!(dump_time("2011-10-11T19:42:20Z"), Some(1_318_362_140_000));
        assert_eq!(dump_time("2011-10-11"), None);
        assert_eq!(dump_time("yesterday"), None);
    }

    #[test]
    fn both_tag_spellings_give_the_same_list() {
        assert_eq!(tags("<discussion><answers>"), ["discussion", "answers"]);
        assert_eq!(tags("|discussion|answers|"), ["discussion", "answers"]);
        assert!(tags("").is_empty());
    }

    #[test]
    fn ids_name_the_attribute_when_missing_or_malformed() {
        let row = Row::new([("Id", "12"), ("UserId", "x"), ("Neg", "-1")]);
        assert_eq!(id(&row, "Id"), Ok(12));
        assert_eq!(id(&row, "Neg"), Ok(-1));
        assert_eq!(id(&row, "PostId"), Err(Skip::MissingField("PostId")));
        assert_eq!(opt_id(&row, "PostId"), Ok(None));
        assert_eq!(opt_id(&row, "UserId"), Err(Skip::BadValue("UserId")));
        assert_eq!(
            time(&row, "CreationDate"),
            Err(Skip::MissingField("CreationDate"))
        );
    }
}
