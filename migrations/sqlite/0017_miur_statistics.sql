-- The statistics of the MIUR staff lists (seed 003 §2.4), aggregated and anonymous: one row a
-- computation ("Data statistica"), its figures per ASL (per region is their sum) and what could
-- not be placed on an ASL. Mirrors migrations/postgres/0018_miur_statistics.sql. No CF is ever
-- stored here.
CREATE TABLE miur_statistics (
    id             INTEGER NOT NULL PRIMARY KEY,   -- random, chosen by the writer
    kind           TEXT    NOT NULL CHECK (kind IN ('statali', 'paritarie', 'trento-bolzano')),
    computed_at_ms INTEGER NOT NULL,               -- "Data statistica", ms since the epoch (UTC)
    validated_cfs  INTEGER,                        -- CFs found in the registry; NULL: paritarie
    rows_read      INTEGER NOT NULL,
    rows_rejected  INTEGER NOT NULL
);
CREATE INDEX miur_statistics_latest ON miur_statistics (kind, computed_at_ms);

CREATE TABLE miur_statistic_asl (
    statistic_id INTEGER NOT NULL REFERENCES miur_statistics (id) ON DELETE CASCADE,
    region_code  TEXT    NOT NULL,
    asl_code     TEXT    NOT NULL,
    with_mmg     INTEGER NOT NULL,   -- state-school staff with an MMG
    without_mmg  INTEGER NOT NULL,   -- state-school staff found without one
    paritarie    INTEGER NOT NULL,   -- paritarie staff
    PRIMARY KEY (statistic_id, region_code, asl_code)
);

-- Paritarie rows the registry cannot place (a region or province it does not know), reported
-- rather than dropped.
CREATE TABLE miur_statistic_unplaced (
    statistic_id INTEGER NOT NULL REFERENCES miur_statistics (id) ON DELETE CASCADE,
    region       TEXT    NOT NULL,   -- as the file wrote it
    province     TEXT    NOT NULL,   -- as the file wrote it
    staff        INTEGER NOT NULL,
    reason       TEXT    NOT NULL,
    PRIMARY KEY (statistic_id, region, province)
);
