-- The login captcha's challenges already answered right (src/store/web_spent_challenges.rs).
-- The login's challenges are not stored when issued (their answer is derived from them and the
-- browser's pre-login cookie by an HMAC): a row is written only when one is answered right, so
-- that it serves once, and it goes once the challenge has expired anyway.
CREATE TABLE web_spent_challenges (
    digest     TEXT    PRIMARY KEY,  -- SHA-256 of the challenge, hexadecimal
    expires_ms BIGINT  NOT NULL      -- ms since the epoch: forgotten from then on
);
CREATE INDEX web_spent_challenges_expires ON web_spent_challenges (expires_ms);
