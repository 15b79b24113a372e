-- A serology test is cancelled once (seed 003 §3.4.3): its cancellation, written with the
-- cancelling transaction's access-log entry, is never overwritten. A cancel decided on a stale
-- read (another cancel committed in between) fails its commit here instead of being
-- acknowledged for a cancellation it did not make.
CREATE TRIGGER serology_tests_cancel_once
    BEFORE UPDATE OF cancelled_at_ms, cancel_transaction_id ON serology_tests
    WHEN OLD.cancelled_at_ms IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'serology test already cancelled');
END;
