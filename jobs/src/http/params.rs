//! Query and path parameters: parsed strictly, each failure a 400 that names the parameter. An
//! unknown or repeated parameter is refused too (`?K=5` or `?k=5&k=50` silently answering with the
//! default would hide the caller's bug).

use cohort_schemas::time::{format_rfc3339_ms, parse_rfc3339_ms};

use super::error::ApiError;
use super::tokens::MAX_ID_LEN;

/// Default and largest `k` (list length).
pub const DEFAULT_K: usize = 10;
/// Largest `k`, and largest `limit`.
pub const MAX_K: usize = 1000;
/// Default `limit` of the alerts route.
pub const DEFAULT_LIMIT: usize = 100;

/// The query parameters of one request.
#[derive(Debug)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// The parameters of the query string `query` (form-urlencoded), refusing any not in
    /// `allowed` and any given twice.
    pub fn new(query: Option<&str>, allowed: &[&'static str]) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        for (i, (name, _)) in pairs.iter().enumerate() {
            let Some(&known) = allowed.iter().find(|a| **a == name.as_str()) else {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter {name:?}; this route takes {}",
                    if allowed.is_empty() {
                        "none".to_string()
                    } else {
                        allowed.join(", ")
                    }
                )));
            };
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(ApiError::bad_parameter(
                    known,
                    format!("{known} is given more than once"),
                ));
            }
        }
        Ok(Params { pairs })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// An integer from 1 to [`MAX_K`], `default` when absent.
    fn count(&self, name: &'static str, default: usize) -> Result<usize, ApiError> {
        let Some(text) = self.get(name) else {
            return Ok(default);
        };
        match text.parse::<usize>() {
            Ok(n) if (1..=MAX_K).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_parameter(
                name,
                format!("{name} must be an integer from 1 to {MAX_K}, not {text:?}"),
            )),
        }
    }

    /// `k`: how many list entries to answer with (default [`DEFAULT_K`]).
    pub fn k(&self) -> Result<usize, ApiError> {
        self.count("k", DEFAULT_K)
    }

    /// `limit`: how many alerts at most (default [`DEFAULT_LIMIT`]).
    pub fn limit(&self) -> Result<usize, ApiError> {
        self.count("limit", DEFAULT_LIMIT)
    }

    /// `status`: `open` or `closed`, if given.
    pub fn status(&self) -> Result<Option<&'static str>, ApiError> {
        match self.get("status") {
            None => Ok(None),
            Some("open") => Ok(Some("open")),
            Some("closed") => Ok(Some("closed")),
            Some(other) => Err(ApiError::bad_parameter(
                "status",
                format!("status must be open or closed, not {other:?}"),
            )),
        }
    }

    /// `since`: an RFC 3339 time, normalised to the tables' format (UTC, milliseconds).
    pub fn since(&self) -> Result<Option<String>, ApiError> {
        let Some(text) = self.get("since") else {
            return Ok(None);
        };
        parse_rfc3339_ms(text)
            .map(|ms| Some(format_rfc3339_ms(ms)))
            .ok_or_else(|| {
                ApiError::bad_parameter(
                    "since",
                    format!(
                        "since must be an RFC 3339 time such as 2026-11-01T08:00:00Z (a `+` offset \
                         must be sent as %2B), not {text:?}"
                    ),
                )
            })
    }

    /// A free-text filter such as `metric` or `channel`: any text up to [`MAX_ID_LEN`] bytes
    /// (empty is a value: `channel=` selects the community-wide series).
    pub fn text(&self, name: &'static str) -> Result<Option<&str>, ApiError> {
        match self.get(name) {
            Some(v) if v.len() > MAX_ID_LEN => Err(ApiError::bad_parameter(
                name,
                format!("{name} is longer than {MAX_ID_LEN} bytes"),
            )),
            other => Ok(other),
        }
    }
}

/// Checks a path parameter (a community, member or item id): not empty, at most [`MAX_ID_LEN`]
/// bytes.
pub fn path_id(name: &'static str, value: &str) -> Result<(), ApiError> {
    if value.is_empty() || value.len() > MAX_ID_LEN {
        return Err(ApiError::bad_parameter(
            name,
            format!("{name} must have 1 to {MAX_ID_LEN} bytes"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str, allowed: &[&'static str]) -> Result<Params, ApiError> {
        Params::new(Some(query), allowed)
    }

    #[test]
    fn k_is_an_integer_in_range_and_defaults_to_ten() {
        assert_eq!(params("", &["k"]).unwrap().k().unwrap(), DEFAULT_K);
        assert_eq!(params("k=1000", &["k"]).unwrap().k().unwrap(), 1000);
        for bad in ["k=abc", "k=0", "k=1001", "k=-1", "k=", "k=1.5"] {
            let err = params(bad, &["k"]).unwrap().k().unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
        }
    }

    #[test]
    fn unknown_and_repeated_parameters_are_refused() {
        assert!(params("K=5", &["k"]).is_err());
        assert!(params("k=5&k=6", &["k"]).is_err());
        assert!(params("x=1", &[]).is_err());
    }

    #[test]
    fn status_and_since_are_checked_and_since_is_normalised() {
        let p = params(
            "status=open&since=2026-11-01T08:00:00%2B08:00",
            &["status", "since"],
        )
        .unwrap();
        assert_eq!(p.status().unwrap(), Some("open"));
        assert_eq!(
            p.since().unwrap().as_deref(),
            Some("2026-11-01T00:00:00.000Z")
        );
        let p = params("status=opened&since=yesterday", &["status", "since"]).unwrap();
        assert!(p.status().is_err() && p.since().is_err());
    }
}
