-- The Commissioner's daily report (seed 003 §5) and the retention of the data sets (§2.5,
-- §3.5, §4.5). Mirrors migrations/postgres/0021_commissioner_report_and_retention.sql.

-- One row per Europe/Rome day whose report a gateway claimed ('sending') or sent ('sent'):
-- the primary key lets only one gateway, across restarts and instances, send a day's report.
CREATE TABLE commissioner_report_sends (
    report_day     TEXT    PRIMARY KEY,              -- 'yyyy-mm-dd', Europe/Rome
    state          TEXT    NOT NULL CHECK (state IN ('sending', 'sent')),
    claimant       TEXT    NOT NULL,                 -- a token of the attempt that claimed it
    claimed_at_ms  INTEGER NOT NULL,
    sent_at_ms     INTEGER,
    archive_sha256 TEXT                              -- hex, of the archive sent
);

-- The retention purge removes by when the rows were sent.
CREATE INDEX serology_tests_sent_at ON serology_tests (sent_at_ms);
CREATE INDEX asl_test_counts_sent_at ON asl_test_counts (sent_at_ms);
CREATE INDEX school_staff_updated_on ON school_staff (updated_on);
