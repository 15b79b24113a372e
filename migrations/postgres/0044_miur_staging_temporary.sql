-- Since 0044 a MIUR file's CFs are staged in temporary tables of the import's own connection
-- (README, "MIUR staff lists"): written to no database file or log, and gone with the
-- connection however the import ends, so an interrupted import leaves nothing to purge. The
-- table that staged them in the database goes (what it held belonged to imports that ended).
DROP TABLE miur_staff_import;
