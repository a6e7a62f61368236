//! Content neighbours of items nobody has interacted with yet: co-occurrence knows nothing about a
//! new course or post, so until its first interaction its `similar_items` list comes from its title
//! and tags, by TF-IDF cosine against every live item of its community.
//!
//! Tokens are English (and other Latin-script) words, character bigrams of Chinese (CJK) text — the
//! usual way to index Chinese without a word segmenter — and each tag as a token of its own. Weights
//! are (1 + ln tf) · ln((1 + n) / (1 + df)) over the community's n live items; tokens in more than half
//! of them say little and cost a join against most of the catalogue, so they are dropped. Vectors are
//! normalised per item and quantised to millionths before differential sums the dot products, so the
//! result is exact whatever order items arrive in.

use std::collections::BTreeMap;

use super::interactions::{ItemState, Pairs};
use super::similarity::{Neighbours, top_neighbours};
use super::{Coll, Scoped};
use cohort_schemas::serving::SCORE_SCALE;

/// A token and its weight in an item's unit vector, in millionths.
type Weighted = (String, i64);

/// The top `kept` content neighbours of every live (not deleted) item without interactions.
pub(crate) fn content_neighbours<'s>(
    states: Coll<'s, (Scoped, ItemState)>,
    pairs: &Pairs<'s>,
    kept: usize,
) -> Neighbours<'s> {
    let terms = states.flat_map(|(item, state)| {
        let counts = if state.deleted {
            BTreeMap::new()
        } else {
            term_counts(&state.title, &state.tags)
        };
        counts
            .into_iter()
            .map(move |(token, tf)| (item.clone(), (token, tf)))
    });
    let items = terms
        .clone()
        .map(|((community, item), _)| (community, item))
        .distinct();
    let catalogue = items.map(|(community, _)| community).count();
    let df = terms
        .clone()
        .map(|((community, _), (token, _))| (community, token))
        .count();
    let vectors = terms
        .map(|((community, item), (token, tf))| ((community.clone(), token), (item, tf)))
        .join_map(df, |(community, token), (item, tf), df| {
            (community.clone(), (item.clone(), token.clone(), *tf, *df))
        })
        .join_map(catalogue, |community, (item, token, tf, df), n| {
            (
                (community.clone(), item.clone()),
                (token.clone(), *tf, *df, *n),
            )
        })
        .reduce(|_item, tokens, out| {
            let raw: Vec<(&str, f64)> = tokens
                .iter()
                .filter_map(|((token, tf, df, n), _)| {
                    weight(*tf, *df, *n).map(|w| (token.as_str(), w))
                })
                .collect();
            for (token, w) in unit(&raw) {
                out.push(((token.to_string(), w), 1));
            }
        });
    let interacted = pairs
        .clone()
        .map(|((community, _, item), _)| (community, item))
        .distinct();
    let by_token = |v: Coll<'s, (Scoped, Weighted)>| {
        v.map(|((community, item), (token, w))| ((community, token), (item, w)))
    };
    let cold = by_token(vectors.clone().antijoin(interacted));
    let scored = cold
        .join_map(by_token(vectors), |(community, _), (a, wa), (b, wb)| {
            ((community.clone(), a.clone(), b.clone()), wa * wb)
        })
        .filter(|((_, a, b), _)| a != b)
        .explode(|(pair, product)| Some((pair, product as isize)))
        .count()
        .map(|((community, a, b), dot)| {
            // dot is in (millionths)², the cosine in millionths
            let cosine = (dot as i64) / SCORE_SCALE as i64;
            ((community, a), (b, cosine))
        });
    top_neighbours(scored, kept)
}

/// A token's TF-IDF weight, or `None` when it is in more than half of the `n` items (and n > 2).
fn weight(tf: isize, df: isize, n: isize) -> Option<f64> {
    if n > 2 && 2 * df > n {
        return None;
    }
    let idf = ((1 + n) as f64 / (1 + df) as f64).ln() + 1.0;
    Some((1.0 + (tf as f64).ln()) * idf)
}

/// The vector scaled to length 1, in millionths (tokens that round to 0 are left out).
fn unit<'a>(raw: &[(&'a str, f64)]) -> Vec<(&'a str, i64)> {
    let norm = raw.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
    if norm <= 0.0 {
        return Vec::new();
    }
    raw.iter()
        .map(|(t, w)| (*t, (w / norm * SCORE_SCALE).round() as i64))
        .filter(|(_, w)| *w > 0)
        .collect()
}

/// How often each token occurs in a title and its tags.
pub(crate) fn term_counts(title: &str, tags: &[String]) -> BTreeMap<String, isize> {
    let mut counts = BTreeMap::new();
    for token in title_tokens(title) {
        *counts.entry(token).or_insert(0) += 1;
    }
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if !tag.is_empty() {
            *counts.entry(format!("#{tag}")).or_insert(0) += 1;
        }
    }
    counts
}

/// Lower-cased words of letters and digits, and bigrams of each run of CJK characters (a run of
/// one is its own token).
fn title_tokens(title: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut han: Vec<char> = Vec::new();
    let flush_han = |han: &mut Vec<char>, tokens: &mut Vec<String>| {
        match han.len() {
            0 => {}
            1 => tokens.push(han[0].to_string()),
            _ => tokens.extend(han.windows(2).map(|w| w.iter().collect())),
        }
        han.clear();
    };
    for c in title.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                tokens.push(std::mem::take(&mut word));
            }
            han.push(c);
        } else if c.is_alphanumeric() {
            flush_han(&mut han, &mut tokens);
            word.extend(c.to_lowercase());
        } else {
            flush_han(&mut han, &mut tokens);
            if !word.is_empty() {
                tokens.push(std::mem::take(&mut word));
            }
        }
    }
    flush_han(&mut han, &mut tokens);
    if !word.is_empty() {
        tokens.push(word);
    }
    tokens
}

/// CJK ideographs, kana and hangul: scripts written without spaces between words.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}'
        | '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}'
        | '\u{ac00}'..='\u{d7af}'
        | '\u{f900}'..='\u{faff}'
        | '\u{20000}'..='\u{2fa1f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_cjk_bigrams_and_tags() {
        assert_eq!(
            title_tokens("Rust 异步编程 入门: Tokio!"),
            vec!["rust", "异步", "步编", "编程", "入门", "tokio"]
        );
        assert_eq!(title_tokens("学"), vec!["学"]);
        let counts = term_counts("Rust rust", &["Async".to_string(), " ".to_string()]);
        assert_eq!(counts.get("rust"), Some(&2));
        assert_eq!(counts.get("#async"), Some(&1));
        assert_eq!(counts.len(), 2);
    }

    #[test]
    fn common_tokens_weigh_nothing_and_vectors_are_unit() {
        assert_eq!(weight(1, 3, 4), None);
        assert!(weight(1, 1, 4).unwrap() > weight(1, 2, 4).unwrap());
        let v = unit(&[("a", 3.0), ("b", 4.0)]);
        assert_eq!(v, vec![("a", 600_000), ("b", 800_000)]);
    }
}
