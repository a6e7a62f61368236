//! Why an item is in a member's list: the history item that contributed most to its score
//! (strength × similarity; ties to the smaller id).
//!
//! Computed only for the K listed items of each member, after ranking, so the dataflow never has to
//! keep every (member, proposal) that scoring summed: K × S records per member instead of S × M.

use super::history::HistoryItem;
use super::similarity::Neighbours;
use super::{Coll, Scoped};

/// (community, member, item).
type Listing = (String, String, String);

/// ((community, member, listed item), the history item that contributed most to it).
pub(crate) fn reasons<'s>(
    listed: Coll<'s, Listing>,
    history: Coll<'s, (Scoped, HistoryItem)>,
    neighbours: &Neighbours<'s>,
) -> Coll<'s, (Listing, String)> {
    let links = neighbours
        .clone()
        .map(|((community, from), (_, item, similarity))| ((community, from, item), similarity));
    listed
        .map(|(community, user, item)| ((community, user), item))
        .join_map(
            history.map(|(member, h)| (member, (h.item, h.strength))),
            |(community, user), item, (from, strength)| {
                (
                    (community.clone(), from.clone(), item.clone()),
                    (user.clone(), *strength),
                )
            },
        )
        .join_map(
            links,
            |(community, from, item), (user, strength), similarity| {
                (
                    (community.clone(), user.clone(), item.clone()),
                    (strength * similarity, from.clone()),
                )
            },
        )
        .reduce(|_listing, contributions, out| {
            if let Some(from) = strongest(contributions.iter().map(|(c, _)| *c)) {
                out.push((from.clone(), 1));
            }
        })
}

/// The source of the largest contribution; ties go to the smaller id.
fn strongest<'a>(contributions: impl Iterator<Item = &'a (i64, String)>) -> Option<&'a String> {
    contributions
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)))
        .map(|(_, from)| from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_contribution_wins_and_ties_go_to_the_smaller_id() {
        let c = [(5, "b".to_string()), (9, "c".to_string()), (9, "a".into())];
        assert_eq!(strongest(c.iter()).map(String::as_str), Some("a"));
        assert_eq!(strongest([].iter()), None);
    }
}
