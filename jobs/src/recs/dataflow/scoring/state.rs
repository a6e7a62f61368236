//! What one worker's scoring operator holds: its members' histories, exclusions and current lists,
//! and every neighbour list and trending list of their communities; and which lists a step's
//! changes can move.
//!
//! A member's list reads their own history and exclusions, the neighbour lists of their history's
//! items and, while their history is short, the trending list. So a step recomputes exactly the
//! members whose own inputs changed, the holders of items whose neighbour set changed, and the short
//! members of communities whose trending list changed; every other list stays as it is.

use std::collections::{HashMap, HashSet};

use cohort_schemas::serving::ServingRow;
use differential_dataflow::consolidation::consolidate;

use super::TRENDING_REASON;
use super::list::{Listed, MemberInputs, member_list};
use super::update::Update;

/// List settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListSettings {
    /// List length.
    pub k: usize,
    /// Members with fewer scored history items are filled from the trending list.
    pub min_history: usize,
}

/// One member on this worker.
#[derive(Default)]
struct Member {
    /// Scored history: item → strength.
    history: HashMap<String, i64>,
    /// Items the member may not be recommended.
    excluded: HashSet<String>,
    /// The list as last emitted.
    list: Vec<Listed>,
}

/// One community as this worker sees it.
#[derive(Default)]
struct Community {
    /// Every item's neighbours: (neighbour, similarity in millionths).
    neighbours: HashMap<String, Vec<(String, i64)>>,
    /// Item → this worker's members whose scored history holds it.
    holders: HashMap<String, HashSet<String>>,
    /// The trending list, sorted by (rank, item, score).
    trending: Vec<(u32, String, i64)>,
    /// This worker's members whose history is short enough for the trending fill.
    short: HashSet<String>,
    members: HashMap<String, Member>,
}

/// What a step changed in one community.
#[derive(Default)]
struct Touched {
    members: HashSet<String>,
    items: HashSet<String>,
    trending: bool,
}

/// One worker's lists and their inputs.
pub(super) struct Lists {
    settings: ListSettings,
    communities: HashMap<String, Community>,
}

impl Lists {
    /// Nothing held yet.
    pub(super) fn new(settings: ListSettings) -> Self {
        Lists {
            settings,
            communities: HashMap::new(),
        }
    }

    /// Applies one time's changes and returns the row changes of every list they moved.
    pub(super) fn apply(&mut self, mut updates: Vec<(Update, isize)>) -> Vec<(ServingRow, isize)> {
        consolidate(&mut updates);
        // Removals first: a history item or neighbour that changed value leaves before it returns.
        updates.sort_by_key(|(_, diff)| *diff > 0);
        let mut touched: HashMap<String, Touched> = HashMap::new();
        for (update, diff) in updates {
            self.apply_one(update, diff, &mut touched);
        }
        let mut changes = Vec::new();
        for (name, touched) in touched {
            if let Some(community) = self.communities.get_mut(&name) {
                community.relist(&name, touched, self.settings, &mut changes);
                if community.members.is_empty()
                    && community.neighbours.is_empty()
                    && community.trending.is_empty()
                {
                    self.communities.remove(&name);
                }
            }
        }
        changes
    }

    fn apply_one(&mut self, update: Update, diff: isize, touched: &mut HashMap<String, Touched>) {
        let added = diff > 0;
        match update {
            Update::History {
                community,
                user,
                item,
                strength,
            } => {
                let c = self.communities.entry(community.clone()).or_default();
                let member = c.members.entry(user.clone()).or_default();
                if added {
                    member.history.insert(item.clone(), strength);
                    c.holders.entry(item).or_default().insert(user.clone());
                } else if member.history.get(&item) == Some(&strength) {
                    member.history.remove(&item);
                    if let Some(holders) = c.holders.get_mut(&item) {
                        holders.remove(&user);
                        if holders.is_empty() {
                            c.holders.remove(&item);
                        }
                    }
                }
                touched.entry(community).or_default().members.insert(user);
            }
            Update::Excluded {
                community,
                user,
                item,
            } => {
                let c = self.communities.entry(community.clone()).or_default();
                let member = c.members.entry(user.clone()).or_default();
                if added {
                    member.excluded.insert(item);
                } else {
                    member.excluded.remove(&item);
                }
                touched.entry(community).or_default().members.insert(user);
            }
            Update::Neighbour {
                community,
                item,
                other,
                similarity,
            } => {
                let c = self.communities.entry(community.clone()).or_default();
                let list = c.neighbours.entry(item.clone()).or_default();
                if added {
                    list.push((other, similarity));
                } else if let Some(at) = list
                    .iter()
                    .position(|(o, s)| *o == other && *s == similarity)
                {
                    list.swap_remove(at);
                    if list.is_empty() {
                        c.neighbours.remove(&item);
                    }
                }
                touched.entry(community).or_default().items.insert(item);
            }
            Update::Trending {
                community,
                rank,
                item,
                score,
            } => {
                let c = self.communities.entry(community.clone()).or_default();
                let row = (rank, item, score);
                match (added, c.trending.binary_search(&row)) {
                    (true, Err(at)) => c.trending.insert(at, row),
                    (false, Ok(at)) => {
                        c.trending.remove(at);
                    }
                    _ => {}
                }
                touched.entry(community).or_default().trending = true;
            }
        }
    }
}

impl Community {
    /// Recomputes every list `touched` can have moved and appends their row changes.
    fn relist(
        &mut self,
        name: &str,
        touched: Touched,
        settings: ListSettings,
        changes: &mut Vec<(ServingRow, isize)>,
    ) {
        for user in &touched.members {
            let length = self.members.get(user).map_or(0, |m| m.history.len());
            if length > 0 && length < settings.min_history {
                self.short.insert(user.clone());
            } else {
                self.short.remove(user);
            }
        }
        let mut affected = touched.members;
        for item in &touched.items {
            if let Some(holders) = self.holders.get(item) {
                affected.extend(holders.iter().cloned());
            }
        }
        if touched.trending {
            affected.extend(self.short.iter().cloned());
        }
        for user in affected {
            let Some(member) = self.members.get(&user) else {
                continue;
            };
            let list = member_list(MemberInputs {
                history: &member.history,
                neighbours_of: |item: &str| self.neighbours.get(item).map(Vec::as_slice),
                excluded: |item: &str| member.excluded.contains(item),
                trending: self
                    .short
                    .contains(&user)
                    .then_some(self.trending.as_slice()),
                k: settings.k,
            });
            let Some(member) = self.members.get_mut(&user) else {
                continue;
            };
            let row = |l: &Listed| row(name, &user, l);
            changes.extend(
                member
                    .list
                    .iter()
                    .filter(|l| !list.contains(l))
                    .map(|l| (row(l), -1)),
            );
            changes.extend(
                list.iter()
                    .filter(|l| !member.list.contains(l))
                    .map(|l| (row(l), 1)),
            );
            if member.history.is_empty() && member.excluded.is_empty() && list.is_empty() {
                self.members.remove(&user);
            } else {
                member.list = list;
            }
        }
    }
}

/// The `recommendations` row of a listed item.
fn row(community: &str, user: &str, listed: &Listed) -> ServingRow {
    ServingRow::Recommendation {
        community_id: community.to_string(),
        user_id: user.to_string(),
        rank: listed.rank,
        item_id: listed.item.clone(),
        score_micros: listed.score,
        reason: listed
            .reason
            .clone()
            .unwrap_or_else(|| TRENDING_REASON.to_string()),
    }
}
