-- tsgate store, PostgreSQL. Mirrors migrations/sqlite/0001_init.sql.

-- Hash-chained, append-only access log (see src/store/access_log.rs for the hash).
CREATE TABLE access_log (
    seq            BIGINT PRIMARY KEY CHECK (seq > 0),
    transaction_id TEXT   NOT NULL,
    at_ms          BIGINT NOT NULL,    -- ms since the Unix epoch, UTC
    caller_kind    TEXT   NOT NULL,
    caller_id      TEXT   NOT NULL,
    region         TEXT,
    operator_cf    TEXT,
    titolare_cf    TEXT,
    service        TEXT   NOT NULL,
    operation      TEXT   NOT NULL,
    outcome        TEXT   NOT NULL,
    prev_hash      TEXT   NOT NULL,    -- hex
    hash           TEXT   NOT NULL     -- hex
);
CREATE INDEX access_log_at_ms ON access_log (at_ms);
CREATE INDEX access_log_transaction_id ON access_log (transaction_id);

-- Where the retained chain starts; moved by each purge in the purge's transaction.
CREATE TABLE access_log_anchor (
    id        SMALLINT PRIMARY KEY CHECK (id = 1),
    first_seq BIGINT   NOT NULL,
    prev_hash TEXT     NOT NULL
);
INSERT INTO access_log_anchor (id, first_seq, prev_hash) VALUES (1, 1, repeat('0', 64));

-- Append-only: UPDATE, DELETE and TRUNCATE are refused unless the transaction set
-- tsgate.purge = 'on' (the purge does, with set_config(..., true), i.e. SET LOCAL).
CREATE FUNCTION tsgate_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('tsgate.purge', true), '') <> 'on' THEN
        RAISE EXCEPTION '% is append-only: % refused (only a purge may change it)',
            TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER access_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION tsgate_append_only();

CREATE TRIGGER access_log_anchor_guard
    BEFORE UPDATE OR DELETE OR TRUNCATE ON access_log_anchor
    FOR EACH STATEMENT EXECUTE FUNCTION tsgate_append_only();

-- Users and authorisation.
CREATE TABLE users (
    user_id       TEXT    PRIMARY KEY,
    cf            TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,    -- PHC string
    pincode_hash  TEXT    NOT NULL,    -- PHC string
    asl           TEXT,
    region        TEXT,
    enabled       BOOLEAN NOT NULL,
    CONSTRAINT users_cf_key UNIQUE (cf)
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
