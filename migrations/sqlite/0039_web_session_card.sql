-- The certificate chain (PEM, end entity first) of the smart card that opened a web session
-- ("Accedi con smart card"); NULL for a session opened otherwise. Each request of such a session
-- has the chain judged again by the TLS verifier in force, so a revocation (a new crl.pem) ends
-- the session (src/web/smart_card.rs).
ALTER TABLE web_sessions ADD COLUMN card_chain TEXT;
