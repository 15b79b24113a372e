-- The staged CFs of a MIUR file keyed by CF (docs/miur.md): a CF on several lines is one row
-- (its flags merged when staged), and the import's queries walk the staging and the registry
-- both in CF order, so a million staged CFs read neighbouring pages of the registry instead of
-- seeking at random. Keyed by line, with a second index by CF, every row went into two
-- B-trees in file order and the counting had to make each CF distinct again.
DROP TABLE miur_staff_import;
CREATE TABLE miur_staff_import (
    import_id    BIGINT  NOT NULL,
    cf           TEXT    NOT NULL,
    staged_at_ms BIGINT  NOT NULL,
    statale      BOOLEAN NOT NULL,   -- on a state-school line (§2.4.1, §2.4.3 statale)
    paritaria    BOOLEAN NOT NULL,   -- on a paritaria line of the Trento/Bolzano file (§2.4.3)
    PRIMARY KEY (import_id, cf)
);
