-- Server-side sessions of the web application (src/store/web_sessions.rs). The browser's cookie
-- holds a random id; only its SHA-256 is kept here, so a copy of this table opens no session.
-- `user_id` is NULL before login (the login form's CSRF token lives in such a session).
CREATE TABLE web_sessions (
    id_hash              TEXT    PRIMARY KEY,
    user_id              TEXT    REFERENCES users (user_id) ON DELETE CASCADE,
    csrf_token           TEXT    NOT NULL,
    must_change_password BIGINT  NOT NULL,  -- 1: only the "Cambio Password" page is open
    created_ms           BIGINT  NOT NULL,  -- ms since the epoch: the absolute timeout counts from it
    last_seen_ms         BIGINT  NOT NULL   -- the idle timeout counts from it
);
CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen_ms);
CREATE INDEX web_sessions_created ON web_sessions (created_ms);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
