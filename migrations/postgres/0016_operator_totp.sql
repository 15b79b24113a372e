-- Each operator's TOTP second factor (src/store/totp.rs): the secret sealed with
-- auth.secrets_key (AES-256-GCM, bound to the user id; never in clear), whether the enrollment
-- was confirmed with a valid code, and the last step whose code was accepted: a code of that
-- step or an earlier one is refused, by one conditional UPDATE, so two gateways sharing the
-- database cannot both accept it. Not a directory change: no gateway caches any of it.
CREATE TABLE operator_totp (
    user_id       TEXT    PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    sealed_secret TEXT    NOT NULL,
    confirmed     BOOLEAN NOT NULL,
    last_step     BIGINT,             -- 30-second steps since the epoch; NULL: none accepted
    created_at_ms BIGINT  NOT NULL    -- ms since the epoch: when this secret was made
);
