-- Profiles are a catalogue with seed 000's names: the OTP profile is «Sistema TS-Invio codice
-- OTP». Rows granted under its earlier name keep granting it (0007 already removed names outside
-- the earlier catalogue, so no row has the new name yet; a duplicate is dropped all the same).
DELETE FROM user_profiles
 WHERE profile = 'Invio codice OTP'
   AND EXISTS (SELECT 1 FROM user_profiles AS renamed
                WHERE renamed.user_id = user_profiles.user_id
                  AND renamed.profile = 'Sistema TS-Invio codice OTP');
UPDATE user_profiles SET profile = 'Sistema TS-Invio codice OTP'
 WHERE profile = 'Invio codice OTP';

-- Security administrators (seed 004 §3.2): a central one (region and ASL NULL) manages the ASL
-- ones; an ASL's manages that ASL's operators. They authenticate with id + password (argon2id
-- PHC string) and never call services.
CREATE TABLE administrators (
    admin_id      TEXT    PRIMARY KEY,
    cf            TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    region        TEXT,
    asl           TEXT,
    enabled       BOOLEAN NOT NULL,
    CHECK ((region IS NULL) = (asl IS NULL))
);

-- One row once the first central administrator exists: `tsgate admin bootstrap` inserts it in
-- the same transaction as that administrator, so a second bootstrap fails on its key.
CREATE TABLE administrators_bootstrapped (
    id SMALLINT PRIMARY KEY CHECK (id = 1)
);
