//! Versioned schema of the PostgreSQL serving tables: the SQLite serving tables' columns and keys
//! (`../migrations.rs`), in PostgreSQL's types (INTEGER → BIGINT, REAL → DOUBLE PRECISION). Times
//! stay RFC 3339 text, as in SQLite, so one query reads either backend and text order is time order.
//!
//! Each migration runs once, in order, inside a transaction holding an advisory lock, so two
//! processes starting against one database do not both apply it.

/// `(version, SQL)` in the order they apply.
pub(super) const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE checkpoints (
        id BIGINT PRIMARY KEY,
        job TEXT NOT NULL,
        epoch BIGINT NOT NULL,
        offsets_json TEXT NOT NULL,
        committed_at TEXT NOT NULL
    );
    CREATE INDEX checkpoints_job ON checkpoints (job, id);
    CREATE TABLE recommendations (
        community_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        rank BIGINT NOT NULL,
        item_id TEXT NOT NULL,
        score DOUBLE PRECISION NOT NULL,
        reason TEXT NOT NULL,
        epoch BIGINT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (community_id, user_id, rank)
    );
    CREATE TABLE similar_items (
        community_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        rank BIGINT NOT NULL,
        other_item_id TEXT NOT NULL,
        score DOUBLE PRECISION NOT NULL,
        epoch BIGINT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (community_id, item_id, rank)
    );
    CREATE TABLE trending_items (
        community_id TEXT NOT NULL,
        rank BIGINT NOT NULL,
        item_id TEXT NOT NULL,
        score DOUBLE PRECISION NOT NULL,
        epoch BIGINT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (community_id, rank)
    );
    CREATE TABLE forecasts (
        community_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        hour TEXT NOT NULL,
        horizon BIGINT NOT NULL,
        yhat DOUBLE PRECISION NOT NULL,
        lo80 DOUBLE PRECISION NOT NULL,
        hi80 DOUBLE PRECISION NOT NULL,
        lo95 DOUBLE PRECISION NOT NULL,
        hi95 DOUBLE PRECISION NOT NULL,
        model TEXT NOT NULL,
        fitted_at TEXT NOT NULL,
        epoch BIGINT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (community_id, channel_id, metric, horizon)
    );
    CREATE TABLE alerts (
        alert_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        rule TEXT NOT NULL,
        community_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        member_id TEXT,
        metric TEXT,
        severity TEXT NOT NULL,
        score DOUBLE PRECISION NOT NULL,
        status TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        count BIGINT NOT NULL,
        observed DOUBLE PRECISION,
        expected DOUBLE PRECISION,
        lo95 DOUBLE PRECISION,
        hi95 DOUBLE PRECISION,
        evidence TEXT,
        closed_at TEXT,
        epoch BIGINT NOT NULL,
        updated_at TEXT NOT NULL,
        verdict TEXT
    );
    CREATE INDEX alerts_by_community ON alerts (community_id, status, last_seen);
    CREATE INDEX alerts_by_member ON alerts (member_id);
    CREATE TABLE erased_members (
        member_digest TEXT PRIMARY KEY,
        epoch BIGINT NOT NULL
    );",
    ),
    (
        2,
        "CREATE TABLE member_ids (
        member_id TEXT PRIMARY KEY,
        raw_id TEXT NOT NULL,
        epoch BIGINT NOT NULL
    );
    CREATE INDEX member_ids_by_raw_id ON member_ids (raw_id);
    CREATE VIEW recommendations_by_raw_id AS
        SELECT m.raw_id AS raw_user_id, r.*
        FROM recommendations r JOIN member_ids m ON m.member_id = r.user_id;",
    ),
];

/// Creates `schema_migrations` and applies every migration not applied yet.
pub(super) fn migrate(client: &mut postgres::Client) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    // One lock for every cohort process migrating this database; released at commit.
    tx.execute("SELECT pg_advisory_xact_lock(7283617)", &[])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )?;
    for (version, sql) in MIGRATIONS {
        let done = tx
            .query_opt(
                "SELECT 1 FROM schema_migrations WHERE version = $1",
                &[version],
            )?
            .is_some();
        if !done {
            tx.batch_execute(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[version],
            )?;
        }
    }
    tx.commit()
}
