-- Version 3: what self-service account flows need beyond version 1.
ALTER TABLE users ADD COLUMN password_security_level BIGINT;
CREATE INDEX rate_events_expiry_idx ON rate_events (at);
