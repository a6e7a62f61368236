//! What a series measures and which series an event belongs to.

use std::fmt;
use std::str::FromStr;

use cohort_schemas::event::Kind;

/// One hourly measure of a community's activity. Each maps to event payloads in `cohort_schemas`;
/// see `docs/forecast.md` for the exact mapping and the choices (net likes, net revenue).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Metric {
    /// Distinct members who viewed, liked, paid, chatted or checked in during the hour (exact).
    ActiveMembers,
    /// Chat messages.
    Messages,
    /// Item views.
    Views,
    /// Likes minus unlikes (`undo`), so a retracted like does not count as activity twice.
    Likes,
    /// Purchases, subscriptions and renewals (refunds are not purchases; they reduce revenue).
    Purchases,
    /// Net revenue in minor units of one currency: payments minus refunds.
    Revenue(String),
    /// Members who joined.
    Joins,
    /// Members who left.
    Leaves,
    /// Check-ins at offline meetups.
    Checkins,
}

/// A metric name that is not one of [`Metric`]'s, for the command line and config.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown metric `{0}`; expected one of active_members, messages, views, likes, purchases, \
     revenue:<CURRENCY>, joins, leaves, checkins"
)]
pub struct UnknownMetric(pub String);

impl Metric {
    /// Whether the series is a distinct count of members (exact sets) rather than a sum.
    pub fn is_distinct(&self) -> bool {
        matches!(self, Metric::ActiveMembers)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Metric::ActiveMembers => "active_members",
            Metric::Messages => "messages",
            Metric::Views => "views",
            Metric::Likes => "likes",
            Metric::Purchases => "purchases",
            Metric::Revenue(currency) => return write!(f, "revenue:{currency}"),
            Metric::Joins => "joins",
            Metric::Leaves => "leaves",
            Metric::Checkins => "checkins",
        };
        f.write_str(name)
    }
}

impl FromStr for Metric {
    type Err = UnknownMetric;

    /// Parses the names [`Display`](fmt::Display) writes, so names round-trip through tables and CLIs.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "active_members" => Metric::ActiveMembers,
            "messages" => Metric::Messages,
            "views" => Metric::Views,
            "likes" => Metric::Likes,
            "purchases" => Metric::Purchases,
            "joins" => Metric::Joins,
            "leaves" => Metric::Leaves,
            "checkins" => Metric::Checkins,
            other => match other.strip_prefix("revenue:") {
                Some(cur) if !cur.is_empty() => Metric::Revenue(cur.to_string()),
                _ => return Err(UnknownMetric(s.to_string())),
            },
        })
    }
}

/// Identifies one series: a community, a channel (empty for community-wide series) and a metric.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct SeriesKey {
    /// The community.
    pub community_id: String,
    /// The chat channel, or empty for the whole community (channels only exist for chat).
    pub channel_id: String,
    /// What is measured.
    pub metric: Metric,
}

impl SeriesKey {
    /// A series key; a shorthand so callers need not spell out the struct.
    pub fn new(community_id: &str, channel_id: &str, metric: Metric) -> Self {
        SeriesKey {
            community_id: community_id.to_string(),
            channel_id: channel_id.to_string(),
            metric,
        }
    }
}

impl Metric {
    /// The event kinds whose payloads feed this metric, so a reader of the lake scans only those
    /// tables (see [`contributions`](super::contributions) for the mapping itself).
    pub fn source_kinds(&self) -> &'static [Kind] {
        match self {
            Metric::ActiveMembers => &[
                Kind::View,
                Kind::Like,
                Kind::Payment,
                Kind::Chat,
                Kind::Checkin,
            ],
            Metric::Messages => &[Kind::Chat],
            Metric::Views => &[Kind::View],
            Metric::Likes => &[Kind::Like],
            Metric::Purchases | Metric::Revenue(_) => &[Kind::Payment],
            Metric::Joins | Metric::Leaves => &[Kind::Member],
            Metric::Checkins => &[Kind::Checkin],
        }
    }
}
