-- Each user's password state (src/store/passwords.rs): whether it must be changed before the
-- gateway accepts it (an initial password, a reset), when it was last changed (its maximum age
-- counts from then), and the hashes of the passwords it replaced (reuse is refused).
-- Users that exist already are ready to use: their password counts as changed now.
CREATE TABLE user_passwords (
    user_id       TEXT    PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    must_change   BOOLEAN NOT NULL,
    changed_at_ms BIGINT  NOT NULL    -- ms since the epoch
);
INSERT INTO user_passwords (user_id, must_change, changed_at_ms)
SELECT user_id, FALSE, (extract(epoch FROM now()) * 1000)::BIGINT FROM users;

-- A user added by any path starts ready to use; registration by an administrator then marks
-- the password as one to change.
CREATE FUNCTION tsgate_user_password_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_passwords (user_id, must_change, changed_at_ms)
    VALUES (NEW.user_id, FALSE, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT)
    ON CONFLICT (user_id) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_insert_password_state
    AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION tsgate_user_password_state();

CREATE TABLE password_history (
    id             BIGSERIAL PRIMARY KEY,
    user_id        TEXT   NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    password_hash  TEXT   NOT NULL,   -- argon2id PHC string of a replaced password
    replaced_at_ms BIGINT NOT NULL
);
CREATE INDEX password_history_by_user ON password_history (user_id, id);

-- A changed state changes who may call: gateways drop what they cached.
CREATE TRIGGER user_passwords_bump_directory
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_passwords
    FOR EACH STATEMENT EXECUTE FUNCTION tsgate_bump_directory_version();
