-- Version 25: account-linking tickets of a WeChat mobile-app login (`service::wechat_mobile`).

-- A login whose WeChat identity is linked to no user stops with a ticket (the SDKs' "key")
-- that a later request spends to link the identity to a proven or new user. The ticket is
-- stored only as its SHA-256; a row is used once (deleted by the request that links) or
-- expires. `candidates` are the ids, comma-separated, of the users WeChat's unionid names
-- (their profile's `unionid`), the only ones a user may pick without another proof.
CREATE TABLE link_tickets (
    ticket_hash     TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    app_id          TEXT,
    conn_id         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    unionid         TEXT,
    nickname        TEXT,
    photo           TEXT,
    candidates      TEXT NOT NULL,
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX link_tickets_expiry_idx ON link_tickets (expires_at);
