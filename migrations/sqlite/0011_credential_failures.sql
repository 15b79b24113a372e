-- Consecutive failed credentials per account and its lock (src/store/credential_failures.rs).
-- Its own table: writes to `users` bump the directory version, and a failure must not drop
-- every gateway's cached verifications.
CREATE TABLE credential_failures (
    user_id         TEXT    PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    failures        INTEGER NOT NULL,
    locked_until_ms INTEGER            -- ms since the epoch; NULL: not locked
);
