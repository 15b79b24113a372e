-- A serology test is cancelled once (seed 003 §3.4.3): its cancellation, written with the
-- cancelling transaction's access-log entry, is never overwritten. A cancel decided on a stale
-- read (another gateway instance's cancel committed in between) fails its commit here instead
-- of being acknowledged for a cancellation it did not make.
CREATE FUNCTION tsgate_cancel_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.cancelled_at_ms IS NOT NULL THEN
        RAISE EXCEPTION 'serology test % already cancelled', OLD.transaction_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER serology_tests_cancel_once
    BEFORE UPDATE OF cancelled_at_ms, cancel_transaction_id ON serology_tests
    FOR EACH ROW EXECUTE FUNCTION tsgate_cancel_once();
