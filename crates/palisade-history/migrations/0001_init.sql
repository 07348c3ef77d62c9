-- Palisade history schema, version 1. One file for SQLite and PostgreSQL: `{id_pk}` is the
-- one dialect difference (see Dialect::id_primary_key). Integers are BIGINT (SQLite: INTEGER
-- affinity, 64-bit); times are Unix seconds in UTC.

-- One row per recorded scan.
CREATE TABLE scans (
    id {id_pk},
    target TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    tool_version TEXT NOT NULL,
    load_errors BIGINT NOT NULL,
    -- The scan of the same target recorded just before (NULL for the first).
    previous_id BIGINT REFERENCES scans (id),
    critical BIGINT NOT NULL,
    high BIGINT NOT NULL,
    medium BIGINT NOT NULL,
    low BIGINT NOT NULL,
    info BIGINT NOT NULL,
    -- Compared with the previous scan: findings that appeared, findings that went away.
    appeared BIGINT NOT NULL,
    fixed BIGINT NOT NULL
);
CREATE INDEX scans_by_target_time ON scans (target, started_at);
CREATE INDEX scans_by_time ON scans (started_at);

-- One row per target: the lock writers of one target take (FOR UPDATE), and its last scan.
CREATE TABLE targets (
    name TEXT PRIMARY KEY,
    last_scan_id BIGINT REFERENCES scans (id)
);

-- The findings of each scan, as reported (the evidence is not stored). This table and
-- `findings` are the bulk of every write and carry no foreign keys: only
-- History::record writes them, in the transaction that writes the scan, and a per-row
-- foreign-key check doubled PostgreSQL's time to record a 100,000-finding scan.
CREATE TABLE scan_findings (
    scan_id BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    api_version TEXT NOT NULL,
    kind TEXT NOT NULL,
    namespace TEXT,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    line BIGINT NOT NULL,
    col BIGINT NOT NULL,
    field TEXT,
    message TEXT NOT NULL,
    PRIMARY KEY (scan_id, fingerprint)
);

-- Each finding of a target tracked across its scans. Its last sighting is not stored (it
-- would rewrite every open row on every scan): an open finding was last seen by its
-- target's last scan, a fixed one by the scan before fixed_scan; its details are that
-- scan's row in scan_findings.
CREATE TABLE findings (
    target TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    first_seen_scan BIGINT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    -- Set when a scan no longer has it; cleared when it comes back.
    fixed_scan BIGINT,
    fixed_at BIGINT,
    PRIMARY KEY (target, fingerprint)
);
CREATE INDEX findings_open ON findings (target, fixed_at);

-- The inventory a scan judged: a JSON document and its format tag.
CREATE TABLE inventories (
    scan_id BIGINT PRIMARY KEY REFERENCES scans (id),
    format TEXT NOT NULL,
    body TEXT NOT NULL
);
