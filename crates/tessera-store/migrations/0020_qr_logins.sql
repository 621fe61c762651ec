-- QR-code logins (v3 `geneQrCode`): a browser's pending login that the user's signed-in
-- mobile app scans and confirms; the browser exchanges a one-time ticket (stored as a
-- SHA-256 digest) for tokens. Rows are short-lived; expired ones are inert.
CREATE TABLE qr_logins (
    id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    status TEXT NOT NULL,
    user_id TEXT,
    ticket_digest TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    authorized_at BIGINT
);
CREATE UNIQUE INDEX qr_logins_ticket ON qr_logins (ticket_digest);
CREATE INDEX qr_logins_expiry ON qr_logins (expires_at);
