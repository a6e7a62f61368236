//! Why an input record did not become an event.
//!
//! Every rejected record lands in the `dead_letters` table with one of these stable reason codes (the
//! `reason` column) and a human-readable `detail`. Codes are a public interface: dashboards and alerts
//! group by them, so add new ones but never rename.

use std::fmt;

/// The stable reason code of a dead letter.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Reason {
    /// Not valid JSON (or not valid UTF-8).
    MalformedJson,
    /// Valid JSON, but not an object.
    NotAnObject,
    /// `v` is present and not a supported version.
    BadVersion,
    /// `kind` names no known event kind.
    UnknownKind,
    /// A required field is absent or null.
    MissingField,
    /// A field has the wrong JSON type.
    WrongType,
    /// A required id or text is the empty string.
    EmptyField,
    /// An id is longer than 128 bytes.
    IdTooLong,
    /// A value is outside its allowed set (an unknown `payment_kind`, a duplicate field, ...).
    InvalidValue,
    /// A money amount or price is negative.
    NegativeAmount,
    /// `currency` is not three upper-case ASCII letters.
    BadCurrency,
    /// `ts` is neither RFC 3339 nor epoch milliseconds.
    BadTimestamp,
    /// `ts` is outside the configured sane range.
    TsOutOfRange,
    /// A text field is longer than the configured limit.
    TextTooLong,
    /// The event arrived after the watermark had passed its time by more than the allowed lateness.
    Late,
}

impl Reason {
    /// Every reason, in code order (for metrics that must report zeros too).
    pub const ALL: [Reason; 15] = [
        Reason::MalformedJson,
        Reason::NotAnObject,
        Reason::BadVersion,
        Reason::UnknownKind,
        Reason::MissingField,
        Reason::WrongType,
        Reason::EmptyField,
        Reason::IdTooLong,
        Reason::InvalidValue,
        Reason::NegativeAmount,
        Reason::BadCurrency,
        Reason::BadTimestamp,
        Reason::TsOutOfRange,
        Reason::TextTooLong,
        Reason::Late,
    ];

    /// The stable snake_case code stored in the `reason` column.
    pub fn code(self) -> &'static str {
        match self {
            Reason::MalformedJson => "malformed_json",
            Reason::NotAnObject => "not_an_object",
            Reason::BadVersion => "bad_version",
            Reason::UnknownKind => "unknown_kind",
            Reason::MissingField => "missing_field",
            Reason::WrongType => "wrong_type",
            Reason::EmptyField => "empty_field",
            Reason::IdTooLong => "id_too_long",
            Reason::InvalidValue => "invalid_value",
            Reason::NegativeAmount => "negative_amount",
            Reason::BadCurrency => "bad_currency",
            Reason::BadTimestamp => "bad_timestamp",
            Reason::TsOutOfRange => "ts_out_of_range",
            Reason::TextTooLong => "text_too_long",
            Reason::Late => "late",
        }
    }

    /// The reason with this code, if any.
    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A record that failed to decode or validate: the reason code and what exactly was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}: {detail}")]
pub struct Rejection {
    /// The stable reason code.
    pub reason: Reason,
    /// Which field and why, for the person reading the dead letter.
    pub detail: String,
}

impl Rejection {
    /// A rejection with the given reason and detail.
    pub fn new(reason: Reason, detail: impl Into<String>) -> Self {
        Rejection {
            reason,
            detail: detail.into(),
        }
    }

    /// A required field is absent or null.
    pub fn missing(field: &str) -> Self {
        Rejection::new(Reason::MissingField, format!("`{field}` is required"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut codes: Vec<_> = Reason::ALL.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Reason::ALL.len());
        for r in Reason::ALL {
            assert_eq!(Reason::from_code(r.code()), Some(r));
        }
    }
}
