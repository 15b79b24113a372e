-- The strong authentication a region declares for its operator (seed 004 Table 1): logged with
-- each of that region's transactions. NULL for every other caller and for older entries.
ALTER TABLE access_log ADD COLUMN declared_auth TEXT;
