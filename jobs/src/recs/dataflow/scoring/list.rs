//! One member's list, computed whole from their scored history, the neighbour lists of its items,
//! what they may not be recommended, and (for short histories) the community's trending list.
//!
//! This is the batch definition of a list; the scoring operator calls it for every member an update
//! may have changed, so the incremental lists are this function of the current inputs by
//! construction.

use std::collections::HashMap;

use super::super::topk::top_k;

/// What the list of one member is computed from.
pub(super) struct MemberInputs<'a, N, X> {
    /// The scored history: (item, strength).
    pub history: &'a HashMap<String, i64>,
    /// An item's co-occurrence neighbours: (neighbour, similarity in millionths).
    pub neighbours_of: N,
    /// Whether the member may not be recommended this item (bought, or viewed with
    /// `exclude_viewed`).
    pub excluded: X,
    /// The community's trending list as (rank, item, score), sorted, when the member's history is
    /// short enough to be filled from it.
    pub trending: Option<&'a [(u32, String, i64)]>,
    /// List length.
    pub k: usize,
}

/// One row of a member's list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Listed {
    /// Rank from 1.
    pub rank: u32,
    /// The recommended item.
    pub item: String,
    /// Summed strength × similarity in millionths (or the trending score).
    pub score: i64,
    /// The history item that contributed most (ties to the smaller id), or `None` for a row
    /// filled from the trending list.
    pub reason: Option<String>,
}

/// A candidate's summed score and its strongest contribution so far.
struct Tally<'a> {
    total: i64,
    best: i64,
    from: &'a str,
}

/// The member's list: candidates by summed strength × similarity, best first (ties to the smaller
/// id), then trending items in their order (skipping excluded and listed ones) until `k` rows.
pub(super) fn member_list<'a, N, X>(inputs: MemberInputs<'a, N, X>) -> Vec<Listed>
where
    N: Fn(&str) -> Option<&'a [(String, i64)]>,
    X: Fn(&str) -> bool,
{
    let mut tallies: HashMap<&'a str, Tally<'a>> = HashMap::new();
    for (from, strength) in inputs.history {
        let from = from.as_str();
        let Some(neighbours) = (inputs.neighbours_of)(from) else {
            continue;
        };
        for (item, similarity) in neighbours {
            let contribution = strength * similarity;
            let tally = tallies.entry(item.as_str()).or_insert(Tally {
                total: 0,
                best: i64::MIN,
                from,
            });
            tally.total += contribution;
            if contribution > tally.best || (contribution == tally.best && from < tally.from) {
                tally.best = contribution;
                tally.from = from;
            }
        }
    }
    let scored = tallies
        .iter()
        .filter(|(item, _)| !(inputs.excluded)(item))
        .map(|(item, tally)| (tally.total, *item))
        .collect();
    let mut rows: Vec<Listed> = top_k(scored, inputs.k)
        .into_iter()
        .map(|(rank, item, score)| Listed {
            rank,
            item: item.to_string(),
            score,
            reason: tallies.get(item).map(|t| t.from.to_string()),
        })
        .collect();
    for (_, item, score) in inputs.trending.unwrap_or_default() {
        if rows.len() >= inputs.k {
            break;
        }
        if (inputs.excluded)(item) || rows.iter().any(|r| &r.item == item) {
            continue;
        }
        rows.push(Listed {
            rank: u32::try_from(rows.len() + 1).unwrap_or(u32::MAX),
            item: item.clone(),
            score: *score,
            reason: None,
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neighbours() -> HashMap<&'static str, Vec<(String, i64)>> {
        HashMap::from([
            ("a", vec![("x".to_string(), 10), ("y".to_string(), 4)]),
            ("b", vec![("x".to_string(), 5), ("z".to_string(), 30)]),
        ])
    }

    fn list(
        history: &[(&str, i64)],
        excluded: &[&str],
        trending: Option<&[(u32, String, i64)]>,
        k: usize,
    ) -> Vec<(u32, String, i64, Option<String>)> {
        let graph = neighbours();
        let history: HashMap<String, i64> =
            history.iter().map(|(i, s)| (i.to_string(), *s)).collect();
        member_list(MemberInputs {
            history: &history,
            neighbours_of: |item: &str| graph.get(item).map(Vec::as_slice),
            excluded: |item: &str| excluded.contains(&item),
            trending,
            k,
        })
        .into_iter()
        .map(|l| (l.rank, l.item, l.score, l.reason))
        .collect()
    }

    #[test]
    fn scores_sum_over_the_history_and_the_reason_is_the_largest_contribution() {
        // x: 3·10 + 2·5 = 40 (a gives 30), z: 2·30 = 60, y: 3·4 = 12
        let got = list(&[("a", 3), ("b", 2)], &[], None, 10);
        let want = vec![
            (1, "z".to_string(), 60, Some("b".to_string())),
            (2, "x".to_string(), 40, Some("a".to_string())),
            (3, "y".to_string(), 12, Some("a".to_string())),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn equal_contributions_give_the_reason_to_the_smaller_id() {
        // x: a gives 1·10, b gives 2·5
        let got = list(&[("b", 2), ("a", 1)], &[], None, 10);
        let x = got.iter().find(|row| row.1 == "x");
        assert_eq!(x.and_then(|row| row.3.as_deref()), Some("a"));
    }

    #[test]
    fn excluded_items_are_skipped_and_trending_fills_up_to_k() {
        let trending = [
            (1, "x".to_string(), 900),
            (2, "t".to_string(), 800),
            (3, "u".to_string(), 700),
            (4, "v".to_string(), 600),
        ];
        let got = list(&[("a", 1)], &["y", "t"], Some(&trending), 3);
        let want = vec![
            (1, "x".to_string(), 10, Some("a".to_string())),
            (2, "u".to_string(), 700, None),
            (3, "v".to_string(), 600, None),
        ];
        assert_eq!(got, want);
    }
}
