-- Administrative actions and client addresses in the access log (SPEC §7, seed 004 §3.8).
-- `client_address`: the peer's IP address for a remote request (every SOAP call, the CSV
-- download, a remote administrative action). `target`: whom an administrative action was on
-- (a user id, a region code, a substitute's CF, a certificate serial...). `detail`: what else
-- the action says (a profile granted, a service, a period). NULL for older entries, which hash
-- as before (src/store/access_log.rs).
ALTER TABLE access_log ADD COLUMN client_address TEXT;
ALTER TABLE access_log ADD COLUMN target TEXT;
ALTER TABLE access_log ADD COLUMN detail TEXT;

-- What an auditor asks `tsgate audit show`: who, on whom, which operation, over a period.
CREATE INDEX access_log_caller_id ON access_log (caller_id, at_ms);
CREATE INDEX access_log_operator_cf ON access_log (operator_cf, at_ms) WHERE operator_cf IS NOT NULL;
CREATE INDEX access_log_target ON access_log (target, at_ms) WHERE target IS NOT NULL;
CREATE INDEX access_log_operation ON access_log (operation, at_ms);
