-- The registry of assistiti and the serology-test services (seed 003 §2–4). Mirrors
-- migrations/postgres/0003_registry.sql. Dates are TEXT 'yyyy-mm-dd' (they sort as dates);
-- instants are ms since the Unix epoch, UTC.

CREATE TABLE regions (
    code TEXT PRIMARY KEY,              -- 3 digits
    name TEXT NOT NULL
);

CREATE TABLE asl (
    region_code TEXT NOT NULL,
    code        TEXT NOT NULL,          -- 3 digits, unique within the region
    name        TEXT NOT NULL,
    PRIMARY KEY (region_code, code)
);

-- The municipalities each ASL covers, by province (seed 003 §2.4.2). A large city can be
-- split across several ASLs (Rome is), hence the key.
CREATE TABLE municipalities (
    code        TEXT NOT NULL,          -- Belfiore code
    name        TEXT NOT NULL,
    province    TEXT NOT NULL,          -- 2-letter sigla
    region_code TEXT NOT NULL,
    asl_code    TEXT NOT NULL,
    PRIMARY KEY (code, region_code, asl_code)
);
CREATE INDEX municipalities_asl ON municipalities (region_code, asl_code);

CREATE TABLE mmg (
    cf          TEXT PRIMARY KEY,
    surname     TEXT NOT NULL,
    name        TEXT NOT NULL,
    region_code TEXT NOT NULL,
    asl_code    TEXT NOT NULL
);
CREATE INDEX mmg_asl ON mmg (region_code, asl_code);

CREATE TABLE assistiti (
    cf          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    surname     TEXT NOT NULL,
    region_code TEXT NOT NULL,
    asl_code    TEXT NOT NULL,
    mmg_cf      TEXT,                   -- the MMG they are registered with, if any
    status      TEXT NOT NULL CHECK (status IN ('vivo', 'deceduto', 'emigrato'))
) WITHOUT ROWID;
CREATE INDEX assistiti_mmg ON assistiti (mmg_cf);

-- State-school staff (seed 003 §2.4.1), matched to the registry: mmg_cf is the MMG of the
-- living assistito with that CF at the last matching, which makes this table the doctors'
-- lists (§3.4.1) and the per-MMG kit counts (§4.4.1). Unmatched rows are deleted (§2.5).
CREATE TABLE school_staff (
    cf         TEXT PRIMARY KEY,
    updated_on TEXT NOT NULL,           -- date the position was last updated
    mmg_cf     TEXT
) WITHOUT ROWID;
CREATE INDEX school_staff_mmg ON school_staff (mmg_cf);

-- A titolare's authorisation of a substitute, valid from..to inclusive (seed 003 §3.3.1).
CREATE TABLE substitutes (
    titolare_cf   TEXT NOT NULL,
    substitute_cf TEXT NOT NULL,
    valid_from    TEXT NOT NULL,
    valid_to      TEXT NOT NULL CHECK (valid_to >= valid_from),
    PRIMARY KEY (titolare_cf, substitute_cf, valid_from)
);

-- Serology tests sent by doctors (seed 003 §3.5), written with the access-log entry of the
-- send, in the same group-commit transaction.
CREATE TABLE serology_tests (
    transaction_id        TEXT    PRIMARY KEY,
    test_date             TEXT    NOT NULL,
    doctor_cf             TEXT    NOT NULL,   -- who did the test (titolare or substitute)
    titolare_cf           TEXT    NOT NULL,
    assistito_cf          TEXT    NOT NULL,
    on_list               BOOLEAN NOT NULL,   -- on the titolare's school-staff list
    sent_at_ms            INTEGER NOT NULL,
    sent_on               TEXT    NOT NULL,   -- Europe/Rome date of sent_at_ms
    cancelled_at_ms       INTEGER,
    cancel_transaction_id TEXT
);
CREATE INDEX serology_tests_titolare ON serology_tests (titolare_cf, sent_on);

-- Daily test counts sent by ASL operators (seed 003 §4.4.2).
CREATE TABLE asl_test_counts (
    transaction_id TEXT    PRIMARY KEY,
    operator_cf    TEXT    NOT NULL,
    region_code    TEXT,
    asl_code       TEXT,
    test_date      TEXT    NOT NULL,
    tests          INTEGER NOT NULL CHECK (tests >= 0),
    sent_at_ms     INTEGER NOT NULL
);
CREATE INDEX asl_test_counts_date ON asl_test_counts (test_date);
