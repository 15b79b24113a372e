-- `tsgate registry import` stages the assistiti file here and applies it in one pass in CF
-- order: inserted in file order, a batch of 20,000 random CFs dirtied ~20,000 pages of the
-- registry, and a 10-million-row import rewrote the table hundreds of times over.
-- Each import stages under its own random `import_id`, so imports running at the same time
-- never see each other's rows; `line` is the row's line in the CSV file, to name the lines of
-- a duplicated CF; `staged_at_ms` lets a later import remove what an interrupted one left.
CREATE TABLE assistiti_import (
    import_id    INTEGER NOT NULL,
    line         INTEGER NOT NULL,
    staged_at_ms INTEGER NOT NULL,
    cf           TEXT NOT NULL,
    name         TEXT NOT NULL,
    surname      TEXT NOT NULL,
    region_code  TEXT NOT NULL,
    asl_code     TEXT NOT NULL,
    mmg_cf       TEXT,
    status       TEXT NOT NULL,
    PRIMARY KEY (import_id, line)
) WITHOUT ROWID;

-- Nothing reads assistiti by MMG (a doctor's list is school_staff.mmg_cf); the index only
-- doubled the cost of every import.
DROP INDEX assistiti_mmg;
