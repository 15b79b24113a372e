-- The web application's captcha challenges (src/store/web_captchas.rs) and the sessions that
-- passed the OTP service's pincode page (src/store/web_pincode_checks.rs). Both belong to a
-- session and go with it.
--
-- A challenge is bound to its session and to the form it guards (one live challenge per
-- session and form); its answer is sealed with auth.secrets_key (purpose-bound), so this
-- table alone does not tell it. `failures` counts the wrong answers the session gave on that
-- form, carried from challenge to challenge.
CREATE TABLE web_captchas (
    id            TEXT    PRIMARY KEY,
    session_hash  TEXT    NOT NULL REFERENCES web_sessions (id_hash) ON DELETE CASCADE,
    form          TEXT    NOT NULL,
    sealed_answer TEXT    NOT NULL,
    failures      BIGINT NOT NULL,
    expires_ms    BIGINT NOT NULL,  -- ms since the epoch: unusable from then on
    UNIQUE (session_hash, form)
);
CREATE INDEX web_captchas_expires ON web_captchas (expires_ms);

-- A session whose operator typed the right pincode on the OTP service's page. Nothing of the
-- pincode is kept.
CREATE TABLE web_pincode_checks (
    session_hash TEXT   PRIMARY KEY REFERENCES web_sessions (id_hash) ON DELETE CASCADE,
    checked_ms   BIGINT NOT NULL
);
