-- The titolare a substitute doctor chose to act for in this web session (src/web/medico.rs,
-- seed 003 §3.3.1): NULL while the doctor acts for their own patients. Each page still checks
-- the authorisation when it acts; this only remembers the choice.
ALTER TABLE web_sessions ADD COLUMN acting_for TEXT;
