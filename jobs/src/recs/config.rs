//! `[recs]`: the recommendation job's settings.

use serde::{Deserialize, Serialize};

/// `[recs]` of the configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecsConfig {
    /// Whether `cohort run` maintains recommendations at all.
    pub enabled: bool,
    /// Interaction weights per signal.
    pub weights: Weights,
    /// Per member, only the most recent `history` distinct items feed co-occurrence: a member's
    /// pairs grow with the square of this, so it bounds the similarity cost.
    pub history: usize,
    /// Per member, the most recent `score_history` distinct items are scored against their
    /// neighbours. Scoring costs only linearly in this, and a longer profile finds more of what a
    /// member likes (docs/recommendations.md has the figures).
    pub score_history: usize,
    /// Neighbours kept per item (`similar_items`, and the candidates of recommendations).
    pub neighbours: usize,
    /// Recommendations kept per member.
    pub top_k: usize,
    /// Content neighbours (by title and tags) kept per item that nobody has interacted with yet.
    pub content_neighbours: usize,
    /// How co-occurrence is normalised.
    pub similarity: Similarity,
    /// Added to the cosine and Jaccard denominators: pairs seen together by few members count less.
    pub shrink: f64,
    /// RP3β's β: a neighbour's similarity is divided by (its popularity)^β, so the blockbusters every
    /// member touched do not crowd out the items that are specifically related.
    pub popularity_penalty: f64,
    /// Cosine and Jaccard: a member's contribution to co-occurrence is divided by (history
    /// length)^damping, so members who touch everything say less about any one pair. (RP3β always
    /// divides by the history length: it is a random walk.)
    pub member_damping: f64,
    /// Also exclude items the member interacted with in any way (not only bought).
    pub exclude_viewed: bool,
    /// Members with fewer history items than this get the community's trending items.
    pub min_history: usize,
    /// When set, a signal stops counting `retention_days` after its event time (once the stream's
    /// event time passes that point): tastes from long ago fade out, and the state stays bounded.
    pub retention_days: Option<u64>,
    /// Half-life of an interaction's weight in the trending score, hours.
    pub trending_half_life_hours: u64,
    /// Wall time over which `cohort run` gathers facts into one dataflow step, ms. Each step costs a
    /// wave of recomputation; larger steps mean fewer waves but later results.
    pub step_ms: u64,
}

/// Weight of each interaction signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    /// A view.
    pub view: i64,
    /// A like (until taken back).
    pub like: i64,
    /// A purchase or subscription of the item (until refunded).
    pub purchase: i64,
    /// A mention of the item in chat.
    pub mention: i64,
}

/// Normalisation of item-item co-occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Similarity {
    /// RP3β (Paudel et al. 2017): the probability of a two-step walk item i → member → item j over
    /// the members' histories, divided by popularity(j)^β. The default: the best on ml-100k.
    Rp3beta,
    /// co(i,j) / (sqrt(n_i n_j) + shrink).
    Cosine,
    /// co(i,j) / (n_i + n_j - co(i,j) + shrink).
    Jaccard,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            view: 1,
            like: 3,
            purchase: 5,
            mention: 2,
        }
    }
}

impl Default for RecsConfig {
    fn default() -> Self {
        RecsConfig {
            enabled: false,
            weights: Weights::default(),
            history: 100,
            score_history: 1000,
            neighbours: 200,
            top_k: 20,
            content_neighbours: 20,
            similarity: Similarity::Rp3beta,
            shrink: 5.0,
            popularity_penalty: 0.5,
            member_damping: 0.5,
            exclude_viewed: true,
            min_history: 3,
            retention_days: None,
            trending_half_life_hours: 72,
            step_ms: 1000,
        }
    }
}

impl RecsConfig {
    /// The first setting that cannot work, as (key, message).
    pub fn invalid(&self) -> Option<(&'static str, &'static str)> {
        let w = &self.weights;
        if [w.view, w.like, w.purchase, w.mention]
            .iter()
            .any(|&x| x < 0)
        {
            return Some(("recs.weights", "weights must not be negative"));
        }
        if self.history == 0 {
            return Some(("recs.history", "must be at least 1"));
        }
        if self.score_history == 0 {
            return Some(("recs.score_history", "must be at least 1"));
        }
        if self.neighbours == 0 {
            return Some(("recs.neighbours", "must be at least 1"));
        }
        if self.top_k == 0 {
            return Some(("recs.top_k", "must be at least 1"));
        }
        if self.content_neighbours == 0 {
            return Some(("recs.content_neighbours", "must be at least 1"));
        }
        if !(self.shrink >= 0.0 && self.shrink.is_finite()) {
            return Some(("recs.shrink", "must be a finite number >= 0"));
        }
        if !(0.0..=2.0).contains(&self.popularity_penalty) {
            return Some(("recs.popularity_penalty", "must be between 0 and 2"));
        }
        if !(0.0..=2.0).contains(&self.member_damping) {
            return Some(("recs.member_damping", "must be between 0 and 2"));
        }
        if self.retention_days == Some(0) {
            return Some((
                "recs.retention_days",
                "must be at least 1 (leave it out to keep everything)",
            ));
        }
        if self.trending_half_life_hours == 0 {
            return Some(("recs.trending_half_life_hours", "must be at least 1"));
        }
        None
    }
}
