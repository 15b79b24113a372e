-- The MIUR files of school staff (seed 003 §2.4.1, §2.4.3) as they are imported
-- (docs/miur.md). Mirrors migrations/sqlite/0018_miur_lists.sql.

-- The CFs of a file while its import runs, under the import's own id: counted, then matched
-- into school_staff, then removed with the import (§2.5: the unmatched and the paritarie staff
-- are never kept). An interrupted import's rows are removed by the next one a day later.
CREATE TABLE miur_staff_import (
    import_id    BIGINT  NOT NULL,
    line         BIGINT  NOT NULL,
    staged_at_ms BIGINT  NOT NULL,
    cf           TEXT    NOT NULL,
    paritaria    BOOLEAN NOT NULL,   -- a paritaria row of the Trento/Bolzano file
    PRIMARY KEY (import_id, line)
);
CREATE INDEX miur_staff_import_cf ON miur_staff_import (import_id, cf);

-- Which file put a member on the lists: re-sending a file replaces only its own kind's rows.
ALTER TABLE school_staff ADD COLUMN kind TEXT NOT NULL DEFAULT 'statali'
    CHECK (kind IN ('statali', 'trento-bolzano'));
CREATE INDEX school_staff_kind ON school_staff (kind);
