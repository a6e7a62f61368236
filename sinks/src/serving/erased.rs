//! Erased members in the serving database. Within the commit of an erasure request, the member's
//! moderation alerts leave `alerts` and their raw id leaves `member_ids` (the recommendation job
//! retracts their recommendations itself), and the member's digest joins `erased_members`, so
//! that a later state of one of their alerts — the moderation job still closes what it had open —
//! or their raw id is never written back.
//!
//! `erased_members` holds the register's digest ([`erasure_digest`]) and not the member id, as the
//! lake's `erasures` table does: the serving database keeps no trace of whom it forgot.

use std::collections::HashSet;

use cohort_schemas::lake::erasure_digest;
use rusqlite::{Connection, params};

/// Records the members erased in this commit and removes their alerts and raw ids.
pub(super) fn apply(conn: &Connection, epoch: i64, erased: &[String]) -> rusqlite::Result<()> {
    let mut record = conn.prepare_cached(
        "INSERT OR IGNORE INTO erased_members (member_digest, epoch) VALUES (?1, ?2)",
    )?;
    let mut forget_alerts = conn.prepare_cached("DELETE FROM alerts WHERE member_id = ?1")?;
    let mut forget_id = conn.prepare_cached("DELETE FROM member_ids WHERE member_id = ?1")?;
    for member in erased {
        record.execute(params![erasure_digest(member), epoch])?;
        forget_alerts.execute(params![member])?;
        forget_id.execute(params![member])?;
    }
    Ok(())
}

/// `items` without those about an erased member (`member` says whose an item is), including
/// members erased in this commit.
pub(super) fn without_erased<T: Clone>(
    conn: &Connection,
    items: &[T],
    member: impl Fn(&T) -> &str,
    erased_now: &[String],
) -> rusqlite::Result<Vec<T>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let mut digests: HashSet<String> = erased_now.iter().map(|m| erasure_digest(m)).collect();
    let mut stmt = conn.prepare_cached("SELECT member_digest FROM erased_members")?;
    for digest in stmt.query_map([], |r| r.get::<_, String>(0))? {
        digests.insert(digest?);
    }
    Ok(items
        .iter()
        .filter(|item| digests.is_empty() || !digests.contains(&erasure_digest(member(item))))
        .cloned()
        .collect())
}

#[cfg(test)]
mod tests {
    use cohort_pipeline::checkpoint::{Checkpoint, CommitStore, ServingUpdates};
    use cohort_schemas::activity::{AlertStatus, Severity};
    use cohort_schemas::moderation::ModerationKind;

    use cohort_schemas::moderation::ModerationAlert;

    use crate::SqliteStore;

    use super::*;

    fn alert(member: &str, count: u32, status: AlertStatus) -> ModerationAlert {
        ModerationAlert {
            community_id: "c1".into(),
            channel_id: "general".into(),
            member_id: member.into(),
            kind: ModerationKind::Pii,
            rule: "pii.mobile".into(),
            severity: Severity::Major,
            score: 1.0,
            evidence: "call [mobile]".into(),
            first_seen_ms: 1_793_491_200_000,
            last_seen_ms: 1_793_491_200_000 + i64::from(count) * 1000,
            count,
            status,
            closed_ms: (status == AlertStatus::Closed).then_some(1_793_494_800_000),
            verdict: None,
        }
    }

    fn commit(store: &mut SqliteStore, epoch: u64, updates: ServingUpdates) {
        let mut checkpoint = Checkpoint::empty(1, "test".into());
        checkpoint.epoch = epoch;
        store.commit(&checkpoint, &[], &updates).unwrap();
    }

    #[test]
    fn an_erased_member_s_alerts_go_and_do_not_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("db"), "ingest").unwrap();
        let moderation = vec![
            alert("pm_gone", 1, AlertStatus::Open),
            alert("pm_stays", 1, AlertStatus::Open),
        ];
        commit(
            &mut store,
            1,
            ServingUpdates {
                moderation,
                ..ServingUpdates::default()
            },
        );
        assert_eq!(store.moderation_alerts().unwrap().len(), 2);
        commit(
            &mut store,
            2,
            ServingUpdates {
                erased: vec!["pm_gone".into()],
                ..ServingUpdates::default()
            },
        );
        let members = |store: &SqliteStore| -> Vec<String> {
            store
                .moderation_alerts()
                .unwrap()
                .into_iter()
                .map(|a| a.member_id)
                .collect()
        };
        assert_eq!(members(&store), vec!["pm_stays".to_string()]);
        // The job closes the alert it had open: the closed state is not written back.
        commit(
            &mut store,
            3,
            ServingUpdates {
                moderation: vec![alert("pm_gone", 2, AlertStatus::Closed)],
                ..ServingUpdates::default()
            },
        );
        assert_eq!(members(&store), vec!["pm_stays".to_string()]);
        // The database keeps the digest, not the id.
        let kept: Vec<String> = store
            .conn
            .prepare("SELECT member_digest FROM erased_members")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(kept, vec![erasure_digest("pm_gone")]);
    }
}
