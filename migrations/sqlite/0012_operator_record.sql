-- The operator record as seed 000's profile page shows it (src/store/directory.rs): personal
-- data and work contacts, each NULL until an administrator sets it. Existing rows keep their
-- display_name and get NULLs: splitting a free-text name into cognome and nome is guesswork
-- (compound surnames), and birth date and sex are what the CF implies until set.
ALTER TABLE users ADD COLUMN surname      TEXT;
ALTER TABLE users ADD COLUMN given_name   TEXT;
ALTER TABLE users ADD COLUMN birth_date   TEXT; -- yyyy-mm-dd
ALTER TABLE users ADD COLUMN sex          TEXT; -- M or F
ALTER TABLE users ADD COLUMN birth_place  TEXT;
ALTER TABLE users ADD COLUMN work_address TEXT;
ALTER TABLE users ADD COLUMN phone        TEXT;
ALTER TABLE users ADD COLUMN fax          TEXT;
ALTER TABLE users ADD COLUMN email        TEXT;

-- When each operator was last identified (SOAP, CSV download): its own table, because every
-- write to users moves the directory version and drops the gateways' cached verifications.
-- Written at most once a minute per user and gateway (src/identity/last_access.rs).
CREATE TABLE user_last_access (
    user_id        TEXT    PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    last_access_ms INTEGER NOT NULL -- ms since the epoch
);
