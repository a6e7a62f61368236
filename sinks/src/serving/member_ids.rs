//! `member_ids`: the raw member id behind each stored pseudonym, for backends that look members up
//! by the ids they know (`serving.raw_member_ids`; off by default). The view
//! `recommendations_by_raw_id` joins it to `recommendations`. Only the serving database holds raw
//! ids, never the lake; an erased member's row goes in the commit of the request and never comes
//! back (`erased.rs`).

use rusqlite::{Connection, params};

/// Records (stored, raw) member ids; an id already recorded stays as it is (a pseudonym always
/// stands for the same raw id).
pub(super) fn apply(
    conn: &Connection,
    epoch: i64,
    member_ids: &[(String, String)],
) -> rusqlite::Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO member_ids (member_id, raw_id, epoch) VALUES (?1, ?2, ?3)",
    )?;
    for (stored, raw) in member_ids {
        insert.execute(params![stored, raw, epoch])?;
    }
    Ok(())
}
