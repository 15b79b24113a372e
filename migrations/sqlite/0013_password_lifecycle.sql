-- Each user's password state (src/store/passwords.rs): whether it must be changed before the
-- gateway accepts it (an initial password, a reset), when it was last changed (its maximum age
-- counts from then), and the hashes of the passwords it replaced (reuse is refused).
-- Users that exist already are ready to use: their password counts as changed now.
CREATE TABLE user_passwords (
    user_id       TEXT    PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    must_change   BOOLEAN NOT NULL,
    changed_at_ms INTEGER NOT NULL    -- ms since the epoch
);
INSERT INTO user_passwords (user_id, must_change, changed_at_ms)
SELECT user_id, 0, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) FROM users;

-- A user added by any path starts ready to use; registration by an administrator then marks
-- the password as one to change.
CREATE TRIGGER users_insert_password_state AFTER INSERT ON users
BEGIN
    INSERT INTO user_passwords (user_id, must_change, changed_at_ms)
    VALUES (NEW.user_id, 0, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
    ON CONFLICT (user_id) DO NOTHING;
END;

CREATE TABLE password_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    password_hash TEXT    NOT NULL,   -- argon2id PHC string of a replaced password
    replaced_at_ms INTEGER NOT NULL
);
CREATE INDEX password_history_by_user ON password_history (user_id, id);

-- A changed state changes who may call: gateways drop what they cached.
CREATE TRIGGER user_passwords_insert_bumps_directory AFTER INSERT ON user_passwords
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER user_passwords_update_bumps_directory AFTER UPDATE ON user_passwords
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER user_passwords_delete_bumps_directory AFTER DELETE ON user_passwords
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
