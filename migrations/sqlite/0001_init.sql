-- tsgate store, SQLite. Mirrors migrations/postgres/0001_init.sql.

-- Hash-chained, append-only access log (see src/store/access_log.rs for the hash).
CREATE TABLE access_log (
    seq            INTEGER PRIMARY KEY CHECK (seq > 0),
    transaction_id TEXT    NOT NULL,
    at_ms          INTEGER NOT NULL,   -- ms since the Unix epoch, UTC
    caller_kind    TEXT    NOT NULL,
    caller_id      TEXT    NOT NULL,
    region         TEXT,
    operator_cf    TEXT,
    titolare_cf    TEXT,
    service        TEXT    NOT NULL,
    operation      TEXT    NOT NULL,
    outcome        TEXT    NOT NULL,
    prev_hash      TEXT    NOT NULL,   -- hex
    hash           TEXT    NOT NULL    -- hex
);
CREATE INDEX access_log_at_ms ON access_log (at_ms);
CREATE INDEX access_log_transaction_id ON access_log (transaction_id);

-- Where the retained chain starts; moved by each purge in the purge's transaction.
CREATE TABLE access_log_anchor (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    first_seq INTEGER NOT NULL,
    prev_hash TEXT    NOT NULL
);
INSERT INTO access_log_anchor (id, first_seq, prev_hash)
VALUES (1, 1, '0000000000000000000000000000000000000000000000000000000000000000');

-- A row here exists only inside a purge transaction: it is what lets the purge delete.
CREATE TABLE purge_in_progress (
    id INTEGER PRIMARY KEY CHECK (id = 1)
);

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only: entries cannot be updated');
END;

CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
WHEN NOT EXISTS (SELECT 1 FROM purge_in_progress)
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only: entries are removed only by a purge');
END;

CREATE TRIGGER access_log_anchor_no_update BEFORE UPDATE ON access_log_anchor
WHEN NOT EXISTS (SELECT 1 FROM purge_in_progress)
BEGIN
    SELECT RAISE(ABORT, 'access_log_anchor is moved only by a purge');
END;

CREATE TRIGGER access_log_anchor_no_delete BEFORE DELETE ON access_log_anchor
BEGIN
    SELECT RAISE(ABORT, 'access_log_anchor cannot be deleted');
END;

-- Users and authorisation.
CREATE TABLE users (
    user_id       TEXT    PRIMARY KEY,
    cf            TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,    -- PHC string
    pincode_hash  TEXT    NOT NULL,    -- PHC string
    asl           TEXT,
    region        TEXT,
    enabled       BOOLEAN NOT NULL
);

CREATE TABLE user_profiles (
    user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    profile TEXT NOT NULL,
    PRIMARY KEY (user_id, profile)
);

CREATE TABLE region_services (
    region_code TEXT NOT NULL,
    service     TEXT NOT NULL,
    PRIMARY KEY (region_code, service)
);
