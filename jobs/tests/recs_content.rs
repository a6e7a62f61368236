//! Content cold start (issue 4): an item nobody has interacted with gets `similar_items` from its
//! title and tags (TF-IDF over English words and Chinese bigrams), the list goes away at its first
//! interaction, and deleted items neither get nor appear in content lists.

use cohort_jobs::recs::config::RecsConfig;
use cohort_jobs::recs::session::{RecsSession, final_rows};
use cohort_jobs::recs::{Fact, Signal};
use cohort_schemas::serving::ServingRow;

fn item(id: &str, title: &str, tags: &[&str], deleted: bool, ts_ms: i64) -> Fact {
    Fact::Item {
        community_id: "c".into(),
        item_id: id.into(),
        deleted,
        title: title.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        ts_ms,
        event_id: format!("e-{id}-{ts_ms}"),
    }
}

fn view(user: &str, id: &str, ts_ms: i64) -> Fact {
    Fact::Signal {
        community_id: "c".into(),
        user_id: user.into(),
        item_id: id.into(),
        signal: Signal::View,
        ts_ms,
    }
}

/// The `similar_items` list of `id`: (neighbour, score in millionths), by rank.
fn similar(rows: &[ServingRow], id: &str) -> Vec<(String, i64)> {
    let mut list: Vec<(u32, String, i64)> = rows
        .iter()
        .filter_map(|row| match row {
            ServingRow::SimilarItem {
                item_id,
                rank,
                other_item_id,
                score_micros,
                ..
            } if item_id == id => Some((*rank, other_item_id.clone(), *score_micros)),
            _ => None,
        })
        .collect();
    list.sort();
    list.into_iter()
        .map(|(_, item, score)| (item, score))
        .collect()
}

fn catalogue() -> Vec<Fact> {
    vec![
        item(
            "rust-async",
            "Rust async programming with Tokio",
            &["rust"],
            false,
            1,
        ),
        item("rust-intro", "Rust for beginners", &["rust"], false, 2),
        item(
            "py-async",
            "Python asyncio in practice",
            &["python"],
            false,
            3,
        ),
        item("go-web", "Web services in Go", &["go"], false, 4),
        item("zh-rust", "Rust 异步编程实战", &["rust"], false, 5),
        item("zh-ml", "机器学习入门", &["ml"], false, 6),
        item("zh-ml2", "深度学习与机器学习", &["ml"], false, 7),
        item("gone", "Rust async internals", &["rust"], true, 8),
    ]
}

#[test]
fn new_items_get_content_neighbours_by_title_and_tags() {
    let mut session = RecsSession::new(RecsConfig::default());
    session.apply(catalogue());
    let rows = session.rows();
    // the Rust titles share "rust" and the tag; "asyncio" is not "async"; the deleted one is gone
    let mut rust_async: Vec<String> = similar(&rows, "rust-async")
        .into_iter()
        .map(|(item, _)| item)
        .collect();
    rust_async.sort();
    assert_eq!(rust_async, vec!["rust-intro", "zh-rust"]);
    // Chinese titles match through character bigrams (机器, 器学, 学习) and the tag
    assert_eq!(similar(&rows, "zh-ml")[0].0, "zh-ml2");
    // only "in" links Go's web services to anything
    let go: Vec<String> = similar(&rows, "go-web")
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert_eq!(go, vec!["py-async"]);
    assert!(similar(&rows, "zh-ml").windows(2).all(|w| w[0].1 >= w[1].1));
    // a deleted item has no list and is in none
    assert!(similar(&rows, "gone").is_empty());
    assert!(rows.iter().all(
        |r| !matches!(r, ServingRow::SimilarItem { other_item_id, .. } if other_item_id == "gone")
    ));
}

#[test]
fn the_content_list_goes_at_the_first_interaction_and_batch_agrees() {
    let config = RecsConfig::default();
    let mut session = RecsSession::new(config.clone());
    session.apply(catalogue());
    assert!(!similar(&session.rows(), "py-async").is_empty());
    let views = vec![view("u1", "py-async", 10), view("u1", "go-web", 11)];
    session.apply(views.clone());
    let rows = session.rows();
    // py-async now has co-occurrence neighbours only (go-web, seen by the same member)
    assert_eq!(
        similar(&rows, "py-async")
            .iter()
            .map(|(i, _)| i.as_str())
            .collect::<Vec<_>>(),
        vec!["go-web"]
    );
    let mut all = catalogue();
    all.extend(views);
    let mut batch = final_rows(&config, all, 2);
    let mut incremental = rows;
    batch.sort();
    incremental.sort();
    assert_eq!(incremental, batch);
}
