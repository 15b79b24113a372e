-- The register of certificates the gateway CA issues (issue 10, item 7). The CA's files stay
-- what TLS enforces (ca.pem, crl.pem); this table is the inventory, kept in step by every
-- `tsgate certs` command and by the demo (README "Certificates").
CREATE TABLE certificates (
    serial       TEXT    PRIMARY KEY,           -- lowercase hex, as `certs revoke` takes it
    kind         TEXT    NOT NULL,              -- region | server | client | operator
    subject      TEXT    NOT NULL,              -- the subject DN, as printed
    region       TEXT,                          -- 3-digit region code of a region certificate
    not_before   INTEGER NOT NULL,              -- ms since the epoch (UTC)
    not_after    INTEGER NOT NULL,
    issued_at    INTEGER NOT NULL,
    revoked_at   INTEGER,                       -- set once, by a revocation
    replaces     TEXT                           -- the serial a renewal replaces
);
CREATE INDEX certificates_by_region ON certificates (region, not_after);
CREATE INDEX certificates_by_expiry ON certificates (not_after);
