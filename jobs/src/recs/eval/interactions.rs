//! How a rating enters cohort: as the events a community member would have caused.
//!
//! Rating data sets are explicit feedback; cohort learns from implicit signals. Following the
//! protocol of `../shared/data/README.md` (so figures compare with published implicit-feedback
//! ones), every rating is an interaction (a view) whatever its value, and a rating of 4 or more is
//! also a like. All ratings belong to one community, [`COMMUNITY`].

use super::ratings::Rating;
use crate::recs::facts::{Fact, Signal};

/// The community every evaluated rating belongs to.
pub const COMMUNITY: &str = "eval";

/// Ratings at or above this are likes too.
pub const LIKE_FROM: f32 = 4.0;

/// The facts one rating contributes: a view, and a like when the rating is [`LIKE_FROM`] or more.
pub fn facts_of_rating(rating: &Rating) -> Vec<Fact> {
    let signal = |signal| Fact::Signal {
        community_id: COMMUNITY.to_string(),
        user_id: rating.user.clone(),
        item_id: rating.item.clone(),
        signal,
        ts_ms: rating.ts_ms,
    };
    let mut facts = vec![signal(Signal::View)];
    if rating.rating.is_some_and(|r| r >= LIKE_FROM) {
        facts.push(signal(Signal::Like));
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals(rating: Option<f32>) -> Vec<Signal> {
        let rating = Rating {
            user: "u".into(),
            item: "i".into(),
            rating,
            ts_ms: 5,
        };
        facts_of_rating(&rating)
            .into_iter()
            .filter_map(|f| match f {
                Fact::Signal { signal, .. } => Some(signal),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_rating_is_a_view_and_four_or_more_a_like() {
        assert_eq!(signals(None), [Signal::View]);
        assert_eq!(signals(Some(3.5)), [Signal::View]);
        assert_eq!(signals(Some(4.0)), [Signal::View, Signal::Like]);
    }
}
