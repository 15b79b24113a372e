-- Issuer slots of numeric transaction ids (src/store/issuers.rs): each running gateway leases
-- one, and issues only ids ≡ slot (mod the number of rows), so gateways sharing this database
-- never issue the same id. A lease lasts until expires_at (database time) and is renewed while
-- its gateway runs; a crashed gateway's slot is free again once it expires.
-- The number of rows is the modulus: change it only with every gateway stopped.
CREATE TABLE transaction_id_issuers (
    slot       SMALLINT    PRIMARY KEY CHECK (slot >= 0),
    holder     TEXT,
    expires_at TIMESTAMPTZ NOT NULL DEFAULT '-infinity'
);
INSERT INTO transaction_id_issuers (slot) SELECT generate_series(0, 9);
