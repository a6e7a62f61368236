//! Member scores and top-K lists: Σ over the member's scoring history of strength × similarity,
//! excluding what the member already bought (or touched, with `exclude_viewed`); members with a short
//! history get the community's trending items after whatever their few items suggest. The `reason`
//! of a row is the history item that contributed most to it.
//!
//! The differential collections that a list reads (history, exclusions, neighbour lists, trending
//! lists) feed one stateful operator ([`super::stateful`]) that recomputes a member's list whenever one of those
//! inputs changes ([`state`]), with the batch definition of a list ([`list`]).

mod list;
mod state;
mod update;

use cohort_schemas::serving::ServingRow;

use super::interactions::Pairs;
use super::similarity::Neighbours;
use super::stateful::{Route, owner_of, stateful};
use super::trending::Trending;
use super::{Coll, Scoped};
use crate::recs::config::RecsConfig;
use state::{ListSettings, Lists};
use update::Update;

/// The `reason` of rows that come from the trending list.
pub const TRENDING_REASON: &str = "trending";

/// The rows of `recommendations`.
pub(crate) fn recommendations<'s>(
    pairs: &Pairs<'s>,
    history: Coll<'s, (Scoped, (String, i64))>,
    neighbours: &Neighbours<'s>,
    trending: Trending<'s>,
    config: &RecsConfig,
) -> Coll<'s, ServingRow> {
    let exclude_viewed = config.exclude_viewed;
    let excluded = pairs
        .clone()
        .filter(move |(_, i)| i.bought || exclude_viewed)
        .map(|((community, user, item), _)| Update::Excluded {
            community,
            user,
            item,
        });
    let history = history.map(|((community, user), (item, strength))| Update::History {
        community,
        user,
        item,
        strength,
    });
    let neighbours = neighbours
        .clone()
        .map(
            |((community, item), (_rank, other, similarity))| Update::Neighbour {
                community,
                item,
                other,
                similarity,
            },
        );
    let trending = trending.map(|(community, (rank, item, score))| Update::Trending {
        community,
        rank,
        item,
        score,
    });
    let settings = ListSettings {
        k: config.top_k,
        min_history: config.min_history,
    };
    let mut lists = Lists::new(settings);
    stateful(
        excluded.concat(history).concat(neighbours).concat(trending),
        "MemberLists",
        |update: &Update| match update.member() {
            Some(member) => owner_of(&member),
            None => Route::Everyone,
        },
        move |updates| lists.apply(updates),
    )
}
