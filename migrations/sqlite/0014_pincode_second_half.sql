-- The second half of each operator's pincode, sealed (AES-256-GCM under `auth.secrets_key`,
-- bound to the user id; src/store/pincodes.rs): the operator reads it after their first
-- authentication ("Stampa pincode", `tsgate users pincode`). The first half is stored nowhere;
-- the whole pincode only as the argon2 hash in `users`. Users registered before have no row.
-- Not read by identification, so its writes do not bump the directory version (a new pincode's
-- hash is written to `users`, which does).
CREATE TABLE pincode_second_halves (
    user_id   TEXT    PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    sealed    TEXT    NOT NULL,   -- v1.base64(nonce || ciphertext || tag)
    set_at_ms INTEGER NOT NULL    -- ms since the epoch
);
