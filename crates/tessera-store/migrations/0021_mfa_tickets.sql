-- Version 21: logins stopped at the MFA step (`service::mfa_login`).

-- The ticket the client holds is stored only as its SHA-256; a row is used once (deleted in
-- the unit of work that records the login) or expires. `methods` are the first factors'
-- RFC 8176 values and `kinds` the factor kinds that may complete the login, both
-- comma-separated.
CREATE TABLE mfa_tickets (
    ticket_hash     TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    app_id          TEXT,
    methods         TEXT NOT NULL,
    kinds           TEXT NOT NULL,
    client_ip       TEXT,
    client_device   TEXT,
    client_browser  TEXT,
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX mfa_tickets_expiry_idx ON mfa_tickets (expires_at);
CREATE INDEX mfa_tickets_user_idx ON mfa_tickets (pool_id, user_id);
