-- A web session is an operator's (user_id) or a security administrator's (admin_id), never both:
-- the two registers are apart and an id may be in both, so the session says which one it is.
-- The administration pages (src/web/admin*.rs) open only on a session with admin_id set.
ALTER TABLE web_sessions ADD COLUMN admin_id TEXT REFERENCES administrators (admin_id) ON DELETE CASCADE;
CREATE INDEX web_sessions_admin ON web_sessions (admin_id);
