//! Versioned schema of the serving database. Each migration runs once, in order, inside a
//! transaction; `schema_migrations` records which have run.

/// `(version, SQL)` in the order they apply.
pub(super) const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        offsets_json TEXT NOT NULL,
        committed_at TEXT NOT NULL
    );
    CREATE INDEX checkpoints_job ON checkpoints (job, id);
    CREATE TABLE lake_files (
        path TEXT PRIMARY KEY,
        staged_path TEXT NOT NULL,
        table_name TEXT NOT NULL,
        rows INTEGER NOT NULL,
        checkpoint_id INTEGER NOT NULL REFERENCES checkpoints (id),
        published INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX lake_files_unpublished ON lake_files (published) WHERE published = 0;",
    ),
    (
        2,
        "CREATE TABLE kafka_forwarded (
        path TEXT PRIMARY KEY,
        topic TEXT NOT NULL,
        forwarded_at TEXT NOT NULL
    );",
    ),
    (
        3,
        "CREATE TABLE recommendations (
        community_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        rank INTEGER NOT NULL,
        item_id TEXT NOT NULL,
        score REAL NOT NULL,
        reason TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (community_id, user_id, rank)
    ) WITHOUT ROWID;
    CREATE TABLE similar_items (
        community_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        rank INTEGER NOT NULL,
        other_item_id TEXT NOT NULL,
        score REAL NOT NULL,
        epoch INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (community_id, item_id, rank)
    ) WITHOUT ROWID;",
    ),
    (
        4,
        "CREATE TABLE trending_items (
        community_id TEXT NOT NULL,
        rank INTEGER NOT NULL,
        item_id TEXT NOT NULL,
        score REAL NOT NULL,
        epoch INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (community_id, rank)
    ) WITHOUT ROWID;",
    ),
    (
        5,
        "CREATE TABLE forecasts (
        community_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        hour TEXT NOT NULL,
        horizon INTEGER NOT NULL,
        yhat REAL NOT NULL,
        lo80 REAL NOT NULL,
        hi80 REAL NOT NULL,
        lo95 REAL NOT NULL,
        hi95 REAL NOT NULL,
        model TEXT NOT NULL,
        fitted_at TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (community_id, channel_id, metric, horizon)
    ) WITHOUT ROWID;
    CREATE TABLE alerts (
        alert_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        rule TEXT NOT NULL,
        community_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        member_id TEXT,
        metric TEXT,
        severity TEXT NOT NULL,
        score REAL NOT NULL,
        status TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        count INTEGER NOT NULL,
        observed REAL,
        expected REAL,
        lo95 REAL,
        hi95 REAL,
        evidence TEXT,
        closed_at TEXT,
        epoch INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX alerts_by_community ON alerts (community_id, status, last_seen);",
    ),
    (
        6,
        "ALTER TABLE alerts ADD COLUMN verdict TEXT;
    CREATE INDEX alerts_by_member ON alerts (community_id, member_id, rule);",
    ),
    (
        7,
        "CREATE TABLE erased_members (
        member_digest TEXT PRIMARY KEY,
        epoch INTEGER NOT NULL
    );",
    ),
    (
        8,
        "CREATE TABLE member_ids (
        member_id TEXT PRIMARY KEY,
        raw_id TEXT NOT NULL,
        epoch INTEGER NOT NULL
    );
    CREATE INDEX member_ids_by_raw_id ON member_ids (raw_id);
    CREATE VIEW recommendations_by_raw_id AS
        SELECT m.raw_id AS raw_user_id, r.*
        FROM recommendations r JOIN member_ids m ON m.member_id = r.user_id;",
    ),
];
